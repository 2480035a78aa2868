package noderules

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/deploy"
)

// TestProtectedPortsLeaveDeletingObjects: a binding or an Ingress being
// deleted protects nothing (its load balancer or targets are going first),
// so the writer's run that its clean-up asks for may revoke; live ones
// protect their ports.
func TestProtectedPortsLeaveDeletingObjects(t *testing.T) {
	deleting := func(o client.Object) client.Object {
		now := metav1.NewTime(time.Unix(1000, 0))
		o.SetDeletionTimestamp(&now)
		o.SetFinalizers([]string{"elbv2.k8s.aws/resources"})
		return o
	}
	port := func(p int32) *elbv2api.NetworkingPort {
		n := intstr.FromInt32(p)
		return &elbv2api.NetworkingPort{Port: &n}
	}
	binding := func(name string, p int32) *elbv2api.TargetGroupBinding {
		return &elbv2api.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: elbv2api.TargetGroupBindingSpec{TargetGroupARN: "arn:tg/" + name,
				Networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
					From:  []elbv2api.NetworkingPeer{{IPBlock: &elbv2api.IPBlock{CIDR: "10.0.0.0/16"}}},
					Ports: []elbv2api.NetworkingPort{*port(p)}}}}}}
	}
	class := "alb"
	ingress := func(name string, svc string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: networkingv1.IngressSpec{IngressClassName: &class, DefaultBackend: &networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}}}
	}
	service := func(name string, nodePort int32) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
				Ports: []corev1.ServicePort{{Port: 80, NodePort: nodePort, Protocol: corev1.ProtocolTCP}}}}
	}
	albClass := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: ingressController}}
	tests := []struct {
		name    string
		objs    []client.Object
		want    []int32
		wantAny bool
	}{
		{"live binding", []client.Object{binding("b", 31000)}, []int32{31000}, true},
		{"binding being deleted", []client.Object{deleting(binding("b", 31000))}, nil, false},
		{"live Ingress", []client.Object{albClass, service("web", 31100), ingress("web", "web")}, []int32{31100}, true},
		{"Ingress being deleted", []client.Object{albClass, service("web", 31100), deleting(ingress("web", "web"))}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme := runtime.NewScheme()
			if err := clientgoscheme.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			if err := elbv2api.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(tt.objs...).Build()
			ports, found, err := (&LBCObjects{Client: c}).ProtectedPorts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []int32
			for _, p := range ports {
				if p.CIDR != deploy.AnySource {
					t.Errorf("protected rule %+v not from any source", p)
				}
				got = append(got, p.Port)
			}
			if diff := cmp.Diff(tt.want, dedupe(got)); diff != "" {
				t.Errorf("protected ports (-want +got):\n%s", diff)
			}
			if found != tt.wantAny {
				t.Errorf("any object = %v, want %v", found, tt.wantAny)
			}
		})
	}
}

func dedupe(ports []int32) []int32 {
	var out []int32
	seen := map[int32]bool{}
	for _, p := range ports {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
