package deploy

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// sourceNATAutoAssigned asks AWS to pick a subnet's source-NAT prefix; AWS
// then reports the prefix it picked.
const sourceNATAutoAssigned = "auto_assigned"

// subnetAddresses records what AWS reports a load balancer has in one
// subnet.
type subnetAddresses struct {
	AllocationID, PrivateIPv4, IPv6Address, SourceNATPrefix string
}

// readSubnetAddresses reads what each subnet of a described load balancer
// holds.
func readSubnetAddresses(zones []elbtypes.AvailabilityZone) map[string]subnetAddresses {
	out := map[string]subnetAddresses{}
	for _, az := range zones {
		var a subnetAddresses
		for _, addr := range az.LoadBalancerAddresses {
			if addr.AllocationId != nil {
				a.AllocationID = aws.ToString(addr.AllocationId)
			}
			if addr.PrivateIPv4Address != nil {
				a.PrivateIPv4 = aws.ToString(addr.PrivateIPv4Address)
			}
			if addr.IPv6Address != nil {
				a.IPv6Address = aws.ToString(addr.IPv6Address)
			}
		}
		if len(az.SourceNatIpv6Prefixes) > 0 {
			a.SourceNATPrefix = az.SourceNatIpv6Prefixes[0]
		}
		out[aws.ToString(az.SubnetId)] = a
	}
	return out
}

// sdkSubnetMappings renders the desired mappings for a create or SetSubnets.
func sdkSubnetMappings(ms []model.SubnetMapping) []elbtypes.SubnetMapping {
	out := make([]elbtypes.SubnetMapping, 0, len(ms))
	for _, m := range ms {
		out = append(out, elbtypes.SubnetMapping{SubnetId: aws.String(m.SubnetID),
			AllocationId: optional(m.AllocationID), PrivateIPv4Address: optional(m.PrivateIPv4),
			IPv6Address: optional(m.IPv6Address), SourceNatIpv6Prefix: optional(m.SourceNATPrefix)})
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// subnetsNeedSetting reports whether the load balancer's subnets must be
// set again: the subnets differ, a source-NAT prefix or the source-NAT
// setting differs, or a load balancer turning dualstack gets the IPv6
// addresses it is asked for. What AWS fixes at creation (a subnet's Elastic
// IP, private IPv4 or IPv6 address) is never a reason: like LBC, kelb
// leaves those as they are. An auto_assigned prefix matches whatever prefix
// AWS picked, so it causes no write once set.
func subnetsNeedSetting(have *LoadBalancerState, want model.LoadBalancer) bool {
	if !equalStrings(have.Subnets, want.Subnets) {
		return true
	}
	if want.EnablePrefixForIPv6SourceNAT != "" && want.EnablePrefixForIPv6SourceNAT != have.PrefixForIPv6SourceNAT {
		return true
	}
	for _, m := range want.SubnetMappings {
		got := have.SubnetAddresses[m.SubnetID]
		switch {
		case m.SourceNATPrefix == sourceNATAutoAssigned && got.SourceNATPrefix == "":
			return true
		case m.SourceNATPrefix != "" && m.SourceNATPrefix != sourceNATAutoAssigned && m.SourceNATPrefix != got.SourceNATPrefix:
			return true
		case m.IPv6Address != "" && have.IPAddressType != "dualstack" && got.IPv6Address == "":
			return true
		}
	}
	return false
}

// pinnedAddressDrift names the subnets whose pinned addresses differ from
// what AWS has: AWS cannot change them in place, so kelb reports them.
func pinnedAddressDrift(have *LoadBalancerState, want model.LoadBalancer) []string {
	var out []string
	for _, m := range want.SubnetMappings {
		got, ok := have.SubnetAddresses[m.SubnetID]
		if !ok {
			continue
		}
		if (m.AllocationID != "" && got.AllocationID != "" && m.AllocationID != got.AllocationID) ||
			(m.PrivateIPv4 != "" && got.PrivateIPv4 != "" && m.PrivateIPv4 != got.PrivateIPv4) ||
			(m.IPv6Address != "" && got.IPv6Address != "" && m.IPv6Address != got.IPv6Address) {
			out = append(out, m.SubnetID)
		}
	}
	return out
}
