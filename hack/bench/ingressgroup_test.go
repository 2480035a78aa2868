package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestGroupMember: each member is in the bench group, has ip targets and
// its one or two paths, named after it, go to its own Services.
func TestGroupMember(t *testing.T) {
	for _, tc := range []struct {
		name string
		i    int
		two  bool
		want []string
	}{
		{"one path", 7, false, []string{"/m007/a be007-a"}},
		{"two paths", 8, true, []string{"/m008/a be008-a", "/m008/b be008-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ing := groupMember(names("m", tc.i+1)[tc.i], tc.i, tc.two)
			var got []string
			for _, p := range ing.Spec.Rules[0].HTTP.Paths {
				got = append(got, p.Path+" "+p.Backend.Service.Name)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Error(d)
			}
			ann := map[string]string{"alb.ingress.kubernetes.io/target-type": "ip",
				"alb.ingress.kubernetes.io/group.name": "bench"}
			if d := cmp.Diff(ann, ing.Annotations); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestMovedRules: a rule moved is one pair of a successful
// SetRulePriorities call; refused calls and other actions count nothing.
func TestMovedRules(t *testing.T) {
	pairs := func(n int) map[string]string {
		p := map[string]string{}
		for i := 1; i <= n; i++ {
			p["RulePriorities.member."+string(rune('0'+i))+".RuleArn"] = "arn"
		}
		return p
	}
	for _, tc := range []struct {
		name  string
		calls []awsproxy.Call
		want  int
	}{
		{"none", nil, 0},
		{"two calls", []awsproxy.Call{{Action: "SetRulePriorities", Params: pairs(3)},
			{Action: "SetRulePriorities", Params: pairs(2)}}, 5},
		{"refused and other actions", []awsproxy.Call{
			{Action: "SetRulePriorities", Params: pairs(3), ErrorCode: "PriorityInUse"},
			{Action: "AddTags", Params: map[string]string{"ResourceArns.member.1": "arn"}}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, movedRules(tc.calls)); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestWrites(t *testing.T) {
	got := writes(map[string]int{"AddTags": 3, "DescribeRules": 2, "SetRulePriorities": 1, "GetResources": 1})
	if d := cmp.Diff(4, got); d != "" {
		t.Error(d)
	}
}
