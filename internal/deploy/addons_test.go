package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	shieldtypes "github.com/aws/aws-sdk-go-v2/service/shield/types"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	wafregionaltypes "github.com/aws/aws-sdk-go-v2/service/wafregional/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/internal/model"
)

// fakeAddOns holds one load balancer's web ACLs and Shield protection and
// records the calls made, as "<API>.<Operation>[ <argument>]".
type fakeAddOns struct {
	wafv2, wafRegional string
	protection         shieldProtection
	subscribed         bool
	calls              []string
}

func (f *fakeAddOns) GetWebACLForResource(_ context.Context, _ *wafv2.GetWebACLForResourceInput, _ ...func(*wafv2.Options)) (*wafv2.GetWebACLForResourceOutput, error) {
	f.calls = append(f.calls, "WAFv2.GetWebACLForResource")
	out := &wafv2.GetWebACLForResourceOutput{}
	if f.wafv2 != "" {
		out.WebACL = &wafv2types.WebACL{ARN: aws.String(f.wafv2)}
	}
	return out, nil
}

func (f *fakeAddOns) AssociateWebACL(_ context.Context, in *wafv2.AssociateWebACLInput, _ ...func(*wafv2.Options)) (*wafv2.AssociateWebACLOutput, error) {
	f.calls = append(f.calls, "WAFv2.AssociateWebACL "+aws.ToString(in.WebACLArn))
	f.wafv2 = aws.ToString(in.WebACLArn)
	return &wafv2.AssociateWebACLOutput{}, nil
}

func (f *fakeAddOns) DisassociateWebACL(_ context.Context, _ *wafv2.DisassociateWebACLInput, _ ...func(*wafv2.Options)) (*wafv2.DisassociateWebACLOutput, error) {
	f.calls = append(f.calls, "WAFv2.DisassociateWebACL")
	f.wafv2 = ""
	return &wafv2.DisassociateWebACLOutput{}, nil
}

// regional is the classic WAF side of fakeAddOns.
type regional struct{ *fakeAddOns }

func (f regional) GetWebACLForResource(_ context.Context, _ *wafregional.GetWebACLForResourceInput, _ ...func(*wafregional.Options)) (*wafregional.GetWebACLForResourceOutput, error) {
	f.calls = append(f.calls, "WAFRegional.GetWebACLForResource")
	out := &wafregional.GetWebACLForResourceOutput{}
	if f.wafRegional != "" {
		out.WebACLSummary = &wafregionaltypes.WebACLSummary{WebACLId: aws.String(f.wafRegional)}
	}
	return out, nil
}

func (f regional) AssociateWebACL(_ context.Context, in *wafregional.AssociateWebACLInput, _ ...func(*wafregional.Options)) (*wafregional.AssociateWebACLOutput, error) {
	f.calls = append(f.calls, "WAFRegional.AssociateWebACL "+aws.ToString(in.WebACLId))
	f.wafRegional = aws.ToString(in.WebACLId)
	return &wafregional.AssociateWebACLOutput{}, nil
}

func (f regional) DisassociateWebACL(_ context.Context, _ *wafregional.DisassociateWebACLInput, _ ...func(*wafregional.Options)) (*wafregional.DisassociateWebACLOutput, error) {
	f.calls = append(f.calls, "WAFRegional.DisassociateWebACL")
	f.wafRegional = ""
	return &wafregional.DisassociateWebACLOutput{}, nil
}

func (f *fakeAddOns) GetSubscriptionState(_ context.Context, _ *shield.GetSubscriptionStateInput, _ ...func(*shield.Options)) (*shield.GetSubscriptionStateOutput, error) {
	f.calls = append(f.calls, "Shield.GetSubscriptionState")
	state := shieldtypes.SubscriptionStateInactive
	if f.subscribed {
		state = shieldtypes.SubscriptionStateActive
	}
	return &shield.GetSubscriptionStateOutput{SubscriptionState: state}, nil
}

func (f *fakeAddOns) DescribeProtection(_ context.Context, _ *shield.DescribeProtectionInput, _ ...func(*shield.Options)) (*shield.DescribeProtectionOutput, error) {
	f.calls = append(f.calls, "Shield.DescribeProtection")
	if f.protection.ID == "" {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The referenced protection does not exist."}
	}
	return &shield.DescribeProtectionOutput{Protection: &shieldtypes.Protection{Id: aws.String(f.protection.ID),
		Name: aws.String(f.protection.Name)}}, nil
}

