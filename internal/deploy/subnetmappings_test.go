package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestSubnetsNeedSetting(t *testing.T) {
	have := func(mutate func(*LoadBalancerState)) *LoadBalancerState {
		s := &LoadBalancerState{Subnets: []string{"subnet-a", "subnet-b"}, IPAddressType: "dualstack",
			PrefixForIPv6SourceNAT: "on", SubnetAddresses: map[string]subnetAddresses{
				"subnet-a": {AllocationID: "eipalloc-1", IPv6Address: "2600::a", SourceNATPrefix: "2600:0:0:1:1::/80"},
				"subnet-b": {AllocationID: "eipalloc-2", SourceNATPrefix: "2600:0:0:2:5::/80"}}}
		if mutate != nil {
			mutate(s)
		}
		return s
	}
	want := func(ms ...model.SubnetMapping) model.LoadBalancer {
		return model.LoadBalancer{Subnets: []string{"subnet-a", "subnet-b"}, IPAddressType: "dualstack",
			EnablePrefixForIPv6SourceNAT: "on", SubnetMappings: ms}
	}
	tests := []struct {
		name      string
		have      *LoadBalancerState
		want      model.LoadBalancer
		set       bool
		pinnedOff []string
	}{
		{"as AWS has it", have(nil), want(
			model.SubnetMapping{SubnetID: "subnet-a", AllocationID: "eipalloc-1", SourceNATPrefix: "auto_assigned"},
			model.SubnetMapping{SubnetID: "subnet-b", AllocationID: "eipalloc-2", SourceNATPrefix: "2600:0:0:2:5::/80"}),
			false, nil},
		{"a subnet added", have(nil), model.LoadBalancer{Subnets: []string{"subnet-a", "subnet-b", "subnet-c"}}, true, nil},
		{"source NAT turned off", have(nil), model.LoadBalancer{Subnets: []string{"subnet-a", "subnet-b"},
			EnablePrefixForIPv6SourceNAT: "off"}, true, nil},
		{"source NAT left to AWS", have(nil), model.LoadBalancer{Subnets: []string{"subnet-a", "subnet-b"}}, false, nil},
		{"another source-NAT prefix", have(nil), want(model.SubnetMapping{SubnetID: "subnet-b",
			SourceNATPrefix: "2600:0:0:2:6::/80"}), true, nil},
		{"auto_assigned where AWS has none", have(func(s *LoadBalancerState) {
			s.SubnetAddresses["subnet-b"] = subnetAddresses{}
		}), want(model.SubnetMapping{SubnetID: "subnet-b", SourceNATPrefix: "auto_assigned"}), true, nil},
		{"another Elastic IP: AWS cannot change it, nothing is sent", have(nil), want(
			model.SubnetMapping{SubnetID: "subnet-a", AllocationID: "eipalloc-9"}), false, []string{"subnet-a"}},
		{"IPv6 addresses for an ipv4 load balancer turning dualstack", have(func(s *LoadBalancerState) {
			s.IPAddressType = "ipv4"
			s.SubnetAddresses = map[string]subnetAddresses{}
		}), want(model.SubnetMapping{SubnetID: "subnet-a", IPv6Address: "2600::a"}), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := subnetsNeedSetting(tt.have, tt.want); got != tt.set {
				t.Errorf("subnetsNeedSetting = %v, want %v", got, tt.set)
			}
			if d := cmp.Diff(tt.pinnedOff, pinnedAddressDrift(tt.have, tt.want)); d != "" {
				t.Errorf("pinned drift (-want +got)\n%s", d)
			}
		})
	}
}
