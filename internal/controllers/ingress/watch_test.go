package ingress

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// TestServiceReachesItsIngresses: a Service's event maps, through the
// index, to the Ingresses of its namespace that route to it, and to no
// other.
func TestServiceReachesItsIngresses(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	named := func(namespace, name string, opts ...func(*networkingv1.Ingress)) *networkingv1.Ingress {
		ing := testIngress(opts...)
		ing.Namespace, ing.Name = namespace, name
		return ing
	}
	toAPI := func(ing *networkingv1.Ingress) {
		ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "api"
	}
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithIndex(&networkingv1.Ingress{}, backendIndex, func(o client.Object) []string {
			return backendNames(o.(*networkingv1.Ingress))
		}).
		WithObjects(named("shop", "a"), named("shop", "b", toAPI), named("other", "c")).Build()
	ctrl := NewController(Deps{Client: c})
	var got []string
	for _, r := range ctrl.routingTo(context.Background(),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}) {
		got = append(got, r.String())
	}
	if diff := cmp.Diff([]string{"shop/a"}, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestRelevantUpdate(t *testing.T) {
	base := testIngress(className("alb"))
	tests := []struct {
		name   string
		change func(*networkingv1.Ingress)
		want   bool
	}{
		{"nothing", func(*networkingv1.Ingress) {}, false},
		{"status only", func(ing *networkingv1.Ingress) {
			ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{Hostname: "h"}}
		}, false},
		{"kelb's finalizer added", finalized, false},
		{"spec", func(ing *networkingv1.Ingress) { ing.Spec.Rules[0].Host = "x" }, true},
		{"annotation", annotate(AnnGroupName, "g"), true},
		{"deletion", deleting, true},
	}
	for _, tt := range tests {
		n := base.DeepCopy()
		tt.change(n)
		if got := relevantUpdate(base, n); got != tt.want {
			t.Errorf("%s: got %t, want %t", tt.name, got, tt.want)
		}
	}
	// kelb's finalizer removed by someone else: looked at again.
	if !relevantUpdate(testIngress(finalized), testIngress()) {
		t.Error("removal of kelb's finalizer: got false, want true")
	}
}
