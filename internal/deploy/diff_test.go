package deploy

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestTagDiff(t *testing.T) {
	have := map[string]string{"a": "1", "b": "2", "aws:cloudformation:stack": "x", "old": "y", "other-tool": "z",
		"cost-center": "9"}
	want := map[string]string{"a": "1", "b": "3", "c": "4", "cost-center": "10"}
	tests := []struct {
		name   string
		policy model.TagPolicy
		add    map[string]string
		remove []string
	}{
		{"everything not wanted goes (VPC endpoints, as ACK)", model.TagPolicy{},
			map[string]string{"b": "3", "c": "4", "cost-center": "10"}, []string{"old", "other-tool"}},
		{"only what kelb put there from the annotation goes",
			model.TagPolicy{OnlyRemovable: true, Removable: map[string]bool{"old": true, "a": true}},
			map[string]string{"b": "3", "c": "4", "cost-center": "10"}, []string{"old"}},
		{"external keys are never set nor removed",
			model.TagPolicy{OnlyRemovable: true, Removable: map[string]bool{"old": true}, External: map[string]bool{"cost-center": true, "old": true}},
			map[string]string{"b": "3", "c": "4"}, nil},
	}
	for _, tt := range tests {
		add, remove := model.TagDiff(have, want, tt.policy)
		if d := cmp.Diff([]any{tt.add, tt.remove}, []any{add, remove}); d != "" {
			t.Errorf("%s: %s", tt.name, d)
		}
	}
}

func TestAttributeChangesOnlyTouchWantedKeys(t *testing.T) {
	got := attributeChanges(map[string]string{"x": "1", "y": "2", "z": "3"}, map[string]string{"x": "1", "y": "5"})
	if !reflect.DeepEqual(got, map[string]string{"y": "5"}) {
		t.Errorf("%v", got)
	}
}

