package sweeper

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestVerdict: each kind's owner check. A Service stack is an orphan only
// when neither the cache nor the API server has a Service that will clean
// it up; an Ingress group's stack is never one (kelb does not serve
// Ingresses yet), whether or not a Service or Ingress of its name exists.
func TestVerdict(t *testing.T) {
	class := service.DefaultLoadBalancerClass
	svc := func(name string, edit func(*corev1.Service)) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(class)}}
		if edit != nil {
			edit(s)
		}
		return s
	}
	served := svc("served", nil)
	released := svc("released", func(s *corev1.Service) { s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeClusterIP, nil })
	releasing := svc("releasing", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeClusterIP, nil
		s.Finalizers = []string{service.Finalizer}
	})
	foreign := svc("foreign", func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("other/class") })
	cache := fake.NewClientBuilder().WithObjects(served, released, releasing, foreign).Build()
	apiOnly := svc("new", nil) // created since the cache last heard
	reader := fake.NewClientBuilder().WithObjects(served, released, releasing, foreign, apiOnly).Build()
	c := NewController(Deps{Cache: cache, Reader: reader, LoadBalancerClass: class})

	ingress := func(name string) model.StackID { return model.StackID{Kind: model.IngressKind, Name: name} }
	got := map[string]Verdict{}
	for _, id := range []model.StackID{
		model.ServiceStackID("ns", "served"), model.ServiceStackID("ns", "gone"), model.ServiceStackID("ns", "released"),
		model.ServiceStackID("ns", "releasing"), model.ServiceStackID("ns", "foreign"), model.ServiceStackID("ns", "new"),
		ingress("ns/gone"), ingress("ns/served"), ingress("shared-group"),
	} {
		v, err := c.verdict(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		got[id.String()] = v
	}
	want := map[string]Verdict{
		"service:ns/served": Owned, "service:ns/gone": Orphan, "service:ns/released": Orphan,
		"service:ns/releasing": Owned, "service:ns/foreign": Owned, "service:ns/new": Owned,
		"ingress:ns/gone": NotServed, "ingress:ns/served": NotServed, "ingress:shared-group": NotServed,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}
