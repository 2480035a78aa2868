package sweeper

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestVerdict: each kind's owner check. A Service stack is an orphan only
// when neither the cache nor the API server has a Service that will clean
// it up; without the Ingress controller an Ingress group's stack is never
// one, whether or not a Service or Ingress of its name exists.
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

// TestIngressVerdict: with the Ingress controller running, an implicit
// group's stack is an orphan only when neither the cache nor the API server
// has an Ingress that holds it (classified as the controller does); an
// Ingress kelb serves is never one, finalized or not (a failing build), nor
// one being deleted, nor LBC's. Explicit groups stay not served. Only a
// served, finalized Ingress makes its stack live for the ownership record.
func TestIngressVerdict(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	finalizer := ingresscontroller.Finalizer
	ing := func(name, class string, edit func(*networkingv1.Ingress)) *networkingv1.Ingress {
		i := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr.To(class)}}
		if edit != nil {
			edit(i)
		}
		return i
	}
	withFinalizer := func(i *networkingv1.Ingress) { i.Finalizers = []string{finalizer} }
	objects := []client.Object{
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
			Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}},
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
			Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
		ing("served", "alb", withFinalizer),
		ing("failing", "alb", nil), // its build fails: no finalizer yet
		ing("left", "nginx", nil),  // moved to another class, finalizer removed by hand
		ing("leaving", "nginx", withFinalizer),
		ing("deleting", "nginx", func(i *networkingv1.Ingress) {
			withFinalizer(i)
			i.Finalizers = append(i.Finalizers, "example.com/hold")
			i.DeletionTimestamp = ptr.To(metav1.Now())
		}),
		ing("unknown-class", "gone", nil),
		ing("member", "alb", func(i *networkingv1.Ingress) {
			i.Annotations = map[string]string{ingresscontroller.AnnGroupName: "shared-group"}
		}),
		ing("former-member", "nginx", func(i *networkingv1.Ingress) {
			i.Finalizers = []string{ingress.GroupFinalizer("leaving-group")}
		}),
		ing("foreign-member", "nginx", func(i *networkingv1.Ingress) {
			i.Annotations = map[string]string{ingresscontroller.AnnGroupName: "nginx-group"}
		}),
	}
	cache := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objects...).Build()
	apiOnly := ing("new", "nginx", withFinalizer) // created since the cache last heard
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(append(objects, apiOnly)...).Build()

	ids := []string{"ns/served", "ns/failing", "ns/left", "ns/leaving", "ns/deleting", "ns/unknown-class", "ns/new",
		"ns/gone", "shared-group", "leaving-group", "nginx-group", "gone-group"}
	verdicts := func(flags *ingresscontroller.ClassFlags) (map[string]Verdict, map[string]bool) {
		c := NewController(Deps{Cache: cache, Reader: reader, Ingress: flags})
		got, live := map[string]Verdict{}, map[string]bool{}
		for _, name := range ids {
			id := model.StackID{Kind: model.IngressKind, Name: name}
			v, err := c.verdict(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			got[name] = v
			l, err := c.isLive(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if l {
				live[name] = true
			}
		}
		return got, live
	}

	got, live := verdicts(&ingresscontroller.ClassFlags{IngressClass: "alb"})
	want := map[string]Verdict{
		"ns/served": Owned, "ns/failing": Owned, "ns/left": Orphan, "ns/leaving": Owned, "ns/deleting": Owned,
		"ns/unknown-class": Owned, "ns/new": Owned, "ns/gone": Orphan, "shared-group": Owned,
		"leaving-group": Owned, "nginx-group": Owned, "gone-group": Orphan,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts with the Ingress controller (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"ns/served": true}, live); diff != "" { // groups are never live
		t.Errorf("live stacks (-want +got):\n%s", diff)
	}

	got, live = verdicts(nil)
	for _, name := range ids {
		want[name] = NotServed
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts without the Ingress controller (-want +got):\n%s", diff)
	}
	if len(live) != 0 {
		t.Errorf("live stacks without the Ingress controller: %v, want none", live)
	}
}

// TestVerdictOutsideWatchedNamespace: with --watch-namespace, stacks of
// other namespaces are not served (their owners are not kelb's to judge;
// the cache cannot read them) and never live, nor are explicit Ingress
// groups (their members may be anywhere); stacks of the watched namespace
// are judged as before.
func TestVerdictOutsideWatchedNamespace(t *testing.T) {
	cache := fake.NewClientBuilder().Build()
	c := NewController(Deps{Cache: cache, Reader: cache, LoadBalancerClass: service.DefaultLoadBalancerClass,
		WatchNamespace: "ns", Ingress: &ingresscontroller.ClassFlags{IngressClass: "alb"}})
	got := map[string]Verdict{}
	for _, id := range []model.StackID{
		model.ServiceStackID("ns", "gone"), model.ServiceStackID("other", "gone"),
		{Kind: model.IngressKind, Name: "other/gone"}, {Kind: model.IngressKind, Name: "shared-group"},
	} {
		v, err := c.verdict(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		got[id.String()] = v
		if live, err := c.isLive(context.Background(), id); err != nil || live {
			t.Errorf("%s: live %t, %v; want not live", id, live, err)
		}
	}
	want := map[string]Verdict{"service:ns/gone": Orphan, "service:other/gone": NotServed,
		"ingress:other/gone": NotServed, "ingress:shared-group": NotServed}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}
