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
	"sigs.k8s.io/controller-runtime/pkg/event"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
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

// TestNamespaceLabelsReachTheirIngresses: a namespace's label change
// re-queues the Ingresses of that namespace only while some
// IngressClassParams selects namespaces; other namespace events pass not.
func TestNamespaceLabelsReachTheirIngresses(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	named := func(namespace, name string) *networkingv1.Ingress {
		ing := testIngress()
		ing.Namespace, ing.Name = namespace, name
		return ing
	}
	open := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "open"}}
	selecting := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: elbv2.IngressClassParamsSpec{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"team": "a"}}}}
	shop := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "a"}}}
	tests := []struct {
		name   string
		params []client.Object
		want   []string
	}{
		{"no params", nil, nil},
		{"params without namespaceSelector", []client.Object{open}, nil},
		{"a params selects namespaces", []client.Object{open, selecting}, []string{"shop/a", "shop/b"}},
	}
	for _, tt := range tests {
		c := fake.NewClientBuilder().WithScheme(scheme).
			WithObjects(append(tt.params, named("shop", "a"), named("shop", "b"), named("other", "c"))...).Build()
		var got []string
		for _, r := range NewController(Deps{Client: c}).selectedIn(context.Background(), shop) {
			got = append(got, r.String())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", tt.name, diff)
		}
	}

	p := namespaceLabelsChanged()
	relabelled := shop.DeepCopy()
	relabelled.Labels["team"] = "b"
	annotated := shop.DeepCopy()
	annotated.Annotations = map[string]string{"note": "x"}
	got := map[string]bool{
		"create":         p.Create(event.CreateEvent{Object: shop}),
		"delete":         p.Delete(event.DeleteEvent{Object: shop}),
		"labels changed": p.Update(event.UpdateEvent{ObjectOld: shop, ObjectNew: relabelled}),
		"annotation":     p.Update(event.UpdateEvent{ObjectOld: shop, ObjectNew: annotated}),
	}
	want := map[string]bool{"create": false, "delete": false, "labels changed": true, "annotation": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespace events passed (-want +got):\n%s", diff)
	}
}
