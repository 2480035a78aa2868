package service

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/kelb-dev/kelb/internal/model"
)

// Annotations that pin addresses per subnet (LBC's).
const (
	AnnEIPAllocations         = Prefix + "eip-allocations"
	AnnPrivateIPv4Addresses   = Prefix + "private-ipv4-addresses"
	AnnIPv6Addresses          = Prefix + "ipv6-addresses"
	AnnEnablePrefixSourceNAT  = Prefix + "enable-prefix-for-ipv6-source-nat"
	AnnSourceNATIPv6Prefixes  = Prefix + "source-nat-ipv6-prefixes"
	sourceNATAutoAssigned     = "auto_assigned"
	sourceNATPrefixBits       = 80
	eipAllocationAllowedValue = "Elastic IP allocation ids (eipalloc-...), one per subnet"
)

var eipAllocationID = regexp.MustCompile(`^eipalloc-[0-9a-f]+$`)

// subnetMappingsOf reads what the Service pins per subnet and checks it as
// LBC does, and more (what AWS would refuse at creation): every list has
// one value per subnet, in the subnets' order (sorted by id) for Elastic
// IPs and source-NAT prefixes, by subnet CIDR for addresses. It returns nil
// mappings when nothing is pinned, and the source-NAT setting ("" when not
// set).
func subnetMappingsOf(a annotations, scheme, ipType string, subnets []string, facts []Subnet) (
	[]model.SubnetMapping, string, error) {
	bySubnet := map[string]Subnet{}
	for _, s := range facts {
		bySubnet[s.ID] = s
	}
	chosen := make([]Subnet, 0, len(subnets))
	for _, id := range subnets {
		chosen = append(chosen, bySubnet[id])
	}
	prefixNAT, err := sourceNATSetting(a, ipType, chosen)
	if err != nil {
		return nil, "", err
	}
	mappings := make([]model.SubnetMapping, len(chosen))
	for i, s := range chosen {
		mappings[i].SubnetID = s.ID
	}
	pinned := false
	if eips := a.list(AnnEIPAllocations); len(eips) > 0 {
		if scheme != SchemeInternetFacing {
			return nil, "", &AnnotationError{Annotation: AnnEIPAllocations, Value: a[AnnEIPAllocations],
				Allowed: "Elastic IP allocations only on an internet-facing load balancer (scheme internet-facing)"}
		}
		if err := checkCount(AnnEIPAllocations, a, eips, chosen); err != nil {
			return nil, "", err
		}
		for i, id := range eips {
			if !eipAllocationID.MatchString(id) {
				return nil, "", &AnnotationError{Annotation: AnnEIPAllocations, Value: id, Allowed: eipAllocationAllowedValue}
			}
			mappings[i].AllocationID = id
		}
		pinned = true
	}
	if raw := a.list(AnnPrivateIPv4Addresses); len(raw) > 0 {
		if scheme != SchemeInternal {
			return nil, "", &AnnotationError{Annotation: AnnPrivateIPv4Addresses, Value: a[AnnPrivateIPv4Addresses],
				Allowed: "private IPv4 addresses only on an internal load balancer (scheme internal)"}
		}
		if err := placeAddresses(AnnPrivateIPv4Addresses, a, raw, chosen, false, func(i int, ip string) {
			mappings[i].PrivateIPv4 = ip
		}); err != nil {
			return nil, "", err
		}
		pinned = true
	}
	if raw := a.list(AnnIPv6Addresses); len(raw) > 0 {
		if ipType != "dualstack" {
			return nil, "", &AnnotationError{Annotation: AnnIPv6Addresses, Value: a[AnnIPv6Addresses],
				Allowed: "IPv6 addresses only on a dualstack load balancer (annotation " + AnnIPAddressType + ": dualstack)"}
		}
		if err := placeAddresses(AnnIPv6Addresses, a, raw, chosen, true, func(i int, ip string) {
			mappings[i].IPv6Address = ip
		}); err != nil {
			return nil, "", err
		}
		pinned = true
	}
	if raw := a.list(AnnSourceNATIPv6Prefixes); len(raw) > 0 {
		if err := sourceNATPrefixes(a, raw, ipType, prefixNAT, chosen, mappings); err != nil {
			return nil, "", err
		}
		pinned = true
	}
	if !pinned {
		mappings = nil
	}
	return mappings, prefixNAT, nil
}

func checkCount(key string, a annotations, values []string, subnets []Subnet) error {
	if len(values) == len(subnets) {
		return nil
	}
	return &AnnotationError{Annotation: key, Value: a[key],
		Allowed: fmt.Sprintf("exactly one value per subnet of the load balancer (%d values for %d subnets: %s)",
			len(values), len(subnets), subnetIDs(subnets))}
}

