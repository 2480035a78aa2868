package deploy

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestForwardTarget: the forms AWS (and LBC, and kelb before) give one
// forward to one target group all mean that target group; anything else
// means none.
func TestForwardTarget(t *testing.T) {
	fwd := elbtypes.ActionTypeEnumForward
	tuple := func(arn string, weight *int32) elbtypes.TargetGroupTuple {
		return elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(arn), Weight: weight}
	}
	sticky := func(on bool) *elbtypes.TargetGroupStickinessConfig {
		return &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(on)}
	}
	tests := []struct {
		name    string
		actions []elbtypes.Action
		want    string
	}{
		{"plain target group ARN", []elbtypes.Action{{Type: fwd, TargetGroupArn: aws.String("tg")}}, "tg"},
		{"LBC's request: a ForwardConfig, no weight", []elbtypes.Action{{Type: fwd, Order: aws.Int32(1),
			ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{tuple("tg", nil)}}}}, "tg"},
		{"AWS's echo: both, weight 1, stickiness off", []elbtypes.Action{{Type: fwd, Order: aws.Int32(1),
			TargetGroupArn: aws.String("tg"), ForwardConfig: &elbtypes.ForwardActionConfig{
				TargetGroups:                []elbtypes.TargetGroupTuple{tuple("tg", aws.Int32(1))},
				TargetGroupStickinessConfig: sticky(false)}}}, "tg"},
		{"any weight of a lone target group", []elbtypes.Action{{Type: fwd, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{tuple("tg", aws.Int32(999))}}}}, "tg"},
		{"weight 0", []elbtypes.Action{{Type: fwd, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{tuple("tg", aws.Int32(0))}}}}, ""},
		{"two target groups", []elbtypes.Action{{Type: fwd, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{tuple("a", aws.Int32(1)), tuple("b", aws.Int32(1))}}}}, ""},
		{"stickiness on", []elbtypes.Action{{Type: fwd, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{tuple("tg", nil)}, TargetGroupStickinessConfig: sticky(true)}}}, ""},
		{"ARN and ForwardConfig disagree", []elbtypes.Action{{Type: fwd, TargetGroupArn: aws.String("a"),
			ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{tuple("b", nil)}}}}, ""},
		{"not a forward", []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse}}, ""},
		{"two actions", []elbtypes.Action{{Type: fwd, TargetGroupArn: aws.String("a")},
			{Type: fwd, TargetGroupArn: aws.String("a")}}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		if got := forwardTarget(tt.actions); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := forwardTarget(forwardActions("tg")); got != "tg" {
		t.Errorf("kelb's own form reads as %q", got)
	}
}

func TestListenerMatches(t *testing.T) {
	tls := &ListenerState{Port: 443, Protocol: "TLS", TargetGroupARN: "tg", DefaultCertificate: "c1", SSLPolicy: "p",
		ALPNPolicy: "None"}
	tests := []struct {
		name  string
		have  *ListenerState
		want  model.Listener
		tgARN string
		match bool
	}{
		{"same TLS listener", tls, model.Listener{Protocol: "TLS", Certificates: []string{"c1"}, SSLPolicy: "p"}, "tg", true},
		{"extra certificates are compared apart", tls, model.Listener{Protocol: "TLS", Certificates: []string{"c1", "c2"},
			SSLPolicy: "p"}, "tg", true},
		{"another default", tls, model.Listener{Protocol: "TLS", Certificates: []string{"c2", "c1"}, SSLPolicy: "p"}, "tg", false},
		{"another policy", tls, model.Listener{Protocol: "TLS", Certificates: []string{"c1"}, SSLPolicy: "q"}, "tg", false},
		{"ALPN asked for", tls, model.Listener{Protocol: "TLS", Certificates: []string{"c1"}, SSLPolicy: "p",
			ALPNPolicy: "HTTP2Preferred"}, "tg", false},
		{"another target group", tls, model.Listener{Protocol: "TLS", Certificates: []string{"c1"}, SSLPolicy: "p"}, "other", false},
		{"TCP ignores what only TLS has", &ListenerState{Protocol: "TCP", TargetGroupARN: "tg", SSLPolicy: "x"},
			model.Listener{Protocol: "TCP"}, "tg", true},
		{"another protocol", &ListenerState{Protocol: "TCP", TargetGroupARN: "tg"}, model.Listener{Protocol: "UDP"}, "tg", false},
	}
	for _, tt := range tests {
		if got := listenerMatches(tt.have, tt.want, tt.tgARN); got != tt.match {
			t.Errorf("%s: match %v, want %v", tt.name, got, tt.match)
		}
	}
}

