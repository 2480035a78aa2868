package deploy

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// applyRulePlan plays a plan on a listener (ARN -> rule) as AWS would,
// step by step, and checks that AWS would take each step (no two rules
// at one priority) and that every meaning wanted before and after is
// served at every step in between (no request of it falls to the default
// action). It returns the final rules by priority.
func applyRulePlan(t *testing.T, have []ruleHave, want []ruleWant, p listenerRulePlan) map[int32]string {
	t.Helper()
	rules := map[string]ruleHave{}
	for _, h := range have {
		rules[h.ARN] = h
	}
	wantKeys := map[string]bool{}
	for _, w := range want {
		wantKeys[w.Key] = true
	}
	var kept []string // meanings served before and after
	for _, h := range have {
		if wantKeys[h.Key] {
			kept = append(kept, h.Key)
		}
	}
	check := func(step string) {
		byPriority := map[int32]string{}
		served := map[string]bool{}
		for arn, r := range rules {
			if other, ok := byPriority[r.Priority]; ok {
				t.Errorf("after %s: rules %s and %s share priority %d", step, other, arn, r.Priority)
			}
			byPriority[r.Priority] = arn
			served[r.Key] = true
		}
		for _, k := range kept {
			if !served[k] {
				t.Errorf("after %s: no rule serves %q: its requests fall to the default action", step, k)
			}
		}
	}
	for _, m := range p.Modify {
		r := rules[m.ARN]
		r.Key = want[m.Want].Key
		rules[m.ARN] = r
		check("modify " + m.ARN)
	}
	if len(p.Move) > 0 {
		for _, m := range p.Move { // one call: AWS applies it at once
			r := rules[m.ARN]
			r.Priority = m.Priority
			rules[m.ARN] = r
		}
		check("set rule priorities")
	}
	if len(p.DeleteFirst) > 0 {
		// Only at the quota: what these rules served may meet the
		// default action until the creates; the test checks the plan.
		kept = nil
	}
	for i, wi := range p.Create {
		arn := fmt.Sprintf("new-%d", i)
		rules[arn] = ruleHave{ARN: arn, Priority: want[wi].Priority, Key: want[wi].Key}
		check("create " + arn)
	}
	for _, arn := range p.DeleteFirst {
		delete(rules, arn)
	}
	for _, arn := range p.Delete {
		delete(rules, arn)
		check("delete " + arn)
	}
	out := map[int32]string{}
	for _, r := range rules {
		out[r.Priority] = r.Key
	}
	return out
}

