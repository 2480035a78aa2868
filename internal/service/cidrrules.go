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
//
// An IPv6 target group sees IPv6 sources only: clients default to ::/0 (or
// the VPC's IPv6 blocks when internal) and the load balancer's own
// addresses are in its subnets' IPv6 blocks, as LBC opens them.
func cidrRules(in Input, tgs []model.TargetGroup, scheme, ipType string, userRanges, subnets []string) []model.BackendRule {
	seen := map[model.BackendRule]bool{}
	for _, tg := range tgs {
		subnetCIDRs := subnetCIDRsOf(in.Facts.Subnets, subnets, tg.IPAddressType)
		sources := subnetCIDRs
		if preservesClientIP(tg) {
			sources = clientRanges(in, tg.IPAddressType, scheme, ipType, userRanges)
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
	return model.SortedBackendRules(seen)
}

// clientRanges are where a target group's clients are: the user's source
// ranges, else everywhere (internet-facing) or the VPC (internal), in the
// target group's IP family.
func clientRanges(in Input, tgIPType, scheme, ipType string, userRanges []string) []string {
	if len(userRanges) > 0 {
		return userRanges
	}
	if tgIPType == TargetGroupIPv6 {
		if scheme == SchemeInternetFacing {
			return []string{"::/0"}
		}
		return onlyIPv6(in.Facts.VPCCIDRs)
	}
	if scheme == SchemeInternetFacing {
		if ipType == "dualstack" {
			return []string{"0.0.0.0/0", "::/0"}
		}
		return []string{"0.0.0.0/0"}
	}
	return in.Facts.VPCCIDRs
}

// subnetCIDRsOf returns the CIDRs of the chosen subnets in the target
// group's IP family.
func subnetCIDRsOf(facts []Subnet, chosen []string, tgIPType string) []string {
	var out []string
	for _, id := range chosen {
		for _, s := range facts {
			if s.ID != id {
				continue
			}
			if tgIPType == TargetGroupIPv6 {
				out = append(out, s.IPv6CIDRs...)
			} else if s.CIDR != "" {
				out = append(out, s.CIDR)
			}
		}
	}
	return out
}

func onlyIPv6(cidrs []string) []string {
	var out []string
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Addr().Is6() {
			out = append(out, c)
		}
	}
	return out
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