// TestListenerCertificates: the first certificate is the listener's
// default, the others are added one per call; a change adds before it
// removes; a converged listener costs no call; a listener kelb has not
// written is read once.
func TestListenerCertificates(t *testing.T) {
	elb := newFakeELB()
	d := &Deployer{elb: elb, inv: newInventory()}
	st := &StackState{LoadBalancer: &LoadBalancerState{ARN: "lb", Name: "lb"}}
	tgs := map[string]string{"ns/svc:443": "tg"}
	listener := func(certs ...string) []model.Listener {
		return []model.Listener{{Port: 443, Protocol: "TLS", TargetGroupID: "ns/svc:443", Certificates: certs, SSLPolicy: "p"}}
	}
	steps := []struct {
		name  string
		want  []model.Listener
		calls []string
	}{
		{"create with three", listener("c1", "c2", "c3"), []string{"CreateListener 443",
			"AddListenerCertificates c2", "AddListenerCertificates c3"}},
		{"converged", listener("c1", "c2", "c3"), nil},
		{"one replaced", listener("c1", "c3", "c4"), []string{"AddListenerCertificates c4", "RemoveListenerCertificates c2"}},
		{"a new default", listener("c3", "c4"), []string{"ModifyListener listener/443", "RemoveListenerCertificates c3"}},
		{"the default repeated counts once", listener("c3", "c3", "c4"), nil},
	}
	for _, s := range steps {
		elb.calls = nil
		if err := d.ensureListeners(t.Context(), st, s.want, tgs); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.calls, elb.calls); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", s.name, diff)
		}
	}
	// What kelb did not write itself (after a restart or a drift check) is
	// read once, then known.
	st.Listeners[0].ExtrasKnown, st.Listeners[0].ExtraCertificates = false, nil
	for i, want := range [][]string{{"DescribeListenerCertificates listener/443"}, nil} {
		elb.calls = nil
		if err := d.ensureListeners(t.Context(), st, listener("c3", "c4"), tgs); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, elb.calls); diff != "" {
			t.Errorf("reconcile %d after a re-read: calls (-want +got):\n%s", i, diff)
		}
	}
}

// TestDeleteProtectedLoadBalancer: AWS refusing for deletion protection
// leaves the stack whole with a typed error, unless the Service's
// annotation lets kelb lift the protection.
func TestDeleteProtectedLoadBalancer(t *testing.T) {
	for _, tt := range []struct {
		name    string
		opts    DeleteOptions
		calls   []string
		deleted bool
	}{
		{"protected, kept", DeleteOptions{}, []string{"DeleteLoadBalancer lb"}, false},
		{"lifted, then deleted", DeleteOptions{LiftDeletionProtection: true}, []string{"DeleteLoadBalancer lb",
			"ModifyLoadBalancerAttributes deletion_protection.enabled=false", "DeleteLoadBalancer lb"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			elb := newFakeELB()
			elb.protected["lb"] = true
			d := &Deployer{elb: elb, inv: newInventory()}
			st := &StackState{ID: svcStack("ns/svc"), LoadBalancer: &LoadBalancerState{ARN: "lb", Name: "k8s-ns-svc"}}
			err := d.deleteLoadBalancer(t.Context(), st, tt.opts)
			var protected *LoadBalancerProtectedError
			if tt.deleted != (err == nil) || !tt.deleted && !errors.As(err, &protected) {
				t.Errorf("error %v", err)
			}
			if diff := cmp.Diff(tt.calls, elb.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if (st.LoadBalancer == nil) != tt.deleted {
				t.Errorf("state: load balancer %+v", st.LoadBalancer)
			}
		})
	}
}
