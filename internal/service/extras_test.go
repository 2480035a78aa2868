package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kelb-dev/kelb/internal/model"
)

// dualSubnets have IPv4 and IPv6 blocks, one per zone.
var dualSubnets = []Subnet{
	{ID: "subnet-a", AZ: "us-west-2a", CIDR: "10.0.1.0/24", IPv6CIDRs: []string{"2600:1f14:1::/64"}},
	{ID: "subnet-b", AZ: "us-west-2b", CIDR: "10.0.2.0/24", IPv6CIDRs: []string{"2600:1f14:2::/64"}},
}

func withDualSubnets(in *Input) { in.Facts.Subnets = dualSubnets }

func TestSubnetMappings(t *testing.T) {
	type got struct {
		Mappings  []model.SubnetMapping
		PrefixNAT string
		Error     outcome
	}
	public := []string{AnnScheme, SchemeInternetFacing}
	dual := []string{AnnIPAddressType, "dualstack"}
	tests := []struct {
		name string
		ann  []string
		want got
	}{
		{"nothing pinned", nil, got{}},
		{"Elastic IPs by subnet order", append(public, AnnEIPAllocations, "eipalloc-1a, eipalloc-2b"), got{
			Mappings: []model.SubnetMapping{{SubnetID: "subnet-a", AllocationID: "eipalloc-1a"},
				{SubnetID: "subnet-b", AllocationID: "eipalloc-2b"}}}},
		{"Elastic IPs on an internal load balancer", []string{AnnEIPAllocations, "eipalloc-1a,eipalloc-2b"},
			got{Error: outcome{Error: "annotation", Annotation: AnnEIPAllocations, Value: "eipalloc-1a,eipalloc-2b"}}},
		{"one Elastic IP for two subnets", append(public, AnnEIPAllocations, "eipalloc-1a"),
			got{Error: outcome{Error: "annotation", Annotation: AnnEIPAllocations, Value: "eipalloc-1a"}}},
		{"not an allocation id", append(public, AnnEIPAllocations, "eipalloc-1a,52.1.2.3"),
			got{Error: outcome{Error: "annotation", Annotation: AnnEIPAllocations, Value: "52.1.2.3"}}},
		{"private addresses placed by CIDR", []string{AnnPrivateIPv4Addresses, "10.0.2.9,10.0.1.9"}, got{
			Mappings: []model.SubnetMapping{{SubnetID: "subnet-a", PrivateIPv4: "10.0.1.9"},
				{SubnetID: "subnet-b", PrivateIPv4: "10.0.2.9"}}}},
		{"private addresses on internet-facing", append(public, AnnPrivateIPv4Addresses, "10.0.2.9,10.0.1.9"),
			got{Error: outcome{Error: "annotation", Annotation: AnnPrivateIPv4Addresses, Value: "10.0.2.9,10.0.1.9"}}},
		{"two private addresses in one subnet", []string{AnnPrivateIPv4Addresses, "10.0.1.8,10.0.1.9"},
			got{Error: outcome{Error: "annotation", Annotation: AnnPrivateIPv4Addresses, Value: "10.0.1.8,10.0.1.9"}}},
		{"an IPv6 address as private IPv4", []string{AnnPrivateIPv4Addresses, "10.0.1.8,2600:1f14:2::8"},
			got{Error: outcome{Error: "annotation", Annotation: AnnPrivateIPv4Addresses, Value: "2600:1f14:2::8"}}},
		{"IPv6 addresses on dualstack", append(dual, AnnIPv6Addresses, "2600:1f14:2::8,2600:1f14:1::8"), got{
			Mappings: []model.SubnetMapping{{SubnetID: "subnet-a", IPv6Address: "2600:1f14:1::8"},
				{SubnetID: "subnet-b", IPv6Address: "2600:1f14:2::8"}}}},
		{"IPv6 addresses on ipv4", []string{AnnIPv6Addresses, "2600:1f14:2::8,2600:1f14:1::8"},
			got{Error: outcome{Error: "annotation", Annotation: AnnIPv6Addresses, Value: "2600:1f14:2::8,2600:1f14:1::8"}}},
		{"source NAT on", append(dual, AnnEnablePrefixSourceNAT, "on", AnnSourceNATIPv6Prefixes,
			"auto_assigned, 2600:1f14:2:0:5::/80"), got{PrefixNAT: "on",
			Mappings: []model.SubnetMapping{{SubnetID: "subnet-a", SourceNATPrefix: "auto_assigned"},
				{SubnetID: "subnet-b", SourceNATPrefix: "2600:1f14:2:0:5::/80"}}}},
		{"source NAT off", append(dual, AnnEnablePrefixSourceNAT, "off"), got{PrefixNAT: "off"}},
		{"source NAT on ipv4", []string{AnnEnablePrefixSourceNAT, "on"},
			got{Error: outcome{Error: "annotation", Annotation: AnnEnablePrefixSourceNAT, Value: "on"}}},
		{"source NAT yes", append(dual, AnnEnablePrefixSourceNAT, "yes"),
			got{Error: outcome{Error: "annotation", Annotation: AnnEnablePrefixSourceNAT, Value: "yes"}}},
		{"prefixes without source NAT", append(dual, AnnSourceNATIPv6Prefixes, "auto_assigned,auto_assigned"),
			got{Error: outcome{Error: "annotation", Annotation: AnnSourceNATIPv6Prefixes, Value: "auto_assigned,auto_assigned"}}},
		{"a /64 prefix", append(dual, AnnEnablePrefixSourceNAT, "on", AnnSourceNATIPv6Prefixes,
			"auto_assigned,2600:1f14:2::/64"),
			got{Error: outcome{Error: "annotation", Annotation: AnnSourceNATIPv6Prefixes, Value: "2600:1f14:2::/64"}}},
		{"a prefix of the other subnet", append(dual, AnnEnablePrefixSourceNAT, "on", AnnSourceNATIPv6Prefixes,
			"2600:1f14:2:0:5::/80,auto_assigned"),
			got{Error: outcome{Error: "annotation", Annotation: AnnSourceNATIPv6Prefixes, Value: "2600:1f14:2:0:5::/80"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack, err := Build(testConfig, testInput(withDualSubnets, ann(tt.ann...)))
			var g got
			if err != nil {
				g.Error = outcomeOf(err)
			} else {
				g.Mappings, g.PrefixNAT = stack.LoadBalancer.SubnetMappings, stack.LoadBalancer.EnablePrefixForIPv6SourceNAT
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestSourceNATNeedsIPv6Subnets(t *testing.T) {
	_, err := Build(testConfig, testInput(ann(AnnIPAddressType, "dualstack", AnnEnablePrefixSourceNAT, "on")))
	want := outcome{Error: "annotation", Annotation: AnnEnablePrefixSourceNAT, Value: "on", External: true}
	if d := cmp.Diff(want, outcomeOf(err)); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func ipv6Service(in *Input) {
	in.Service.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
	in.EndpointSlices = append(in.EndpointSlices, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "shop", Name: "web-6"},
		AddressType: discoveryv1.AddressTypeIPv6,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"2600:1f14:1::5"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}, NodeName: ptr.To("n1")}},
	})
	in.Facts.VPCCIDRs = []string{"10.0.0.0/16", "2600:1f14::/56"}
}

func TestIPv6TargetGroups(t *testing.T) {
	type got struct {
		IPType  string
		Targets []model.Target
		Rules   []model.BackendRule
		Error   outcome
	}
	dual := []string{AnnIPAddressType, "dualstack"}
	noSG := []string{AnnNLBDisableSG, "true"}
	tests := []struct {
		name   string
		mutate []func(*Input)
		want   got
	}{
		{"IPv4 Service", []func(*Input){ann(AnnTargetType, TargetIP)}, got{IPType: "ipv4",
			Targets: []model.Target{{ID: "10.0.1.5", Port: 8080}, {ID: "10.0.1.7", Port: 8080}}}},
		{"IPv6 Service, ip targets", []func(*Input){ipv6Service, ann(dual...), ann(AnnTargetType, TargetIP)},
			got{IPType: "ipv6", Targets: []model.Target{{ID: "2600:1f14:1::5", Port: 8080}}}},
		{"dual-stack Service listing IPv4 first", []func(*Input){ipv6Service, ann(dual...), ann(AnnTargetType, TargetIP),
			func(in *Input) {
				in.Service.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
			}},
			got{IPType: "ipv6", Targets: []model.Target{{ID: "2600:1f14:1::5", Port: 8080}}}},
		{"IPv6 Service on an ipv4 load balancer", []func(*Input){ipv6Service},
			got{Error: outcome{Error: "annotation", Annotation: AnnIPAddressType, Value: "ipv4"}}},
		{"IPv6 instance targets, no security groups, internet-facing", []func(*Input){ipv6Service, withDualSubnets,
			ann(dual...), ann(noSG...), ann(AnnScheme, SchemeInternetFacing)}, got{IPType: "ipv6",
			Targets: []model.Target{{ID: "i-1", Port: 30080}, {ID: "i-2", Port: 30080}},
			Rules:   []model.BackendRule{{NodeSG: "sg-node", Protocol: "tcp", Port: 30080, CIDR: "::/0"}}}},
		{"IPv6 ip targets, no security groups, internal", []func(*Input){ipv6Service, withDualSubnets,
			ann(dual...), ann(noSG...), ann(AnnTargetType, TargetIP)}, got{IPType: "ipv6",
			Targets: []model.Target{{ID: "2600:1f14:1::5", Port: 8080}},
			Rules: []model.BackendRule{{NodeSG: "sg-node", Protocol: "tcp", Port: 8080, CIDR: "2600:1f14:1::/64"},
				{NodeSG: "sg-node", Protocol: "tcp", Port: 8080, CIDR: "2600:1f14:2::/64"}}}},
		{"IPv6 ip targets preserving client IP, internal", []func(*Input){ipv6Service, withDualSubnets,
			ann(dual...), ann(noSG...), ann(AnnTargetType, TargetIP),
			ann(AnnTargetGroupAttributes, "preserve_client_ip.enabled=true")}, got{IPType: "ipv6",
			Targets: []model.Target{{ID: "2600:1f14:1::5", Port: 8080}},
			Rules: []model.BackendRule{{NodeSG: "sg-node", Protocol: "tcp", Port: 8080, CIDR: "2600:1f14:1::/64"},
				{NodeSG: "sg-node", Protocol: "tcp", Port: 8080, CIDR: "2600:1f14:2::/64"},
				{NodeSG: "sg-node", Protocol: "tcp", Port: 8080, CIDR: "2600:1f14::/56"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack, err := Build(testConfig, testInput(tt.mutate...))
			var g got
			if err != nil {
				g.Error = outcomeOf(err)
			} else {
				tg := stack.TargetGroups[0]
				g.IPType, g.Targets = tg.IPAddressType, tg.Targets
				if stack.FrontendSG == nil {
					g.Rules = stack.BackendRules
				}
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestListenerAttributesPrivateLinkAndNamedGroups(t *testing.T) {
	type got struct {
		ListenerAttrs  map[string]string
		PrivateLink    string
		SecurityGroups []string
		Error          outcome
	}
	tcp80 := AnnListenerAttributesPrefix + ".TCP-80"
	byName := func(in *Input) { in.Facts.SecurityGroupsByName = map[string][]string{"edge": {"sg-e1", "sg-e2"}} }
	tests := []struct {
		name   string
		mutate []func(*Input)
		want   got
	}{
		{"idle timeout", []func(*Input){ann(tcp80, "tcp.idle_timeout.seconds=400")},
			got{ListenerAttrs: map[string]string{"tcp.idle_timeout.seconds": "400"}}},
		{"another listener's annotation is not read", []func(*Input){ann(AnnListenerAttributesPrefix+".TCP-81", "x=1")}, got{}},
		{"idle timeout out of range", []func(*Input){ann(tcp80, "tcp.idle_timeout.seconds=30")},
			got{Error: outcome{Error: "annotation", Annotation: tcp80, Value: "tcp.idle_timeout.seconds=30"}}},
		{"unknown listener attribute", []func(*Input){ann(tcp80, "routing.http.xff=append")},
			got{Error: outcome{Error: "annotation", Annotation: tcp80, Value: "routing.http.xff"}}},
		{"private link off", []func(*Input){ann(AnnInboundPrivateLinkRule, "off")}, got{PrivateLink: "off"}},
		{"private link maybe", []func(*Input){ann(AnnInboundPrivateLinkRule, "maybe")},
			got{Error: outcome{Error: "annotation", Annotation: AnnInboundPrivateLinkRule, Value: "maybe"}}},
		{"private link without security groups", []func(*Input){ann(AnnInboundPrivateLinkRule, "on", AnnNLBDisableSG, "true")},
			got{Error: outcome{Error: "annotation", Annotation: AnnInboundPrivateLinkRule, Value: "on"}}},
		{"groups by id and Name tag", []func(*Input){byName, ann(AnnSecurityGroups, "sg-1, edge, sg-e1")},
			got{SecurityGroups: []string{"sg-1", "sg-e1", "sg-e2"}}},
		{"a Name no group has", []func(*Input){byName, ann(AnnSecurityGroups, "sg-1,core")},
			got{Error: outcome{Error: "annotation", Annotation: AnnSecurityGroups, Value: "core", External: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack, err := Build(testConfig, testInput(tt.mutate...))
			var g got
			if err != nil {
				g.Error = outcomeOf(err)
			} else {
				g.ListenerAttrs = stack.Listeners[0].Attributes
				g.PrivateLink, g.SecurityGroups = stack.LoadBalancer.PrivateLinkInboundRules, stack.LoadBalancer.SecurityGroups
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestQueryAsksForSecurityGroupNames(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{AnnSecurityGroups: "sg-1,edge, core"}}}
	q, err := Query(testConfig, svc, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"edge", "core"}, q.SecurityGroupNames); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
