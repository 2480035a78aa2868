package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestBindingServiceRefPort: serviceRef.port is the Service port's number,
// or its name when the binding names it (an Ingress backend by port name,
// as LBC writes it).
func TestBindingServiceRefPort(t *testing.T) {
	tests := []struct {
		name string
		b    model.TargetGroupBinding
		want intstr.IntOrString
	}{
		{"by number", model.TargetGroupBinding{ServiceName: "web", ServicePort: 80}, intstr.FromInt32(80)},
		{"by name", model.TargetGroupBinding{ServiceName: "web", ServicePort: 80, ServicePortName: "http"},
			intstr.FromString("http")},
	}
	for _, tt := range tests {
		spec, err := bindingSpec(tt.b, "arn:tg", "vpc-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, spec.ServiceRef.Port); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