func TestPlanListenerRules(t *testing.T) {
	h := func(arn string, priority int32, key string) ruleHave {
		return ruleHave{ARN: arn, Priority: priority, Key: key}
	}
	w := func(priority int32, key string) ruleWant { return ruleWant{Priority: priority, Key: key} }
	for _, tt := range []struct {
		name string
		have []ruleHave
		want []ruleWant
		plan listenerRulePlan
	}{
		{name: "converged: no write",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			want: []ruleWant{w(1, "/a"), w(2, "/b")},
			plan: listenerRulePlan{}},
		{name: "all new",
			want: []ruleWant{w(1, "/a"), w(2, "/b")},
			plan: listenerRulePlan{Create: []int{0, 1}}},
		{name: "a path changes: modified in place",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			want: []ruleWant{w(1, "/a"), w(2, "/c")},
			plan: listenerRulePlan{Modify: []ruleModify{{ARN: "r2", Want: 1}}}},
		{name: "a rule added at the end",
			have: []ruleHave{h("r1", 1, "/a")},
			want: []ruleWant{w(1, "/a"), w(2, "host b")},
			plan: listenerRulePlan{Create: []int{1}}},
		{name: "a rule added in front: the others move in one call, then it is created",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			want: []ruleWant{w(1, "/new"), w(2, "/a"), w(3, "/b")},
			plan: listenerRulePlan{Move: []ruleMove{{ARN: "r1", Priority: 2}, {ARN: "r2", Priority: 3}},
				Create: []int{0}, Retag: map[string]int{"r1": 1, "r2": 2}}},
		{name: "the last rule deleted",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			want: []ruleWant{w(1, "/a")},
			plan: listenerRulePlan{Delete: []string{"r2"}}},
		{name: "the first rule deleted: the next moves up, the deleted one parked until it goes",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			want: []ruleWant{w(1, "/b")},
			plan: listenerRulePlan{Move: []ruleMove{{ARN: "r2", Priority: 1}, {ARN: "r1", Priority: 50000}},
				Delete: []string{"r1"}, Retag: map[string]int{"r2": 0}}},
		{name: "two rules swap: one call",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			want: []ruleWant{w(1, "/b"), w(2, "/a")},
			plan: listenerRulePlan{Move: []ruleMove{{ARN: "r2", Priority: 1}, {ARN: "r1", Priority: 2}},
				Retag: map[string]int{"r1": 1, "r2": 0}}},
		{name: "a rule replaced by one elsewhere: create before delete",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b"), h("r3", 3, "/c")},
			want: []ruleWant{w(1, "/a"), w(2, "/c"), w(3, "/d")},
			plan: listenerRulePlan{Move: []ruleMove{{ARN: "r3", Priority: 2}, {ARN: "r2", Priority: 50000}},
				Create: []int{2}, Delete: []string{"r2"}, Retag: map[string]int{"r3": 1}}},
		{name: "parking skips priorities in use",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b"), h("r9", 50000, "/z")},
			want: []ruleWant{w(1, "/b"), w(50000, "/z")},
			plan: listenerRulePlan{Move: []ruleMove{{ARN: "r2", Priority: 1}, {ARN: "r1", Priority: 49999}},
				Delete: []string{"r1"}, Retag: map[string]int{"r2": 0}}},
		{name: "every rule unwanted",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/b")},
			plan: listenerRulePlan{Delete: []string{"r1", "r2"}}},
		{name: "duplicates of one meaning: one kept, the other modified",
			have: []ruleHave{h("r1", 1, "/a"), h("r2", 2, "/a")},
			want: []ruleWant{w(1, "/a"), w(2, "/b")},
			plan: listenerRulePlan{Modify: []ruleModify{{ARN: "r2", Want: 1}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := planListenerRules(tt.have, tt.want)
			if diff := cmp.Diff(tt.plan, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			final := applyRulePlan(t, tt.have, tt.want, got)
			wantFinal := map[int32]string{}
			for _, w := range tt.want {
				wantFinal[w.Priority] = w.Key
			}
			if diff := cmp.Diff(wantFinal, final); diff != "" {
				t.Errorf("rules after the plan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanListenerRulesRandom: for random edits of a rule set the plan
// always ends at the wanted rules, never puts two rules at one priority
// and never leaves a kept meaning unserved.
func TestPlanListenerRulesRandom(t *testing.T) {
	keys := []string{"/a", "/b", "/c", "/d", "/e", "/f", "/g"}
	for seed := range 300 {
		r := seed
		next := func(n int) int { r = (r*1103515245 + 12345) & 0x7fffffff; return r % n }
		var have []ruleHave
		for i, k := range keys {
			if next(2) == 0 {
				have = append(have, ruleHave{ARN: fmt.Sprintf("r%d", i), Priority: int32(len(have) + 1), Key: k})
			}
		}
		shuffled := slices.Clone(keys)
		for i := range shuffled {
			j := next(len(shuffled))
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		}
		var want []ruleWant
		for _, k := range shuffled[:next(len(keys)+1)] {
			want = append(want, ruleWant{Priority: int32(len(want) + 1), Key: k})
		}
		plan := planListenerRules(have, want)
		final := applyRulePlan(t, have, want, plan)
		wantFinal := map[int32]string{}
		for _, w := range want {
			wantFinal[w.Priority] = w.Key
		}
		if !maps.Equal(wantFinal, final) {
			t.Fatalf("seed %d: have %v want %v: plan %+v ends at %v", seed, have, want, plan, final)
		}
	}
}

// TestListenerRulePlanAtTheQuota: creates go first while the listener has
// room; at AWS's quota only as many deletes as needed go before them.
func TestListenerRulePlanAtTheQuota(t *testing.T) {
	plan := func() listenerRulePlan {
		return listenerRulePlan{Create: []int{0, 1}, Delete: []string{"r1", "r2", "r3"}}
	}
	for _, tt := range []struct {
		name  string
		have  int
		wantP listenerRulePlan
	}{
		{"room for both", 98, plan()},
		{"room for one", 99, listenerRulePlan{Create: []int{0, 1}, DeleteFirst: []string{"r1"}, Delete: []string{"r2", "r3"}}},
		{"no room", 100, listenerRulePlan{Create: []int{0, 1}, DeleteFirst: []string{"r1", "r2"}, Delete: []string{"r3"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := plan()
			got.makeRoom(tt.have, maxRulesPerListener)
			if diff := cmp.Diff(tt.wantP, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}
