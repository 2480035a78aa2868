package sgpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTargetGroupRules(t *testing.T) {
	tests := []struct {
		name string
		tg   TargetGroupPorts
		want []PortRule
	}{
		{"TCP on the traffic port", TargetGroupPorts{Protocol: "TCP", TrafficPorts: []int32{30080}},
			[]PortRule{{"tcp", 30080}}},
		{"TLS on the traffic port", TargetGroupPorts{Protocol: "TLS", TrafficPorts: []int32{30443}},
			[]PortRule{{"tcp", 30443}}},
		{"UDP checked over TCP on the traffic port", TargetGroupPorts{Protocol: "UDP", TrafficPorts: []int32{30053}},
			[]PortRule{{"tcp", 30053}, {"udp", 30053}}},
		{"UDP checked on a port of its own: tcp there, never udp", TargetGroupPorts{Protocol: "UDP",
			TrafficPorts: []int32{30053}, HealthCheckPort: 32000},
			[]PortRule{{"udp", 30053}, {"tcp", 32000}}},
		{"TCP_UDP on the traffic port", TargetGroupPorts{Protocol: "TCP_UDP", TrafficPorts: []int32{30080}},
			[]PortRule{{"tcp", 30080}, {"udp", 30080}}},
		{"TCP with HTTP health checks on the health-check node port", TargetGroupPorts{Protocol: "TCP",
			TrafficPorts: []int32{30080}, HealthCheckPort: 31999},
			[]PortRule{{"tcp", 30080}, {"tcp", 31999}}},
		{"health-check port equal to the traffic port", TargetGroupPorts{Protocol: "UDP",
			TrafficPorts: []int32{30053}, HealthCheckPort: 30053},
			[]PortRule{{"tcp", 30053}, {"udp", 30053}}},
		{"ip targets: every target's port, checked on each", TargetGroupPorts{Protocol: "UDP",
			TrafficPorts: []int32{8053, 9053}},
			[]PortRule{{"tcp", 8053}, {"udp", 8053}, {"tcp", 9053}, {"udp", 9053}}},
		{"no targets, a health-check port: only that", TargetGroupPorts{Protocol: "UDP", HealthCheckPort: 32000},
			[]PortRule{{"tcp", 32000}}},
		{"no targets, traffic port: nothing", TargetGroupPorts{Protocol: "UDP"}, []PortRule{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, TargetGroupRules(tt.tg)); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}
