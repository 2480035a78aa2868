package service

import (
	"net/netip"
	"strconv"

	"github.com/kelb-dev/kelb/internal/model"
)

const attrPreserveClientIP = "preserve_client_ip.enabled"

// preservesClientIP reports whether targets see clients' addresses: the
// attribute, else true for instance targets and false for ip targets; UDP
// and TCP_UDP always do.
func preservesClientIP(tg model.TargetGroup) bool {
	if tg.Protocol == "UDP" || tg.Protocol == "TCP_UDP" {
		return true
	}
	if v, ok := tg.Attributes[attrPreserveClientIP]; ok {
		b, err := strconv.ParseBool(v)
		return err == nil && b
	}
	return tg.TargetType == TargetInstance
}

// cidrRules are the node rules of a load balancer without security groups:
// traffic from where it really comes from (clients, or the load balancer's
// own addresses in its subnets), and health checks from the subnets when
// the traffic rule does not already let them in.
func cidrRules(in Input, tgs []model.TargetGroup, scheme, ipType string, userRanges, subnetCIDRs []string) []model.BackendRule {
	clients := userRanges
	if len(clients) == 0 {
		if scheme == SchemeInternetFacing {
			clients = []string{"0.0.0.0/0"}
			if ipType == "dualstack" {
				clients = append(clients, "::/0")
			}
		} else {
			clients = in.Facts.VPCCIDRs
		}
	}
	seen := map[model.BackendRule]bool{}
	for _, tg := range tgs {
		sources := subnetCIDRs
		if preservesClientIP(tg) {
			sources = clients
		}
		groups, ports := nodeTargets(in, tg)
		hc, hcErr := parsePort(tg.HealthCheck.Port)
		for _, sg := range groups {
			for port := range ports {
				for _, proto := range model.RuleProtocols(tg.Protocol) {
					for _, cidr := range sources {
						seen[model.BackendRule{NodeSG: sg, Protocol: proto, Port: port, CIDR: cidr}] = true
					}
				}
				hcPort := port
				if hcErr == nil {
					hcPort = hc
				}
				if hcPort == port && tg.Protocol != "UDP" && coversAll(sources, subnetCIDRs) {
					continue // the traffic rule lets the health checks in
				}
				for _, cidr := range subnetCIDRs {
					seen[model.BackendRule{NodeSG: sg, Protocol: "tcp", Port: hcPort, CIDR: cidr}] = true
				}
			}
		}
	}
	return sortedRules(seen)
}

// coversAll reports whether every CIDR of inner lies in one of outer.
func coversAll(outer, inner []string) bool {
	for _, in := range inner {
		p, err := netip.ParsePrefix(in)
		if err != nil {
			return false
		}
		ok := false
		for _, out := range outer {
			o, err := netip.ParsePrefix(out)
			ok = ok || (err == nil && o.Bits() <= p.Bits() && o.Contains(p.Addr()))
		}
		if !ok {
			return false
		}
	}
	return true
}
