package sgpolicy

import (
	"slices"

	"github.com/kelb-dev/kelb/internal/model"
)

// TargetGroupPorts is what the rules in front of a target group's targets
// must let in: its traffic and its health checks.
type TargetGroupPorts struct {
	// Protocol is the target group's protocol: TCP, UDP, TCP_UDP, TLS.
	Protocol string
	// TrafficPorts are the ports targets receive traffic on (the node port
	// for instance targets; every target's own port for ip targets).
	TrafficPorts []int32
	// HealthCheckPort is the health checks' own port; 0 when they go to
	// the traffic port.
	HealthCheckPort int32
}

// PortRule is one protocol and port a node (or pod) must accept.
type PortRule struct {
	Protocol string // tcp | udp
	Port     int32
}

// TargetGroupRules returns the protocols and ports a target group's targets
// must accept, as LBC's NLB builder puts them in its TargetGroupBinding's
// networking rules: traffic with the target group's protocol (tcp and udp
// for TCP_UDP), and health checks always over tcp (TCP, HTTP and HTTPS
// health checks all are), on the traffic port or the health-check port.
// Nothing else: a UDP target group's health-check port is never opened for
// udp. Sorted by port, then protocol.
func TargetGroupRules(tg TargetGroupPorts) []PortRule {
	seen := map[PortRule]bool{}
	for _, p := range tg.TrafficPorts {
		for _, proto := range TrafficPortProtocols(tg.Protocol, tg.HealthCheckPort == 0 || tg.HealthCheckPort == p) {
			seen[PortRule{proto, p}] = true
		}
	}
	if tg.HealthCheckPort != 0 {
		seen[PortRule{"tcp", tg.HealthCheckPort}] = true
	}
	out := make([]PortRule, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b PortRule) int {
		if a.Port != b.Port {
			return int(a.Port - b.Port)
		}
		if a.Protocol < b.Protocol {
			return -1
		}
		if a.Protocol > b.Protocol {
			return 1
		}
		return 0
	})
	return out
}

// TrafficPortProtocols returns the protocols a target group's targets must
// accept on their traffic port, in LBC's order: the target group's own (tcp
// and udp for TCP_UDP), then tcp for the health checks when they go to the
// traffic port and tcp is not already there (a UDP target group). Health
// checks on a port of their own need tcp there too (TargetGroupRules; the
// TargetGroupBindings' networking).
func TrafficPortProtocols(protocol string, healthChecksOnTrafficPort bool) []string {
	out := model.RuleProtocols(protocol)
	if healthChecksOnTrafficPort && !slices.Contains(out, "tcp") {
		out = append(out, "tcp")
	}
	return out
}
