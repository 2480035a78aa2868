package ingress

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// TestStackHold: an Ingress that exists holds its stack unless it is
// another controller's (by class) and carries no implicit group's
// finalizer; one kelb serves, even before its finalizer (a failing build),
// is never an orphan's.
func TestStackHold(t *testing.T) {
	ours, notOurs, invalid := ingress.Class{Verdict: ingress.Ours}, ingress.Class{Verdict: ingress.NotOurs},
		ingress.Class{Verdict: ingress.Invalid}
	tests := []struct {
		name  string
		ing   *networkingv1.Ingress
		class ingress.Class
		flag  string
		want  StackHold
	}{
		{"served", testIngress(finalized), ours, "alb", HoldServed},
		{"ours, no finalizer yet (build failing)", testIngress(), ours, "alb", HoldOther},
		{"left the class with kelb's finalizer", testIngress(finalized), notOurs, "alb", HoldOther},
		{"another class, no finalizer", testIngress(), notOurs, "alb", HoldNone},
		{"another class, LBC's finalizer beside a kelb of its own class", testIngress(finalized), notOurs, "kelb", HoldOther},
		{"another kelb's, finalized", testIngress(finalized, annotate(AnnClaimedClass, "x")), ours, "alb", HoldOther},
		{"another kelb's record without finalizer", testIngress(annotate(AnnClaimedClass, "x")), ours, "alb", HoldNone},
		{"broken class, finalized", testIngress(finalized), invalid, "alb", HoldOther},
		{"broken class, never served", testIngress(), invalid, "alb", HoldOther},
	}
	for _, tt := range tests {
		if got := stackHold(tt.ing, tt.class, tt.flag); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestStackHoldOf: the class is read as the controller reads it; an
// Ingress being deleted is the controller's to finish.
func TestStackHoldOf(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	r := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(ingressClass("alb", ingress.ControllerALB), ingressClass("nginx", "k8s.io/ingress-nginx")).Build()
	got := map[string]StackHold{}
	for name, ing := range map[string]*networkingv1.Ingress{
		"served":          testIngress(className("alb"), finalized),
		"nginx":           testIngress(className("nginx")),
		"nginx, deleting": testIngress(className("nginx"), deleting),
		"missing class":   testIngress(className("gone")),
	} {
		h, err := StackHoldOf(context.Background(), r, ClassFlags{IngressClass: "alb"}, ing)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = h
	}
	want := map[string]StackHold{"served": HoldServed, "nginx": HoldNone, "nginx, deleting": HoldOther,
		"missing class": HoldOther}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("holds (-want +got):\n%s", diff)
	}
}