func (f *fakeAddOns) CreateProtection(_ context.Context, in *shield.CreateProtectionInput, _ ...func(*shield.Options)) (*shield.CreateProtectionOutput, error) {
	f.calls = append(f.calls, "Shield.CreateProtection "+aws.ToString(in.Name))
	f.protection = shieldProtection{ID: "p-new", Name: aws.ToString(in.Name)}
	return &shield.CreateProtectionOutput{ProtectionId: aws.String("p-new")}, nil
}

func (f *fakeAddOns) DeleteProtection(_ context.Context, in *shield.DeleteProtectionInput, _ ...func(*shield.Options)) (*shield.DeleteProtectionOutput, error) {
	f.calls = append(f.calls, "Shield.DeleteProtection "+aws.ToString(in.ProtectionId))
	f.protection = shieldProtection{}
	return &shield.DeleteProtectionOutput{}, nil
}

func TestPlanWebACL(t *testing.T) {
	tests := []struct {
		name string
		want *string
		have string
		out  webACLChange
	}{
		{"not asked: left alone", nil, "arn:a", webACLKeep},
		{"not asked, none: left alone", nil, "", webACLKeep},
		{"associate", aws.String("arn:a"), "", webACLAssociate},
		{"replace in one call", aws.String("arn:b"), "arn:a", webACLAssociate},
		{"already there", aws.String("arn:a"), "arn:a", webACLKeep},
		{"none: disassociate", aws.String(""), "arn:a", webACLDisassociate},
		{"none and none", aws.String(""), "", webACLKeep},
	}
	for _, tt := range tests {
		if got := planWebACL(tt.want, tt.have); got != tt.out {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.out)
		}
	}
}

func TestPlanShield(t *testing.T) {
	mine := shieldProtection{ID: "p1", Name: ShieldProtectionName}
	tests := []struct {
		name string
		want *bool
		have shieldProtection
		out  shieldChange
	}{
		{"not asked: left alone", nil, mine, shieldKeep},
		{"create", aws.Bool(true), shieldProtection{}, shieldCreate},
		{"already protected (anyone's)", aws.Bool(true), shieldProtection{ID: "p2", Name: "ops"}, shieldKeep},
		{"off: delete LBC's", aws.Bool(false), mine, shieldDelete},
		{"off: delete the old ingress controller's", aws.Bool(false),
			shieldProtection{ID: "p3", Name: "managed by aws-alb-ingress-controller"}, shieldDelete},
		{"off: a user's protection stays", aws.Bool(false), shieldProtection{ID: "p2", Name: "ops"}, shieldKeep},
		{"off and none", aws.Bool(false), shieldProtection{}, shieldKeep},
	}
	for _, tt := range tests {
		if got := planShield(tt.want, tt.have); got != tt.out {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.out)
		}
	}
}

