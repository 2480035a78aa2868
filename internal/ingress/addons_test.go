package ingress

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

const (
	aclA = "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/team-a/0a1b2c3d-aaaa-4bbb-8ccc-000000000001"
	aclB = "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/team-b/0a1b2c3d-aaaa-4bbb-8ccc-000000000002"
)

// TestAddOns: each add-on as LBC v3 reads it: absent or empty leaves AWS
// alone, "none" (or false) takes it away, conflicting sources are refused,
// a name AWS does not have is an external error, and a flag that is off
// leaves the add-on alone whatever the annotations say.
func TestAddOns(t *testing.T) {
	on := Config{AddOns: AddOns{WAFv2: true, WAF: true, Shield: true}}
	facts := Facts{WAFv2ACLsByName: map[string]string{"team-a": aclA}, WAFRegionalACLsFound: map[string]bool{"c1": true},
		WAFv2ACLsFound: map[string]bool{aclA: true, aclB: true}}
	aclGone := "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/gone/0a1b2c3d-aaaa-4bbb-8ccc-000000000009"
	params := func(arn, name string) *elbv2.IngressClassParams {
		return &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "team"},
			Spec: elbv2.IngressClassParamsSpec{WAFv2ACLArn: arn, WAFv2ACLName: name}}
	}
	tests := []struct {
		name   string
		cfg    Config
		ann    map[string]string
		params *elbv2.IngressClassParams
		want   model.LoadBalancerAddOns
		err    error
	}{
		{name: "nothing set: every add-on left alone", cfg: on},
		{name: "empty values say nothing", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: "", AnnWAFACLID: ""}},
		{name: "a WAFv2 ARN", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: aclA},
			want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)}},
		{name: "none disassociates", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: "none", AnnWAFACLID: "none"},
			want: model.LoadBalancerAddOns{WAFv2ACL: ptr(""), WAFRegionalACL: ptr("")}},
		{name: "a name resolved", cfg: on, ann: map[string]string{AnnWAFv2ACLName: "team-a"},
			want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)}},
		{name: "name none", cfg: on, ann: map[string]string{AnnWAFv2ACLName: "none"},
			want: model.LoadBalancerAddOns{WAFv2ACL: ptr("")}},
		{name: "name and ARN of the same ACL", cfg: on, ann: map[string]string{AnnWAFv2ACLName: "team-a", AnnWAFv2ACLARN: aclA},
			want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)}},
		{name: "name and ARN of different ACLs", cfg: on, ann: map[string]string{AnnWAFv2ACLName: "team-a", AnnWAFv2ACLARN: aclB},
			err: &FieldError{Field: AnnWAFv2ACLName, Value: "team-a",
				Allowed: `the web ACL ` + AnnWAFv2ACLARN + ` names ("` + aclB + `"); "team-a" is ` + aclA}},
		{name: "a name AWS does not have: external", cfg: on, ann: map[string]string{AnnWAFv2ACLName: "missing"},
			err: &AnnotationError{Annotation: AnnWAFv2ACLName, Value: "missing", External: true,
				Allowed: "the name of a regional WAFv2 web ACL in the load balancer's account and region, or none"}},
		{name: "an ARN AWS does not have: external", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: aclGone},
			err: &AnnotationError{Annotation: AnnWAFv2ACLARN, Value: aclGone, External: true,
				Allowed: "the ARN of a regional WAFv2 web ACL in the load balancer's account and region, or none"}},
		{name: "a malformed ARN", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: "arn:acl"},
			err: &FieldError{Field: AnnWAFv2ACLARN, Value: "arn:acl", Allowed: wafv2ARNAllowed}},
		{name: "a CloudFront ACL cannot sit on a load balancer", cfg: on,
			ann: map[string]string{AnnWAFv2ACLARN: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/cf/0a1b"},
			err: &FieldError{Field: AnnWAFv2ACLARN, Value: "arn:aws:wafv2:us-east-1:123456789012:global/webacl/cf/0a1b",
				Allowed: wafv2ARNAllowed}},
		{name: "the class's ARN", cfg: on, params: params(aclA, ""), want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)}},
		{name: "the class's name", cfg: on, params: params("", "team-a"), want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)}},
		{name: "class and annotation agree", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: aclA}, params: params(aclA, ""),
			want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)}},
		{name: "class and annotation disagree: refused, as LBC", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: aclA},
			params: params(aclB, ""),
			err: &FieldError{Field: "IngressClassParams team spec.wafv2AclArn", Value: aclB,
				Allowed: `the same web ACL as ` + AnnWAFv2ACLARN + ` ("` + aclA + `"): one load balancer has one`}},
		{name: "none against an ACL", cfg: on, ann: map[string]string{AnnWAFv2ACLARN: "none", AnnWAFv2ACLName: "team-a"},
			err: &FieldError{Field: AnnWAFv2ACLName, Value: "team-a",
				Allowed: `the web ACL ` + AnnWAFv2ACLARN + ` names ("none")`}},
		{name: "classic WAF id", cfg: on, ann: map[string]string{AnnWAFACLID: "c1"},
			want: model.LoadBalancerAddOns{WAFRegionalACL: ptr("c1")}},
		{name: "web-acl-id is read without waf-acl-id", cfg: on, ann: map[string]string{AnnWebACLID: "c1"},
			want: model.LoadBalancerAddOns{WAFRegionalACL: ptr("c1")}},
		{name: "waf-acl-id wins over web-acl-id", cfg: on, ann: map[string]string{AnnWAFACLID: "none", AnnWebACLID: "c1"},
			want: model.LoadBalancerAddOns{WAFRegionalACL: ptr("")}},
		{name: "a classic id AWS does not have: external", cfg: on, ann: map[string]string{AnnWAFACLID: "c2"},
			err: &AnnotationError{Annotation: AnnWAFACLID, Value: "c2", External: true,
				Allowed: "the id of a classic regional WAF web ACL in the load balancer's account and region, or none"}},
		{name: "a malformed classic id", cfg: on, ann: map[string]string{AnnWAFACLID: "a b"},
			err: &FieldError{Field: AnnWAFACLID, Value: "a b", Allowed: wafACLIDAllowed}},
		{name: "shield on", cfg: on, ann: map[string]string{AnnShield: "true"},
			want: model.LoadBalancerAddOns{Shield: ptr(true)}},
		{name: "shield off", cfg: on, ann: map[string]string{AnnShield: "false"},
			want: model.LoadBalancerAddOns{Shield: ptr(false)}},
		{name: "shield not a boolean", cfg: on, ann: map[string]string{AnnShield: "yes"},
			err: &AnnotationError{Annotation: AnnShield, Value: "yes", Allowed: "true, false (also 1, 0, t, f, T, F, TRUE, FALSE, True, False)"}},
		{name: "flags off: left alone, even bad values", cfg: Config{},
			ann: map[string]string{AnnWAFv2ACLARN: "bad", AnnWAFACLID: "a b", AnnShield: "yes"}, params: params(aclB, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addOns(tt.cfg, tt.ann, tt.params, facts)
			if diff := cmp.Diff(tt.err, err); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); err == nil && diff != "" {
				t.Errorf("add-ons (-want +got):\n%s", diff)
			}
			if tt.err == nil {
				return
			}
			// Query and the settings check refuse the same input before
			// any fact is read, unless only a fact is missing.
			var ae *AnnotationError
			if errors.As(err, &ae) && ae.External {
				return
			}
			if err := checkAddOns(tt.cfg, tt.ann, tt.params); err == nil && !isResolvedConflict(tt.name) {
				t.Errorf("checkAddOns accepted what addOns refused")
			}
		})
	}
}

