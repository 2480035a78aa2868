package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/model"
)

func fromBackendSG(ports ...model.BindingPort) *model.BindingNetworking {
	return &model.BindingNetworking{Ingress: []model.BindingIngressRule{{From: []model.BindingPeer{{BackendSG: true}},
		Ports: ports}}}
}

func cidrRule(ports []model.BindingPort, cidrs ...string) model.BindingIngressRule {
	return model.BindingIngressRule{From: cidrPeers(cidrs), Ports: ports}
}

func tcp(port string) model.BindingPort { return model.BindingPort{Protocol: "TCP", Port: port} }
func udp(port string) model.BindingPort { return model.BindingPort{Protocol: "UDP", Port: port} }

func udpPort(in *Input) { in.Service.Spec.Ports[0].Protocol = corev1.ProtocolUDP }

func TestTargetGroupBindings(t *testing.T) {
	lbSubnets := []string{"10.0.1.0/24", "10.0.3.0/24", "10.0.4.0/24"}
	instance := model.TargetGroupBinding{Namespace: "shop", TargetGroupID: "shop/web:80", TargetType: TargetInstance,
		IPAddressType: "ipv4", ServiceName: "web", ServicePort: 80,
		Labels: map[string]string{"service.k8s.aws/stack-namespace": "shop", "service.k8s.aws/stack-name": "web"}}
	ip := instance
	ip.TargetType = TargetIP
	with := func(b model.TargetGroupBinding, f func(*model.TargetGroupBinding)) model.TargetGroupBinding {
		f(&b)
		return b
	}
	unrestricted := testConfig
	unrestricted.UnrestrictedBackendRules = true
	tests := []struct {
		name string
		cfg  Config
		in   Input
		want model.TargetGroupBinding
	}{
		{"instance: the node port from the backend group", testConfig, testInput(),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(tcp("30080")) })},
		{"ip: the target port; no node selector", testConfig,
			testInput(ann(AnnTargetType, "ip", AnnTargetNodeLabels, "pool=edge")),
			with(ip, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(tcp("8080")) })},
		{"ip with a named target port: the name", testConfig, testInput(ann(AnnTargetType, "ip"), func(in *Input) {
			in.Service.Spec.Ports[0].TargetPort = intstr.FromString("web")
		}), with(ip, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(tcp("web")) })},
		{"target-node-labels: the node selector", testConfig, testInput(ann(AnnTargetNodeLabels, "pool=edge")),
			with(instance, func(b *model.TargetGroupBinding) {
				b.NodeSelector = map[string]string{"pool": "edge"}
				b.Networking = fromBackendSG(tcp("30080"))
			})},
		{"UDP: udp, and tcp for the health checks on the traffic port", testConfig, testInput(udpPort),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(udp("30080"), tcp("30080")) })},
		{"TCP_UDP: tcp and udp on the traffic port (LBC: only the first port's protocol)", testConfig,
			testInput(ann(AnnEnableTCPUDPListener, "true"), func(in *Input) {
				in.Service.Spec.Ports = append(in.Service.Spec.Ports, corev1.ServicePort{Name: "dns", Port: 80,
					NodePort: 30080, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(8080)})
			}),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(tcp("30080"), udp("30080")) })},
		{"health-check port of its own: tcp there too", testConfig, testInput(ann(AnnHCPort, "10256")),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(tcp("30080"), tcp("10256")) })},
		{"UDP with a health-check port: no tcp on the traffic port", testConfig,
			testInput(udpPort, ann(AnnHCPort, "10256")),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(udp("30080"), tcp("10256")) })},
		{"health-check port equal to the traffic port", testConfig, testInput(udpPort, ann(AnnHCPort, "30080")),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(udp("30080"), tcp("30080")) })},
		{"--disable-restricted-sg-rules: protocols only", unrestricted, testInput(ann(AnnHCPort, "10256")),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = fromBackendSG(model.BindingPort{Protocol: "TCP"})
			})},
		{"--disable-restricted-sg-rules with UDP: tcp and udp", unrestricted, testInput(udpPort),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = fromBackendSG(model.BindingPort{Protocol: "TCP"}, model.BindingPort{Protocol: "UDP"})
			})},
		{"own frontend groups, backend rules unmanaged: no networking", testConfig,
			testInput(ann(AnnSecurityGroups, "sg-0123456789abcdef0", AnnManageBackendSGRules, "false")), instance},
		{"own frontend groups, backend rules managed", testConfig,
			testInput(ann(AnnSecurityGroups, "sg-0123456789abcdef0", AnnManageBackendSGRules, "true")),
			with(instance, func(b *model.TargetGroupBinding) { b.Networking = fromBackendSG(tcp("30080")) })},
		{"no security groups, internal: the VPC, which covers the health checks", testConfig, noSGInput(),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{
					cidrRule([]model.BindingPort{tcp("30080")}, "10.0.0.0/16")}}
			})},
		{"no security groups, internet-facing: everyone", testConfig, noSGInput(ann(AnnScheme, "internet-facing")),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{
					cidrRule([]model.BindingPort{tcp("30080")}, "0.0.0.0/0")}}
			})},
		{"no security groups, ip targets: the load balancer's subnets", testConfig, noSGInput(ann(AnnTargetType, "ip")),
			with(ip, func(b *model.TargetGroupBinding) {
				b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{
					cidrRule([]model.BindingPort{tcp("8080")}, lbSubnets...)}}
			})},
		{"no security groups, source ranges: health checks from the subnets", testConfig,
			noSGInput(func(in *Input) { in.Service.Spec.LoadBalancerSourceRanges = []string{"192.168.0.0/16"} }),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{
					cidrRule([]model.BindingPort{tcp("30080")}, "192.168.0.0/16"),
					cidrRule([]model.BindingPort{tcp("30080")}, lbSubnets...)}}
			})},
		{"no security groups, UDP: health checks from the subnets", testConfig, noSGInput(udpPort),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{
					cidrRule([]model.BindingPort{udp("30080")}, "10.0.0.0/16"),
					cidrRule([]model.BindingPort{tcp("30080")}, lbSubnets...)}}
			})},
		{"no security groups, health-check port: from the subnets there", testConfig, noSGInput(ann(AnnHCPort, "10256")),
			with(instance, func(b *model.TargetGroupBinding) {
				b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{
					cidrRule([]model.BindingPort{tcp("30080")}, "10.0.0.0/16"),
					cidrRule([]model.BindingPort{tcp("10256")}, lbSubnets...)}}
			})},
		{"no security groups, manage-backend-security-group-rules false: no networking", testConfig,
			noSGInput(ann(AnnManageBackendSGRules, "false")), instance},
		{"multi-cluster target group: the binding controller deregisters only this cluster's targets", testConfig,
			testInput(ann(AnnMultiClusterTargetGroup, "true")),
			with(instance, func(b *model.TargetGroupBinding) {
				b.MultiClusterTargetGroup = true
				b.Networking = fromBackendSG(tcp("30080"))
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack, err := Build(tt.cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(stack.Bindings) != 1 || len(stack.TargetGroups) != 1 {
				t.Fatalf("want one binding for one target group, got %d for %d", len(stack.Bindings), len(stack.TargetGroups))
			}
			want := tt.want
			want.Name = stack.TargetGroups[0].Name // named as its target group (names_test checks LBC's names)
			if diff := cmp.Diff(want, stack.Bindings[0]); diff != "" {
				t.Errorf("binding (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetGroupBindingsPerPort(t *testing.T) {
	in := testInput(func(in *Input) {
		in.Service.Spec.Ports = append(in.Service.Spec.Ports,
			corev1.ServicePort{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP})
	})
	stack, err := Build(testConfig, in)
	if err != nil {
		t.Fatal(err)
	}
	var got [][3]any
	for i, b := range stack.Bindings {
		got = append(got, [3]any{b.Name == stack.TargetGroups[i].Name, b.TargetGroupID, b.ServicePort})
	}
	want := [][3]any{{true, "shop/web:53", int32(53)}, {true, "shop/web:80", int32(80)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
}
