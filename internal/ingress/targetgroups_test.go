package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestBackendPorts: a backend's Service port, by number or by name, as LBC
// builds it: the target group's port is the node port (instance), the
// numeric target port (ip), or 1 for a named target port (ip: it may differ
// from pod to pod, and every target is registered with its own port); the
// binding names the Service port as the backend does; its rule opens the
// node port, the target port, or the target port's name (resolved per pod
// by the binding controller).
func TestBackendPorts(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "uid-web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)},
			{Name: "admin", Port: 9000, NodePort: 30090, TargetPort: intstr.FromString("admin-port")}}}}
	type got struct {
		TGPort          int32
		ServicePort     int32
		ServicePortName string
		TrafficPort     string
	}
	tests := []struct {
		name       string
		port       networkingv1.ServiceBackendPort
		targetType string
		want       got
		wantErr    error
	}{
		{"by number, instance", networkingv1.ServiceBackendPort{Number: 80}, TargetInstance,
			got{TGPort: 30080, ServicePort: 80, TrafficPort: "30080"}, nil},
		{"by name, instance", networkingv1.ServiceBackendPort{Name: "http"}, TargetInstance,
			got{TGPort: 30080, ServicePort: 80, ServicePortName: "http", TrafficPort: "30080"}, nil},
		{"by name, ip, numeric target port", networkingv1.ServiceBackendPort{Name: "http"}, TargetIP,
			got{TGPort: 8080, ServicePort: 80, ServicePortName: "http", TrafficPort: "8080"}, nil},
		{"by name, ip, named target port", networkingv1.ServiceBackendPort{Name: "admin"}, TargetIP,
			got{TGPort: 1, ServicePort: 9000, ServicePortName: "admin", TrafficPort: "admin-port"}, nil},
		{"by number, ip, named target port", networkingv1.ServiceBackendPort{Number: 9000}, TargetIP,
			got{TGPort: 1, ServicePort: 9000, TrafficPort: "admin-port"}, nil},
		{"by name, instance, named target port", networkingv1.ServiceBackendPort{Name: "admin"}, TargetInstance,
			got{TGPort: 30090, ServicePort: 9000, ServicePortName: "admin", TrafficPort: "30090"}, nil},
		{"unknown name", networkingv1.ServiceBackendPort{Name: "grpc"}, TargetIP, got{},
			&FieldError{Field: "spec.rules[0].http.paths[0].backend.service.port", Value: "grpc", External: true,
				Allowed: "a port of Service shop/web (http=80, admin=9000)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := minimalIngress()
			ing.Annotations[AnnTargetType] = tt.targetType
			ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = tt.port
			stack, err := Build(testConfig(), Input{Ingress: ing, Class: Class{Verdict: Ours},
				Services: map[string]*corev1.Service{"web": svc}, Facts: Facts{Subnets: []string{"subnet-a", "subnet-b"}}})
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if len(stack.TargetGroups) != 1 || len(stack.Bindings) != 1 {
				t.Fatalf("%d target groups, %d bindings; want one each", len(stack.TargetGroups), len(stack.Bindings))
			}
			b := stack.Bindings[0]
			g := got{TGPort: stack.TargetGroups[0].Port, ServicePort: b.ServicePort, ServicePortName: b.ServicePortName,
				TrafficPort: b.Networking.Ingress[0].Ports[0].Port}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