// isResolvedConflict names the cases only resolution can refuse.
func isResolvedConflict(name string) bool { return name == "name and ARN of different ACLs" }

// TestBuildGroupAddOns: the add-ons are load-balancer settings: members
// that set none take what another sets, and a later member that disagrees
// is left out (the earlier one wins) while the rest is built.
func TestBuildGroupAddOns(t *testing.T) {
	cfg := testConfig()
	cfg.AddOns = AddOns{WAFv2: true, WAF: true, Shield: true}
	facts := Facts{Subnets: []string{"subnet-a", "subnet-b"},
		WAFv2ACLsByName: map[string]string{"team-a": aclA, "team-b": aclB}}
	tests := []struct {
		name      string
		addOnsOff bool
		members   []GroupMember
		excluded  []string
		want      model.LoadBalancerAddOns
	}{{
		name: "one member sets the ACL, the other nothing",
		members: []GroupMember{groupMember("a", "first", "/a", 0, nil),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLARN: aclA})},
		want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)},
	}, {
		name: "a later member with another ACL is left out",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLARN: aclA}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLARN: aclB})},
		excluded: []string{"b/second: conflict " + AnnWAFv2ACLARN + " with a/first"},
		want:     model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)},
	}, {
		name: "an empty value is no setting",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLARN: ""}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLARN: aclB})},
		want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclB)},
	}, {
		name: "none against an ACL: the later is left out",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLName: "none"}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLName: "team-a"})},
		excluded: []string{"b/second: conflict " + AnnWAFv2ACLName + " with a/first"},
		want:     model.LoadBalancerAddOns{WAFv2ACL: ptr("")},
	}, {
		name: "an ARN and the same ACL by name agree",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLARN: aclA}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLName: "team-a"})},
		want: model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)},
	}, {
		name: "a later member naming another ACL by name is left out",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLARN: aclA}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLName: "team-b"})},
		excluded: []string{"b/second: conflict " + AnnWAFv2ACLName + " with a/first"},
		want:     model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)},
	}, {
		name: "a later member's name none against an ARN is left out",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLARN: aclA}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLName: "none"})},
		excluded: []string{"b/second: conflict " + AnnWAFv2ACLName + " with a/first"},
		want:     model.LoadBalancerAddOns{WAFv2ACL: ptr(aclA)},
	}, {
		name: "Shield True and true agree",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnShield: "True"}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnShield: "true"})},
		want: model.LoadBalancerAddOns{Shield: ptr(true)},
	}, {
		name: "Shield on and off: the later is left out",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnShield: "false"}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnShield: "true"})},
		excluded: []string{"b/second: conflict " + AnnShield + " with a/first"},
		want:     model.LoadBalancerAddOns{Shield: ptr(false)},
	}, {
		name: "web-acl-id is compared with waf-acl-id",
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFACLID: "c1"}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWebACLID: "c2"})},
		excluded: []string{"b/second: conflict " + AnnWAFACLID + " with a/first"},
		want:     model.LoadBalancerAddOns{WAFRegionalACL: ptr("c1")},
	}, {
		name:      "add-ons turned off are not compared",
		addOnsOff: true,
		members: []GroupMember{groupMember("a", "first", "/a", 0, map[string]string{AnnWAFv2ACLARN: aclA, AnnShield: "true"}),
			groupMember("b", "second", "/b", 1, map[string]string{AnnWAFv2ACLARN: aclB, AnnShield: "false"})},
	}, {
		name: "a member's own bad value leaves it out",
		members: []GroupMember{groupMember("a", "first", "/a", 0, nil),
			groupMember("b", "second", "/b", 1, map[string]string{AnnShield: "yes"})},
		excluded: []string{"b/second: invalid"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cfg
			if tc.addOnsOff {
				cfg.AddOns = AddOns{}
			}
			res, err := BuildGroup(cfg, GroupInput{Name: "team-a", Members: tc.members, Facts: facts})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.excluded, excludedSummary(res.Excluded)); d != "" {
				t.Errorf("excluded (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.want, res.Stack.AddOns); d != "" {
				t.Errorf("add-ons (-want +got):\n%s", d)
			}
		})
	}
}
