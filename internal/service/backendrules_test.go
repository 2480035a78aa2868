package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestBackendRulesCoverHealthChecks: the node rules from the backend group
// let in each target group's traffic and its health checks, which are tcp
// whatever the traffic's protocol, and nothing more.
func TestBackendRulesCoverHealthChecks(t *testing.T) {
	udp := func(in *Input) {
		in.Service.Spec.Ports = []corev1.ServicePort{{Name: "dns", Port: 53, NodePort: 30053,
			Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(8053)}}
	}
	local := func(in *Input) {
		in.Service.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		in.Service.Spec.HealthCheckNodePort = 32000
	}
	rule := func(proto string, port int32) model.BackendRule {
		return model.BackendRule{NodeSG: "sg-node", Protocol: proto, Port: port}
	}
	tests := []struct {
		name string
		in   Input
		want []model.BackendRule
	}{
		{"TCP, checked on the traffic port", testInput(), []model.BackendRule{rule("tcp", 30080)}},
		{"UDP, checked over TCP on the traffic port", testInput(udp),
			[]model.BackendRule{rule("tcp", 30053), rule("udp", 30053)}},
		{"UDP with a numeric health-check port", testInput(udp, ann(AnnHCPort, "31000")),
			[]model.BackendRule{rule("udp", 30053), rule("tcp", 31000)}},
		{"UDP, externalTrafficPolicy Local: HTTP checks on the health-check node port", testInput(udp, local),
			[]model.BackendRule{rule("udp", 30053), rule("tcp", 32000)}},
		{"TCP, externalTrafficPolicy Local", testInput(local),
			[]model.BackendRule{rule("tcp", 30080), rule("tcp", 32000)}},
		{"TCP with HTTPS checks on the traffic port", testInput(ann(AnnHCProtocol, "HTTPS")),
			[]model.BackendRule{rule("tcp", 30080)}},
		{"UDP ip targets: the pods' port, checked over TCP", testInput(udp, ann(AnnTargetType, "ip"), func(in *Input) {
			in.EndpointSlices[0].Ports[0].Name = ptrTo("dns")
			in.EndpointSlices[0].Ports[0].Port = ptrTo[int32](8053)
			in.EndpointSlices[0].Ports[0].Protocol = ptrTo(corev1.ProtocolUDP)
		}), []model.BackendRule{rule("tcp", 8053), rule("udp", 8053)}},
		{"TCP and UDP on one port", testInput(func(in *Input) {
			in.Service.Annotations = map[string]string{AnnEnableTCPUDPListener: "true"}
			in.Service.Spec.Ports = append(in.Service.Spec.Ports, corev1.ServicePort{Name: "u", Port: 80, NodePort: 30080,
				Protocol: corev1.ProtocolUDP})
		}), []model.BackendRule{rule("tcp", 30080), rule("udp", 30080)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.BackendRules); diff != "" {
				t.Errorf("backend rules (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