func TestSameRulesIgnoresDescriptionAndOrder(t *testing.T) {
	a := []model.Rule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0", Description: "x"},
		{Protocol: "udp", FromPort: 53, ToPort: 53, SourceSG: "sg-1"}}
	b := []model.Rule{{Protocol: "udp", FromPort: 53, ToPort: 53, SourceSG: "sg-1"},
		{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0"}}
	if !sameRules(a, b) || sameRules(a, b[:1]) {
		t.Error("sameRules")
	}
}

func TestInventoryReplaceKeepsNewerWrites(t *testing.T) {
	inv := newInventory()
	st, release := inv.acquire(svcStack("ns/written"), func() time.Time { return t0.Add(2) })
	st.LoadBalancer = &LoadBalancerState{ARN: "arn:new"}
	release()
	snap := &snapshot{stacks: map[model.StackID]*StackState{
		svcStack("ns/written"): {ID: svcStack("ns/written")},
		svcStack("ns/found"):   {ID: svcStack("ns/found"), LoadBalancer: &LoadBalancerState{ARN: "arn:found"}},
	}}
	changed := inv.replace(t0.Add(1), snap)
	if lb := inv.stacks[svcStack("ns/written")].LoadBalancer; lb == nil || lb.ARN != "arn:new" {
		t.Error("a bulk load that started before a write overwrote it")
	}
	if d := cmp.Diff([]model.StackID{svcStack("ns/found")}, changed); d != "" {
		t.Errorf("changed: %s", d)
	}
	if d := cmp.Diff([]model.StackID{svcStack("ns/found"), svcStack("ns/written")}, inv.StackIDs()); d != "" {
		t.Errorf("stacks: %s", d)
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCompactPorts(t *testing.T) {
	tests := []struct {
		ports  []int32
		budget int
		want   [][2]int32
	}{
		{[]int32{30001, 30000, 30002, 31000}, 5, [][2]int32{{30000, 30002}, {31000, 31000}}},
		{[]int32{80, 80, 443}, 5, [][2]int32{{80, 80}, {443, 443}}},
		{[]int32{100, 200, 210, 500}, 2, [][2]int32{{100, 210}, {500, 500}}},
		{[]int32{100, 200, 210, 500}, 1, [][2]int32{{100, 500}}},
		{nil, 3, nil},
	}
	for _, tt := range tests {
		if got := compactPorts(tt.ports, tt.budget); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("compactPorts(%v, %d) = %v, want %v", tt.ports, tt.budget, got, tt.want)
		}
	}
}

func TestDesiredBackendRulesStayWithinBudget(t *testing.T) {
	var needs []model.BackendRule
	for i := int32(0); i < 100; i++ {
		needs = append(needs, model.BackendRule{NodeSG: "sg-n", Protocol: "tcp", Port: 30000 + 7*i})
	}
	needs = append(needs, model.BackendRule{NodeSG: "sg-n", Protocol: "udp", Port: 31000})
	rules := desiredBackendRules("sg-b", needs, false)["sg-n"]
	if len(rules) != BackendRuleBudget+1 {
		t.Errorf("want %d tcp ranges and 1 udp, got %d", BackendRuleBudget, len(rules))
	}
	for _, n := range needs {
		if !covered(rules, "sg-b", n) {
			t.Errorf("%+v not covered by %+v", n, rules)
		}
	}
}

func TestUnrestrictedBackendRulesAreOneRulePerGroup(t *testing.T) {
	needs := []model.BackendRule{{NodeSG: "sg-n", Protocol: "tcp", Port: 30000}, {NodeSG: "sg-n", Protocol: "udp", Port: 31000},
		{NodeSG: "sg-m", Protocol: "tcp", Port: 30000}}
	got := desiredBackendRules("sg-b", needs, true)
	if len(got) != 2 || len(got["sg-n"]) != 1 || got["sg-n"][0].Protocol != "-1" || !covered(got["sg-n"], "sg-b", needs[1]) {
		t.Errorf("%+v", got)
	}
}

func TestDesiredBackendRulesPerSource(t *testing.T) {
	needs := []model.BackendRule{{NodeSG: "sg-n", Protocol: "tcp", Port: 30000, CIDR: "10.0.0.0/24"},
		{NodeSG: "sg-n", Protocol: "tcp", Port: 30001, CIDR: "10.0.0.0/24"},
		{NodeSG: "sg-n", Protocol: "tcp", Port: 30000, CIDR: "10.0.1.0/24"},
		{NodeSG: "sg-n", Protocol: "tcp", Port: 30000}}
	got := desiredBackendRules("sg-b", needs, false)["sg-n"]
	want := []model.Rule{
		{Protocol: "tcp", FromPort: 30000, ToPort: 30001, CIDR: "10.0.0.0/24", Description: model.BackendRuleDescription},
		{Protocol: "tcp", FromPort: 30000, ToPort: 30000, CIDR: "10.0.1.0/24", Description: model.BackendRuleDescription},
		{Protocol: "tcp", FromPort: 30000, ToPort: 30000, SourceSG: "sg-b", Description: model.BackendRuleDescription},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if len(desiredBackendRules("", needs, false)["sg-n"]) != 2 {
		t.Error("without a backend group, only the CIDR rules")
	}
}

func TestSpareRulesKeepWhatTrafficNeeds(t *testing.T) {
	ours := func(from, to int32) model.Rule {
		return model.Rule{Protocol: "tcp", FromPort: from, ToPort: to, SourceSG: "sg-b", Description: model.BackendRuleDescription}
	}
	user := model.Rule{Protocol: "tcp", FromPort: 30005, ToPort: 30005, SourceSG: "sg-b", Description: "the user's"}
	sg := &SecurityGroupState{ID: "sg-n", Ingress: []model.Rule{
		ours(30001, 30001), // the range below allows 30001 too: spare
		ours(30000, 30002), // then the only rule for 30001 and 30002: kept
		ours(30005, 30005), // the user's rule allows it too: spare
		ours(31000, 31000), // no Service needs it: spare
		user,
	}}
	needs := []model.BackendRule{{NodeSG: "sg-n", Protocol: "tcp", Port: 30001}, {NodeSG: "sg-n", Protocol: "tcp", Port: 30002},
		{NodeSG: "sg-n", Protocol: "tcp", Port: 30005}}
	got := spareRules(sg.Ingress, "sg-b", needs)
	want := []model.Rule{ours(30001, 30001), ours(30005, 30005), ours(31000, 31000)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestInUsePortsAreNeverSpare(t *testing.T) {
	d := New(Deps{})
	st, release := d.inv.acquire(svcStack("ns/svc"), time.Now)
	st.TargetGroups = []*TargetGroupState{{Protocol: "TCP", Port: 30500, HealthCheck: model.HealthCheck{Port: "traffic-port"}}}
	release()
	sg := &SecurityGroupState{ID: "sg-n", Ingress: []model.Rule{{Protocol: "tcp", FromPort: 30500, ToPort: 30500,
		SourceSG: "sg-b", Description: model.BackendRuleDescription}}}
	// The desired state no longer has port 30500 (a replacement target group
	// is on its way), but the old one still serves it.
	keep := d.inUse(sg, "sg-b", nil)
	if spare := spareRules(sg.Ingress, "sg-b", keep); len(spare) != 0 {
		t.Errorf("a rule for a port in use was spare: %+v", spare)
	}
}

// TestCIDRRulesAllowExactlyTheNeededPorts: rules from a CIDR are never
// merged into ranges that bridge ports nobody needs, however many ports.
func TestCIDRRulesAllowExactlyTheNeededPorts(t *testing.T) {
	var needs []model.BackendRule
	var want []model.Rule
	for i := int32(0); i < 25; i++ {
		port := 30000 + 7*i
		needs = append(needs, model.BackendRule{NodeSG: "sg-n", Protocol: "tcp", Port: port, CIDR: "0.0.0.0/0"})
		want = append(want, model.Rule{Protocol: "tcp", FromPort: port, ToPort: port, CIDR: "0.0.0.0/0",
			Description: model.BackendRuleDescription})
	}
	// Adjacent ports share a rule: it still allows only needed ports.
	needs = append(needs, model.BackendRule{NodeSG: "sg-n", Protocol: "tcp", Port: 30001, CIDR: "0.0.0.0/0"})
	want[0].ToPort = 30001
	if d := cmp.Diff(want, desiredBackendRules("sg-b", needs, false)["sg-n"]); d != "" {
		t.Error(d)
	}
}