// TestEnsureAddOns: the calls each decision makes, a converged load
// balancer's second pass makes none, and the subscription state is read
// once per two hours.
func TestEnsureAddOns(t *testing.T) {
	tests := []struct {
		name  string
		aws   fakeAddOns
		want  model.LoadBalancerAddOns
		calls []string
	}{{
		name: "nothing asked: no call",
		aws:  fakeAddOns{wafv2: "arn:a", wafRegional: "c1", protection: shieldProtection{ID: "p1", Name: ShieldProtectionName}},
	}, {
		name:  "associate a WAFv2 ACL",
		want:  model.LoadBalancerAddOns{WAFv2ACL: aws.String("arn:a")},
		calls: []string{"WAFv2.GetWebACLForResource", "WAFv2.AssociateWebACL arn:a"},
	}, {
		name:  "replace it",
		aws:   fakeAddOns{wafv2: "arn:a"},
		want:  model.LoadBalancerAddOns{WAFv2ACL: aws.String("arn:b")},
		calls: []string{"WAFv2.GetWebACLForResource", "WAFv2.AssociateWebACL arn:b"},
	}, {
		name:  "take it away",
		aws:   fakeAddOns{wafv2: "arn:a"},
		want:  model.LoadBalancerAddOns{WAFv2ACL: aws.String("")},
		calls: []string{"WAFv2.GetWebACLForResource", "WAFv2.DisassociateWebACL"},
	}, {
		name:  "LBC's association taken over: a read, no write",
		aws:   fakeAddOns{wafv2: "arn:a", wafRegional: "c1"},
		want:  model.LoadBalancerAddOns{WAFv2ACL: aws.String("arn:a"), WAFRegionalACL: aws.String("c1")},
		calls: []string{"WAFv2.GetWebACLForResource", "WAFRegional.GetWebACLForResource"},
	}, {
		name:  "classic WAF replaced",
		aws:   fakeAddOns{wafRegional: "c1"},
		want:  model.LoadBalancerAddOns{WAFRegionalACL: aws.String("c2")},
		calls: []string{"WAFRegional.GetWebACLForResource", "WAFRegional.AssociateWebACL c2"},
	}, {
		name:  "classic WAF none",
		aws:   fakeAddOns{wafRegional: "c1"},
		want:  model.LoadBalancerAddOns{WAFRegionalACL: aws.String("")},
		calls: []string{"WAFRegional.GetWebACLForResource", "WAFRegional.DisassociateWebACL"},
	}, {
		name: "Shield on",
		aws:  fakeAddOns{subscribed: true},
		want: model.LoadBalancerAddOns{Shield: aws.Bool(true)},
		calls: []string{"Shield.GetSubscriptionState", "Shield.DescribeProtection",
			"Shield.CreateProtection " + ShieldProtectionName},
	}, {
		name:  "Shield off deletes LBC's protection",
		aws:   fakeAddOns{subscribed: true, protection: shieldProtection{ID: "p1", Name: ShieldProtectionName}},
		want:  model.LoadBalancerAddOns{Shield: aws.Bool(false)},
		calls: []string{"Shield.GetSubscriptionState", "Shield.DescribeProtection", "Shield.DeleteProtection p1"},
	}, {
		name:  "Shield off keeps a user's protection",
		aws:   fakeAddOns{subscribed: true, protection: shieldProtection{ID: "p2", Name: "ops"}},
		want:  model.LoadBalancerAddOns{Shield: aws.Bool(false)},
		calls: []string{"Shield.GetSubscriptionState", "Shield.DescribeProtection"},
	}, {
		name:  "Shield without a subscription: left alone, as LBC",
		want:  model.LoadBalancerAddOns{Shield: aws.Bool(true)},
		calls: []string{"Shield.GetSubscriptionState"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.aws
			clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			d := New(Deps{Clock: clk, AddOns: AddOnClients{WAFv2: &f, WAFRegional: regional{&f}, Shield: &f}})
			lb := &LoadBalancerState{ARN: "arn:lb", Name: "k8s-shop-web"}
			if err := d.ensureAddOns(context.Background(), lb, tt.want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.calls, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			// Converged: the next pass makes no call, within two hours not
			// even the subscription read.
			f.calls = nil
			clk.Step(time.Hour)
			if err := d.ensureAddOns(context.Background(), lb, tt.want); err != nil {
				t.Fatal(err)
			}
			if len(f.calls) != 0 {
				t.Errorf("second pass calls %v, want none", f.calls)
			}
		})
	}
}

// TestNewLoadBalancerAddOnsKnown: a load balancer kelb just created has no
// web ACL and no protection, so associating costs no read.
func TestNewLoadBalancerAddOnsKnown(t *testing.T) {
	f := fakeAddOns{subscribed: true}
	d := New(Deps{AddOns: AddOnClients{WAFv2: &f, WAFRegional: regional{&f}, Shield: &f}})
	lb := &LoadBalancerState{ARN: "arn:lb", Name: "k8s-shop-web", addOns: addOnsState{wafv2: aws.String(""),
		wafRegional: aws.String(""), shield: &shieldProtection{}}}
	err := d.ensureAddOns(context.Background(), lb, model.LoadBalancerAddOns{WAFv2ACL: aws.String("arn:a"),
		Shield: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"WAFv2.AssociateWebACL arn:a", "Shield.GetSubscriptionState",
		"Shield.CreateProtection " + ShieldProtectionName}
	if diff := cmp.Diff(want, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestDropShieldProtection: once an Ingress's load balancer is deleted,
// the protection LBC or kelb made for it goes too, a user's stays, and
// without the Shield client (--enable-shield=false) nothing is called.
func TestDropShieldProtection(t *testing.T) {
	tests := []struct {
		name   string
		have   shieldProtection
		client bool
		calls  []string
	}{
		{"kelb's or LBC's", shieldProtection{ID: "p1", Name: ShieldProtectionName}, true,
			[]string{"Shield.GetSubscriptionState", "Shield.DescribeProtection", "Shield.DeleteProtection p1"}},
		{"a user's", shieldProtection{ID: "p2", Name: "ops"}, true,
			[]string{"Shield.GetSubscriptionState", "Shield.DescribeProtection"}},
		{"none", shieldProtection{}, true, []string{"Shield.GetSubscriptionState", "Shield.DescribeProtection"}},
		{"Shield off", shieldProtection{ID: "p1", Name: ShieldProtectionName}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeAddOns{subscribed: true, protection: tt.have}
			deps := Deps{}
			if tt.client {
				deps.AddOns.Shield = &f
			}
			New(deps).dropShieldProtection(context.Background(), &LoadBalancerState{ARN: "arn:lb", Name: "k8s-shop-web"})
			if diff := cmp.Diff(tt.calls, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}