// placeAddresses puts each address in the one subnet whose CIDR holds it;
// every subnet must get exactly one.
func placeAddresses(key string, a annotations, raw []string, subnets []Subnet, ipv6 bool, set func(int, string)) error {
	if err := checkCount(key, a, raw, subnets); err != nil {
		return err
	}
	family := "IPv4"
	if ipv6 {
		family = "IPv6"
	}
	var addrs []netip.Addr
	for _, r := range raw {
		ip, err := netip.ParseAddr(r)
		if err != nil || ip.Is6() != ipv6 || ip.Is4In6() {
			return &AnnotationError{Annotation: key, Value: r, Allowed: family + " addresses, one in each subnet of the load balancer"}
		}
		addrs = append(addrs, ip)
	}
	for i, s := range subnets {
		cidrs := []string{s.CIDR}
		if ipv6 {
			cidrs = s.IPv6CIDRs
		}
		var inside []netip.Addr
		for _, ip := range addrs {
			if inAny(ip, cidrs) {
				inside = append(inside, ip)
			}
		}
		if len(inside) != 1 {
			return &AnnotationError{Annotation: key, Value: a[key], Allowed: fmt.Sprintf(
				"exactly one %s address in each subnet of the load balancer (subnet %s, %s, has %d)",
				family, s.ID, strings.Join(cidrs, " "), len(inside))}
		}
		set(i, inside[0].String())
	}
	return nil
}

// sourceNATSetting reads enable-prefix-for-ipv6-source-nat: "on" needs a
// dualstack load balancer whose every subnet has an IPv6 block.
func sourceNATSetting(a annotations, ipType string, subnets []Subnet) (string, error) {
	if _, ok := a[AnnEnablePrefixSourceNAT]; !ok {
		return "", nil
	}
	v, err := a.enum(AnnEnablePrefixSourceNAT, "", "on", "off")
	if err != nil || v == "off" {
		return v, err
	}
	if ipType != "dualstack" {
		return "", &AnnotationError{Annotation: AnnEnablePrefixSourceNAT, Value: v,
			Allowed: "off, or on with a dualstack load balancer (annotation " + AnnIPAddressType + ": dualstack)"}
	}
	var without []string
	for _, s := range subnets {
		if len(s.IPv6CIDRs) == 0 {
			without = append(without, s.ID)
		}
	}
	if len(without) > 0 {
		return "", &AnnotationError{Annotation: AnnEnablePrefixSourceNAT, Value: v, External: true,
			Allowed: "off, or on when every subnet of the load balancer has an IPv6 block (" +
				strings.Join(without, ", ") + " has none)"}
	}
	return v, nil
}

// sourceNATPrefixes checks source-nat-ipv6-prefixes: one per subnet in the
// subnets' order, each auto_assigned or a /80 of that subnet's IPv6 blocks.
func sourceNATPrefixes(a annotations, raw []string, ipType, prefixNAT string, subnets []Subnet,
	mappings []model.SubnetMapping) error {
	key := AnnSourceNATIPv6Prefixes
	if ipType != "dualstack" || prefixNAT != "on" {
		return &AnnotationError{Annotation: key, Value: a[key], Allowed: "prefixes only on a dualstack load balancer " +
			"with annotation " + AnnEnablePrefixSourceNAT + ": on"}
	}
	if err := checkCount(key, a, raw, subnets); err != nil {
		return err
	}
	for i, r := range raw {
		if r == sourceNATAutoAssigned {
			mappings[i].SourceNATPrefix = r
			continue
		}
		p, err := netip.ParsePrefix(r)
		if err != nil || !p.Addr().Is6() || p.Bits() != sourceNATPrefixBits || !inAny(p.Addr(), subnets[i].IPv6CIDRs) {
			return &AnnotationError{Annotation: key, Value: r, Allowed: fmt.Sprintf(
				"auto_assigned or an IPv6 /%d of subnet %s (%s), one per subnet in the order %s",
				sourceNATPrefixBits, subnets[i].ID, strings.Join(subnets[i].IPv6CIDRs, " "), subnetIDs(subnets))}
		}
		mappings[i].SourceNATPrefix = p.Masked().String()
	}
	return nil
}

func inAny(ip netip.Addr, cidrs []string) bool {
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

func subnetIDs(subnets []Subnet) string {
	ids := make([]string, 0, len(subnets))
	for _, s := range subnets {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ", ")
}
