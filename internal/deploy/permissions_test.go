package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// What kelb sends comes back from AWS as the same rules, so that a
// converged group is never rewritten: prefix-list and ICMP rules included.
func TestPermissionsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rule model.Rule
	}{
		{"IPv4 range", model.Rule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.0.0/16"}},
		{"IPv6 range", model.Rule{Protocol: "udp", FromPort: 53, ToPort: 53, CIDR: "::/0"}},
		{"group", model.Rule{Protocol: "tcp", FromPort: 30000, ToPort: 30100, SourceSG: "sg-1", Description: "d"}},
		{"prefix list", model.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListID: "pl-0123456789abcdef0"}},
		{"ICMP path MTU", model.Rule{Protocol: "icmp", FromPort: 3, ToPort: 4, CIDR: "0.0.0.0/0"}},
		{"ICMPv6 packet too big", model.Rule{Protocol: "icmpv6", FromPort: 2, ToPort: 0, CIDR: "::/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rulesFromPermissions(permissions([]model.Rule{tt.rule}))
			if d := cmp.Diff([]model.Rule{tt.rule}, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// A prefix-list rule is its own rule: never the same as a rule of the same
// port from a range or group, so one is never taken for the other.
func TestPrefixListRuleKey(t *testing.T) {
	pl := model.Rule{Protocol: "tcp", FromPort: 80, ToPort: 80, PrefixListID: "pl-0123456789abcdef0"}
	for _, other := range []model.Rule{
		{Protocol: "tcp", FromPort: 80, ToPort: 80},
		{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0"},
		{Protocol: "tcp", FromPort: 80, ToPort: 80, PrefixListID: "pl-0123456789abcdef1"},
	} {
		if keyOf(pl) == keyOf(other) {
			t.Errorf("%+v and %+v share a key", pl, other)
		}
	}
	if got := unwantedRules([]model.Rule{pl}, nil); len(got) != 1 {
		t.Errorf("an unwanted prefix-list rule in the managed group is not revoked: %v", got)
	}
}
