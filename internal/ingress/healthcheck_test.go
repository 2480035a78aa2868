package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/service"
)

func TestHealthCheckPort(t *testing.T) {
	svc := &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
		{Name: "http", Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)},
		{Name: "admin", Port: 9000, NodePort: 30900, TargetPort: intstr.FromString("admin")},
		{Name: "plain", Port: 7000},
	}}}
	tests := []struct {
		name, value, targetType, want string
		wantErr                       error
	}{
		{"unset is the traffic port", "", TargetInstance, "traffic-port", nil},
		{"traffic-port", "traffic-port", TargetIP, "traffic-port", nil},
		{"a number as written", "8081", TargetIP, "8081", nil},
		{"a port name is its node port for instance targets", "http", TargetInstance, "30080", nil},
		{"a port name is its numeric target port for ip targets", "http", TargetIP, "8080", nil},
		{"a port without targetPort checks the port for ip targets", "plain", TargetIP, "7000", nil},
		{"a named target port cannot be checked for ip targets", "admin", TargetIP, "", &AnnotationError{
			Annotation: AnnHCPort, Value: "admin",
			Allowed: "a port whose targetPort is a number, for ip targets (port admin names admin)"}},
		{"a port without node port for instance targets", "plain", TargetInstance, "", &AnnotationError{
			Annotation: AnnHCPort, Value: "plain",
			Allowed: "a port with a node port, which instance targets are checked on (port plain has none)"}},
		{"out of range", "70000", TargetIP, "", &AnnotationError{Annotation: AnnHCPort, Value: "70000",
			Allowed: "traffic-port, a port number from 1 to 65535, or the name of a port of the backend Service"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := service.Annotations{}
			if tt.value != "" {
				a[AnnHCPort] = tt.value
			}
			got, err := healthCheckPortOf(a, svc, tt.targetType)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if got != tt.want {
				t.Errorf("port = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidCodes(t *testing.T) {
	tests := []struct {
		codes  string
		lo, hi int
		want   bool
	}{
		{"200", 200, 499, true},
		{"200,202", 200, 499, true},
		{"200-299", 200, 499, true},
		{"200-299,404", 200, 499, true},
		{"199", 200, 499, false},
		{"500", 200, 499, false},
		{"299-200", 200, 499, false},
		{"200,", 200, 499, false},
		{"020", 0, 99, false},
		{"0-99", 0, 99, true},
		{"12", 0, 99, true},
		{"100", 0, 99, false},
	}
	for _, tt := range tests {
		if got := service.ValidCodes(tt.codes, tt.lo, tt.hi); got != tt.want {
			t.Errorf("ValidCodes(%q, %d, %d) = %v, want %v", tt.codes, tt.lo, tt.hi, got, tt.want)
		}
	}
}
