package sweeper

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
)

const (
	lbLBC  = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/lbc/1"
	tgLBC  = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/lbc/2"
	lbOurs = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/ours/3"
)

func TestNextRecord(t *testing.T) {
	lbcStack := []deploy.Resource{
		{Kind: deploy.KindLoadBalancer, ID: lbLBC, SecurityGroups: []string{"sg-front", "sg-backend"}},
		{Kind: deploy.KindTargetGroup, ID: tgLBC},
		{Kind: deploy.KindSecurityGroup, ID: "sg-front"},
	}
	kelbStack := []deploy.Resource{{Kind: deploy.KindLoadBalancer, ID: lbOurs, ClusterUID: "uid-a",
		SecurityGroups: []string{"sg-backend"}}}
	backendLBC := &deploy.Resource{Kind: deploy.KindSecurityGroup, ID: "sg-backend"}
	lbcRefs := []string{"loadbalancer/net/lbc/1", "sg-front", "targetgroup/lbc/2"}
	for _, tc := range []struct {
		name     string
		prev     ownership.Entries
		observed deploy.Observed
		live     map[model.StackID]bool
		want     ownership.Entries
	}{
		{"a live stack made by LBC is recorded with the backend group it uses",
			nil, deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/lbc"): lbcStack}, BackendSG: backendLBC},
			map[model.StackID]bool{svcStack("ns/lbc"): true},
			ownership.Entries{"ns/lbc": lbcRefs, ownership.BackendSGKey: {"sg-backend"}}},
		{"what carries this cluster's identity needs no record",
			nil, deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/kelb"): kelbStack},
				BackendSG: &deploy.Resource{Kind: deploy.KindSecurityGroup, ID: "sg-backend", ClusterUID: "uid-a"}},
			map[model.StackID]bool{svcStack("ns/kelb"): true}, ownership.Entries{}},
		{"the backend group made by LBC is recorded when a live kelb stack uses it",
			nil, deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/kelb"): kelbStack}, BackendSG: backendLBC},
			map[model.StackID]bool{svcStack("ns/kelb"): true}, ownership.Entries{ownership.BackendSGKey: {"sg-backend"}}},
		{"a stack whose Service is not live is not recorded",
			nil, deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/lbc"): lbcStack}, BackendSG: backendLBC},
			map[model.StackID]bool{}, ownership.Entries{}},
		{"a recorded orphan stays recorded while AWS has it",
			ownership.Entries{"ns/lbc": lbcRefs}, deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/lbc"): lbcStack}},
			map[model.StackID]bool{}, ownership.Entries{"ns/lbc": lbcRefs}},
		{"an Ingress group of the Service's name is a stack apart, never live, never recorded",
			nil, deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/lbc"): lbcStack[1:],
				{Kind: model.IngressKind, Name: "ns/lbc"}: {{Kind: deploy.KindLoadBalancer, ID: "arn:alb"}}}},
			map[model.StackID]bool{svcStack("ns/lbc"): true},
			ownership.Entries{"ns/lbc": {"sg-front", "targetgroup/lbc/2"}}},
		{"what AWS no longer has is forgotten",
			ownership.Entries{"ns/lbc": lbcRefs, "ns/gone": {"sg-gone"}, ownership.BackendSGKey: {"sg-backend"}},
			deploy.Observed{Stacks: map[model.StackID][]deploy.Resource{svcStack("ns/lbc"): lbcStack[1:]}},
			map[model.StackID]bool{svcStack("ns/lbc"): true}, ownership.Entries{"ns/lbc": {"sg-front", "targetgroup/lbc/2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nextRecord(tc.prev, tc.observed, tc.live)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	proven := func(r deploy.Resource) bool { return r.ClusterUID == "uid-a" || r.ID == "recorded" }
	ours := deploy.Resource{ID: "ours", ClusterUID: "uid-a"}
	recorded := deploy.Resource{ID: "recorded"}
	unknown := deploy.Resource{ID: "lbc-made"}
	deletable, unproven := judge(svcStacks("ns/ours", "ns/recorded", "ns/mixed", "ns/unknown", "ns/empty"),
		map[model.StackID][]deploy.Resource{svcStack("ns/ours"): {ours}, svcStack("ns/recorded"): {recorded, ours},
			svcStack("ns/mixed"): {ours, unknown}, svcStack("ns/unknown"): {unknown}}, proven)
	if diff := cmp.Diff(svcStacks("ns/ours", "ns/recorded", "ns/empty"), deletable); diff != "" {
		t.Errorf("deletable (-want +got):\n%s", diff)
	}
	want := map[model.StackID][]deploy.Resource{svcStack("ns/mixed"): {unknown}, svcStack("ns/unknown"): {unknown}}
	if diff := cmp.Diff(want, unproven); diff != "" {
		t.Errorf("unproven (-want +got):\n%s", diff)
	}
}

func TestTooMany(t *testing.T) {
	for _, tc := range []struct {
		n, total int
		want     bool
	}{
		{5, 5, false},  // not more than 5
		{6, 12, false}, // not more than half
		{6, 11, true},
		{100, 150, true},
		{1, 1, false},
	} {
		if got := tooMany(tc.n, tc.total); got != tc.want {
			t.Errorf("tooMany(%d, %d) = %v, want %v", tc.n, tc.total, got, tc.want)
		}
	}
}

func svcStack(name string) model.StackID { return model.StackID{Kind: model.ServiceKind, Name: name} }

func svcStacks(names ...string) []model.StackID {
	out := make([]model.StackID, len(names))
	for i, n := range names {
		out[i] = svcStack(n)
	}
	return out
}
