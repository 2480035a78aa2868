package deploy

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func backendRule(from, to int32) model.Rule {
	return model.Rule{Protocol: "tcp", FromPort: from, ToPort: to, SourceSG: "sg-b", Description: model.BackendRuleDescription}
}

func sortedRules(rules []model.Rule) []model.Rule {
	out := append([]model.Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].FromPort < out[j].FromPort })
	return out
}

// TestAuthorizeAfterDuplicate: AWS refuses a whole batch when one rule in
// it exists (someone added it since kelb last read the group). kelb must
// still authorize the others, not take the refusal for success.
func TestAuthorizeAfterDuplicate(t *testing.T) {
	fake := newFakeEC2(map[string][]model.Rule{"sg-n": {backendRule(30001, 30001)}})
	d := New(Deps{EC2: fake, Config: Config{BackendSGID: "sg-b"}})
	stale := &SecurityGroupState{ID: "sg-n"} // kelb's view predates the rule
	if err := d.authorize(context.Background(), stale, []model.Rule{backendRule(30001, 30001), backendRule(30002, 30002)}); err != nil {
		t.Fatal(err)
	}
	want := []model.Rule{backendRule(30001, 30001), backendRule(30002, 30002)}
	if d := cmp.Diff(want, sortedRules(fake.groups["sg-n"])); d != "" {
		t.Errorf("rules in AWS: %s", d)
	}
	if d := cmp.Diff(want, sortedRules(stale.Ingress)); d != "" {
		t.Errorf("kelb's view: %s", d)
	}
}

// TestSyncRevokesOnAWSStateNotOnAStaleView: before revoking anything, the
// writer reads the group again; a needed rule that went missing since kelb
// last looked is put back first.
func TestSyncRevokesOnAWSStateNotOnAStaleView(t *testing.T) {
	fake := newFakeEC2(map[string][]model.Rule{"sg-n": nil})
	d := New(Deps{EC2: fake, Config: Config{BackendSGID: "sg-b"}})
	need := func(ports ...int32) BackendNeeds {
		n := BackendNeeds{NodeSGs: []string{"sg-n"}, Complete: true}
		for _, p := range ports {
			n.Rules = append(n.Rules, model.BackendRule{NodeSG: "sg-n", Protocol: "tcp", Port: p})
		}
		return n
	}
	if errs, err := d.SyncBackendRules(context.Background(), need(30000, 30002)); err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	// The rule for 30000 disappears behind kelb's back; then 30002 is no
	// longer needed.
	fake.groups["sg-n"] = []model.Rule{backendRule(30002, 30002)}
	if errs, err := d.SyncBackendRules(context.Background(), need(30000)); err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if d := cmp.Diff([]model.Rule{backendRule(30000, 30000)}, fake.groups["sg-n"]); d != "" {
		t.Errorf("rules in AWS: %s", d)
	}
}
