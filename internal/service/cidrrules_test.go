package service

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

func noSGInput(mutate ...func(*Input)) Input {
	return testInput(append([]func(*Input){func(in *Input) {
		in.Service.Annotations[AnnNLBDisableSG] = "true"
		in.Facts.VPCCIDRs = []string{"10.0.0.0/16"}
		for i := range in.Facts.Subnets {
			in.Facts.Subnets[i].CIDR = map[string]string{"subnet-a1": "10.0.1.0/24", "subnet-a2": "10.0.2.0/24",
				"subnet-b": "10.0.3.0/24", "subnet-c": "10.0.4.0/24"}[in.Facts.Subnets[i].ID]
		}
	}}, mutate...)...)
}

func rules(port int32, proto string, cidrs ...string) []model.BackendRule {
	var out []model.BackendRule
	for _, c := range cidrs {
		out = append(out, model.BackendRule{NodeSG: "sg-node", Protocol: proto, Port: port, CIDR: c})
	}
	return out
}

func TestCIDRRulesWithoutSecurityGroups(t *testing.T) {
	subnets := []string{"10.0.1.0/24", "10.0.3.0/24", "10.0.4.0/24"}
	tests := []struct {
		name string
		in   Input
		want []model.BackendRule
	}{
		{"instance targets see clients: internet-facing opens to all, health checks covered",
			noSGInput(ann(AnnScheme, "internet-facing")), rules(30080, "tcp", "0.0.0.0/0")},
		{"internal without ranges: the VPC", noSGInput(), rules(30080, "tcp", "10.0.0.0/16")},
		{"dualstack internet-facing: ::/0 too", noSGInput(ann(AnnScheme, "internet-facing", AnnIPAddressType, "dualstack")),
			rules(30080, "tcp", "0.0.0.0/0", "::/0")},
		{"source ranges, plus health checks from the subnets",
			noSGInput(func(in *Input) { in.Service.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24"} }),
			sortedByCIDR(append(rules(30080, "tcp", "203.0.113.0/24"), rules(30080, "tcp", subnets...)...))},
		{"ip targets do not see clients: the subnets", noSGInput(ann(AnnTargetType, "ip")), rules(8080, "tcp", subnets...)},
		{"preserve_client_ip off by attribute", noSGInput(ann(AnnTargetGroupAttributes, "preserve_client_ip.enabled=false")),
			rules(30080, "tcp", subnets...)},
		{"UDP always sees clients; health checks over TCP from the subnets", noSGInput(ann(AnnTargetType, "ip"), func(in *Input) {
			in.Service.Spec.Ports[0].Protocol = corev1.ProtocolUDP
			in.EndpointSlices[0].Ports[0].Protocol = &in.Service.Spec.Ports[0].Protocol
		}), sortedByCIDR(append(rules(8080, "udp", "10.0.0.0/16"), rules(8080, "tcp", subnets...)...))},
		{"a health-check port of its own", noSGInput(ann(AnnHCPort, "10256")),
			sortedRulesOf(append(rules(30080, "tcp", "10.0.0.0/16"), rules(10256, "tcp", subnets...)...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.LoadBalancer.UseBackendSG || s.LoadBalancer.UseFrontendSG {
				t.Errorf("security groups on a load balancer without them: %+v", s.LoadBalancer)
			}
			if !reflect.DeepEqual(s.BackendRules, tt.want) {
				t.Errorf("got  %+v\nwant %+v", s.BackendRules, tt.want)
			}
		})
	}
}

func sortedByCIDR(rs []model.BackendRule) []model.BackendRule { return sortedRulesOf(rs) }

func sortedRulesOf(rs []model.BackendRule) []model.BackendRule {
	m := map[model.BackendRule]bool{}
	for _, r := range rs {
		m[r] = true
	}
	return model.SortedBackendRules(m)
}
