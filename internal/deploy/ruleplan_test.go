package deploy

import (
	"reflect"
	"testing"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestPlanRules(t *testing.T) {
	ours := func(from, to int32) model.Rule {
		return model.Rule{Protocol: "tcp", FromPort: from, ToPort: to, SourceSG: "sg-b", Description: model.BackendRuleDescription}
	}
	user := func(port int32, cidr string) model.Rule {
		return model.Rule{Protocol: "tcp", FromPort: port, ToPort: port, CIDR: cidr, Description: "by hand"}
	}
	need := func(port int32) model.BackendRule {
		return model.BackendRule{NodeSG: "sg-n", Protocol: "tcp", Port: port}
	}
	tests := []struct {
		name string
		c    ruleChange
		want rulePlan
	}{
		{"nothing to do", ruleChange{Have: []model.Rule{ours(30000, 30000)}, Desired: []model.Rule{ours(30000, 30000)}},
			rulePlan{}},
		{"new port: authorize only", ruleChange{Have: []model.Rule{ours(30000, 30000)},
			Desired: []model.Rule{ours(30000, 30000), ours(30100, 30100)}},
			rulePlan{Authorize: []model.Rule{ours(30100, 30100)}}},
		{"a range replaces two ports: authorize, then revoke", ruleChange{Have: []model.Rule{ours(30000, 30000), ours(30002, 30002)},
			Desired: []model.Rule{ours(30000, 30002)}},
			rulePlan{Authorize: []model.Rule{ours(30000, 30002)}, Revoke: []model.Rule{ours(30000, 30000), ours(30002, 30002)}}},
		{"hand-made rules are never revoked", ruleChange{Have: []model.Rule{user(22, "10.0.0.0/8"), ours(30000, 30000)},
			Desired: nil}, rulePlan{Revoke: []model.Rule{ours(30000, 30000)}}},
		{"within the limit", ruleChange{Have: []model.Rule{user(22, "10.0.0.0/8"), ours(30000, 30000)},
			Desired: []model.Rule{ours(30000, 30000), ours(30100, 30100)}, Limit: 3},
			rulePlan{Authorize: []model.Rule{ours(30100, 30100)}}},
		{"at the limit: an unwanted rule nothing needs makes room first",
			ruleChange{Have: []model.Rule{user(22, "10.0.0.0/8"), ours(30000, 30000), ours(30500, 30500)},
				Desired: []model.Rule{ours(30000, 30000), ours(30100, 30100)}, Keep: []model.BackendRule{need(30000), need(30100)},
				BackendSG: "sg-b", Limit: 3},
			rulePlan{Free: []model.Rule{ours(30500, 30500)}, Authorize: []model.Rule{ours(30100, 30100)}}},
		{"at the limit: a rule traffic still uses is not freed, the change is blocked",
			ruleChange{Have: []model.Rule{user(22, "10.0.0.0/8"), ours(30000, 30000), ours(30500, 30500)},
				Desired: []model.Rule{ours(30000, 30000), ours(30100, 30100)},
				Keep:    []model.BackendRule{need(30000), need(30100), need(30500)}, BackendSG: "sg-b", Limit: 3},
			rulePlan{Blocked: true}},
		{"at the limit: freeing is not enough, nothing is done",
			ruleChange{Have: []model.Rule{user(22, "10.0.0.0/8"), ours(30500, 30500)},
				Desired: []model.Rule{ours(30000, 30000), ours(30100, 30100)}, Keep: []model.BackendRule{need(30000), need(30100)},
				BackendSG: "sg-b", Limit: 2},
			rulePlan{Blocked: true}},
		{"a rule a served port depends on is not revoked", ruleChange{Have: []model.Rule{ours(30000, 30000), ours(30500, 30500)},
			Desired: []model.Rule{ours(30000, 30000)}, Keep: []model.BackendRule{need(30500)}},
			rulePlan{}},
		{"a port another controller's object may use keeps its rule, from any source",
			ruleChange{Have: []model.Rule{ours(30000, 30000), ours(30400, 30600)}, Desired: []model.Rule{ours(30000, 30000)},
				Keep: []model.BackendRule{{NodeSG: "sg-n", Protocol: "tcp", Port: 30555, CIDR: AnySource}}},
			rulePlan{}},
		{"a kept port a desired rule covers does not hold the old rule", ruleChange{Have: []model.Rule{ours(30500, 30500)},
			Desired: []model.Rule{ours(30400, 30600)}, Keep: []model.BackendRule{need(30500)}},
			rulePlan{Authorize: []model.Rule{ours(30400, 30600)}, Revoke: []model.Rule{ours(30500, 30500)}}},
		{"an explicit add is all that is authorized", ruleChange{Have: nil,
			Desired: []model.Rule{ours(30000, 30000), ours(30100, 30100)}, Add: []model.Rule{ours(30100, 30100)}},
			rulePlan{Authorize: []model.Rule{ours(30100, 30100)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.c.BackendSG == "" {
				tt.c.BackendSG = "sg-b"
			}
			if got := planRules(tt.c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
