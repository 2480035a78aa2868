package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestExpandKeptRules(t *testing.T) {
	tag := func(resource string) map[string]string { return map[string]string{model.TagIngressResource: resource} }
	have := []ruleHave{
		{ARN: "r-b1", Priority: 2, Key: "b1", TargetGroups: []string{"tg-b"}},
		{ARN: "r-a", Priority: 1, Key: "a", TargetGroups: []string{"tg-a"}},
		{ARN: "r-b2", Priority: 3, Key: "b2", TargetGroups: []string{"tg-b"}},
		{ARN: "r-c", Priority: 4, Key: "c", TargetGroups: []string{"tg-c"}},
	}
	kept := map[string]string{"tg-b": "ns/b", "tg-c": "ns/c"}
	tests := []struct {
		name  string
		want  []model.ListenerRule
		rules []sdkRule
		out   []sdkRule
	}{{
		name:  "without place holders the rules stay as built",
		want:  []model.ListenerRule{{Priority: 1}},
		rules: []sdkRule{{Priority: 1, Key: "a", Tags: tag("80:1")}},
		out:   []sdkRule{{Priority: 1, Key: "a", Tags: tag("80:1")}},
	}, {
		name: "a kept member's rules take its place, in their order, and keep their priorities",
		want: []model.ListenerRule{{Priority: 1}, {Priority: 2, KeptMember: "ns/b", Tags: tag("80:2")},
			{Priority: 3}, {Priority: 4, KeptMember: "ns/gone", Tags: tag("80:4")}},
		rules: []sdkRule{{Priority: 1, Key: "a", Tags: tag("80:1")}, {}, {Priority: 3, Key: "new", Tags: tag("80:3")}, {}},
		out: []sdkRule{{Priority: 1, Key: "a", Tags: tag("80:1")}, {Priority: 2, Key: "b1", Tags: tag("80:2")},
			{Priority: 3, Key: "b2", Tags: tag("80:3")}, {Priority: 4, Key: "new", Tags: tag("80:4")}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := expandKeptRules(tc.want, tc.rules, sortedHave(have), kept)
			placeRules(80, got, sortedHave(have))
			if d := cmp.Diff(tc.out, got); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
		})
	}
}

func sortedHave(h []ruleHave) []ruleHave {
	out := append([]ruleHave(nil), h...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Priority < out[i].Priority {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestKeptFrontendRules(t *testing.T) {
	sg := &SecurityGroupState{Ingress: []model.Rule{
		{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0"},
		{Protocol: "tcp", FromPort: 8080, ToPort: 8080, CIDR: "0.0.0.0/0"},
		{Protocol: "tcp", FromPort: 8080, ToPort: 8080, CIDR: "::/0"},
		{Protocol: "tcp", FromPort: 9000, ToPort: 9100, CIDR: "10.0.0.0/8"},
	}}
	tests := []struct {
		name  string
		ports map[int32]bool
		want  []model.Rule
	}{
		{"no kept listener keeps nothing", nil, nil},
		{"a kept port keeps every rule to it", map[int32]bool{8080: true}, sg.Ingress[1:3]},
		{"a range that holds the port", map[int32]bool{9050: true}, sg.Ingress[3:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, keptFrontendRules(sg, tc.ports)); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
		})
	}
}
