package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestFrontendPrefixListsAndPathMTU(t *testing.T) {
	const pl1, pl2 = "pl-0123456789abcdef0", "pl-4123550a"
	tcp := func(port int32, cidr, pl string) model.Rule {
		return model.Rule{Protocol: "tcp", FromPort: port, ToPort: port, CIDR: cidr, PrefixListID: pl}
	}
	icmp4 := func(cidr string) model.Rule { return model.Rule{Protocol: "icmp", FromPort: 3, ToPort: 4, CIDR: cidr} }
	icmp6 := func(cidr string) model.Rule {
		return model.Rule{Protocol: "icmpv6", FromPort: 2, ToPort: 0, CIDR: cidr}
	}
	dual := []string{AnnIPAddressType, "dualstack"}
	ranges := func(cidrs ...string) func(*Input) {
		return func(in *Input) { in.Service.Spec.LoadBalancerSourceRanges = cidrs }
	}
	lists := func(l map[string]PrefixList) func(*Input) {
		return func(in *Input) { in.Facts.PrefixLists = l }
	}
	type got struct {
		Rules []model.Rule
		Error outcome
	}
	tests := []struct {
		name   string
		ann    []string
		mutate []func(*Input)
		want   got
	}{
		{"default", nil, nil, got{Rules: []model.Rule{tcp(80, "0.0.0.0/0", "")}}},
		{"prefix lists alone: no default range", []string{AnnSGPrefixLists, pl1 + ", " + pl2}, nil,
			got{Rules: []model.Rule{tcp(80, "", pl1), tcp(80, "", pl2)}}},
		{"prefix lists and source ranges", []string{AnnSGPrefixLists, pl1}, []func(*Input){ranges("10.1.0.0/16")},
			got{Rules: []model.Rule{tcp(80, "10.1.0.0/16", ""), tcp(80, "", pl1)}}},
		{"prefix lists on dualstack: still no default", append(dual, AnnSGPrefixLists, pl1), nil,
			got{Rules: []model.Rule{tcp(80, "", pl1)}}},
		{"prefix lists on TCP and UDP ports", []string{AnnSGPrefixLists, pl1}, []func(*Input){func(in *Input) {
			in.Service.Spec.Ports = append(in.Service.Spec.Ports,
				corev1.ServicePort{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP})
		}}, got{Rules: []model.Rule{{Protocol: "udp", FromPort: 53, ToPort: 53, PrefixListID: pl1}, tcp(80, "", pl1)}}},
		{"empty prefix lists", []string{AnnSGPrefixLists, " , "}, nil,
			got{Error: outcome{Error: "annotation", Annotation: AnnSGPrefixLists, Value: " , "}}},
		{"not a prefix list id", []string{AnnSGPrefixLists, pl1 + ",sg-0123456789abcdef0"}, nil,
			got{Error: outcome{Error: "annotation", Annotation: AnnSGPrefixLists, Value: "sg-0123456789abcdef0"}}},
		{"upper-case id", []string{AnnSGPrefixLists, "pl-0123456789ABCDEF0"}, nil,
			got{Error: outcome{Error: "annotation", Annotation: AnnSGPrefixLists, Value: "pl-0123456789ABCDEF0"}}},
		{"a prefix list twice", []string{AnnSGPrefixLists, pl1 + "," + pl1}, nil,
			got{Error: outcome{Error: "annotation", Annotation: AnnSGPrefixLists, Value: pl1}}},
		{"a prefix list that does not exist (yet)", []string{AnnSGPrefixLists, pl1 + "," + pl2},
			[]func(*Input){lists(map[string]PrefixList{pl1: {AddressFamily: "IPv4", MaxEntries: 5}})},
			got{Error: outcome{Error: "annotation", Annotation: AnnSGPrefixLists, Value: pl2, External: true}}},
		{"prefix lists that exist", []string{AnnSGPrefixLists, pl1},
			[]func(*Input){lists(map[string]PrefixList{pl1: {AddressFamily: "IPv4", MaxEntries: 5}})},
			got{Rules: []model.Rule{tcp(80, "", pl1)}}},
		{"a prefix list's entries count towards the quota", []string{AnnSGPrefixLists, pl1},
			[]func(*Input){lists(map[string]PrefixList{pl1: {AddressFamily: "IPv4", MaxEntries: 60}}),
				ranges("10.1.0.0/16")},
			got{Error: outcome{Error: "invalid"}}},
		{"an IPv6 list counts in its own family", append(dual, AnnSGPrefixLists, pl1),
			[]func(*Input){lists(map[string]PrefixList{pl1: {AddressFamily: "IPv6", MaxEntries: 60}}),
				ranges("10.1.0.0/16")},
			got{Rules: []model.Rule{tcp(80, "10.1.0.0/16", ""), tcp(80, "", pl1)}}},
		{"path MTU on ipv4", []string{AnnICMPPathMTUDiscovery, "on"}, nil,
			got{Rules: []model.Rule{tcp(80, "0.0.0.0/0", ""), icmp4("0.0.0.0/0")}}},
		{"path MTU on dualstack", append(dual, AnnICMPPathMTUDiscovery, "on"), nil,
			got{Rules: []model.Rule{tcp(80, "0.0.0.0/0", ""), tcp(80, "::/0", ""), icmp4("0.0.0.0/0"), icmp6("::/0")}}},
		{"path MTU from the source ranges, once for two ports", []string{AnnICMPPathMTUDiscovery, "on"},
			[]func(*Input){ranges("10.1.0.0/16"), func(in *Input) {
				in.Service.Spec.Ports = append(in.Service.Spec.Ports,
					corev1.ServicePort{Name: "https", Port: 443, NodePort: 30443, Protocol: corev1.ProtocolTCP})
			}},
			got{Rules: []model.Rule{tcp(80, "10.1.0.0/16", ""), tcp(443, "10.1.0.0/16", ""), icmp4("10.1.0.0/16")}}},
		{"path MTU with prefix lists only: none", []string{AnnICMPPathMTUDiscovery, "on", AnnSGPrefixLists, pl1}, nil,
			got{Rules: []model.Rule{tcp(80, "", pl1)}}},
		{"path MTU off", []string{AnnICMPPathMTUDiscovery, "off"}, nil,
			got{Rules: []model.Rule{tcp(80, "0.0.0.0/0", "")}}},
		{"path MTU true", []string{AnnICMPPathMTUDiscovery, "true"}, nil,
			got{Error: outcome{Error: "annotation", Annotation: AnnICMPPathMTUDiscovery, Value: "true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(append([]func(*Input){withDualSubnets, ann(tt.ann...)}, tt.mutate...)...)
			stack, err := Build(testConfig, in)
			var g got
			if err != nil {
				g.Error = outcomeOf(err)
			} else {
				g.Rules = stack.FrontendSG.Ingress
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// Prefix lists and ICMP belong to the managed group only: with the user's
// groups or none, LBC ignores them, and so does kelb.
func TestPrefixListsNeedTheManagedGroup(t *testing.T) {
	for _, extra := range [][]string{{AnnSecurityGroups, "sg-0123456789abcdef0"}, {AnnNLBDisableSG, "true"}} {
		stack, err := Build(testConfig, testInput(ann(append(extra, AnnSGPrefixLists, "pl-0123456789abcdef0",
			AnnICMPPathMTUDiscovery, "on")...)))
		if err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
		if stack.FrontendSG != nil {
			t.Errorf("%v: a managed group %+v", extra, stack.FrontendSG)
		}
	}
}
