package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestOwnershipOf(t *testing.T) {
	const custom = "example.com/kelb"
	served := func(s *corev1.Service) *corev1.Service {
		s.Finalizers = []string{Finalizer}
		return s
	}
	svc := func(typ corev1.ServiceType, class string, ann map[string]string) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Annotations: ann}, Spec: corev1.ServiceSpec{Type: typ}}
		if class != "" {
			s.Spec.LoadBalancerClass = &class
		}
		return s
	}
	lb, nodePort := corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort
	external := map[string]string{AnnType: "external", AnnTargetType: "ip"}
	tests := []struct {
		name  string
		svc   *corev1.Service
		class string // kelb's --load-balancer-class
		want  Ownership
	}{
		// kelb with LBC's class claims what LBC claims.
		{"LBC's class", svc(lb, DefaultLoadBalancerClass, nil), DefaultLoadBalancerClass, Claimed},
		{"another class", svc(lb, "x/y", nil), DefaultLoadBalancerClass, Foreign},
		{"another class with LBC's annotations", svc(lb, "x/y", external), DefaultLoadBalancerClass, Foreign},
		{"external with target type", svc(lb, "", external), DefaultLoadBalancerClass, Claimed},
		{"external without target type", svc(lb, "", map[string]string{AnnType: "external"}), DefaultLoadBalancerClass, Released},
		{"external with target type instance", svc(lb, "", map[string]string{AnnType: "external", AnnTargetType: "instance"}),
			DefaultLoadBalancerClass, Claimed},
		{"external with a target type LBC does not take", svc(lb, "", map[string]string{AnnType: "external", AnnTargetType: "IP"}),
			DefaultLoadBalancerClass, Released},
		{"external with an empty target type", svc(lb, "", map[string]string{AnnType: "external", AnnTargetType: ""}),
			DefaultLoadBalancerClass, Released},
		{"served, then a target-type typo: kept, to refuse it", served(svc(lb, "", map[string]string{AnnType: "external",
			AnnTargetType: "ipp"})), DefaultLoadBalancerClass, Claimed},
		{"served, then the target type removed: cleaned up", served(svc(lb, "", map[string]string{AnnType: "external"})),
			DefaultLoadBalancerClass, Released},
		{"served, then the type annotation changed: cleaned up", served(svc(lb, "", map[string]string{AnnType: "nlb",
			AnnTargetType: "ip"})), DefaultLoadBalancerClass, Released},
		{"served, a typo, type changed away: cleaned up", served(svc(nodePort, "", map[string]string{AnnType: "external",
			AnnTargetType: "ipp"})), DefaultLoadBalancerClass, Released},
		{"a typo on a class-less Service beside a kelb of its own class", served(svc(lb, "", map[string]string{
			AnnType: "external", AnnTargetType: "ipp"})), custom, Foreign},
		{"legacy nlb-ip", svc(lb, "", map[string]string{AnnType: "nlb-ip"}), DefaultLoadBalancerClass, Claimed},
		{"in-tree nlb", svc(lb, "", map[string]string{AnnType: "nlb"}), DefaultLoadBalancerClass, Released},
		{"no annotation, no class", svc(lb, "", nil), DefaultLoadBalancerClass, Released},
		{"type changed away", svc(nodePort, "", external), DefaultLoadBalancerClass, Released},
		{"another kelb's former Service", svc(nodePort, "", map[string]string{AnnClaimedClass: custom}),
			DefaultLoadBalancerClass, Foreign},
		// kelb with a class of its own claims only that class.
		{"own class", svc(lb, custom, nil), custom, Claimed},
		{"LBC's class beside a kelb of its own class", svc(lb, DefaultLoadBalancerClass, nil), custom, Foreign},
		{"class-less with LBC's annotations", svc(lb, "", external), custom, Foreign},
		{"class-less former LBC Service", svc(nodePort, "", nil), custom, Foreign},
		{"own former Service, class cleared with the type", svc(nodePort, "", map[string]string{AnnClaimedClass: custom}),
			custom, Released},
		{"marker of another kelb on own class", svc(lb, custom, map[string]string{AnnClaimedClass: "other/x"}), custom, Foreign},
	}
	var got, want []string
	for _, tt := range tests {
		got = append(got, tt.name+": "+OwnershipOf(tt.svc, tt.class).String())
		want = append(want, tt.name+": "+tt.want.String())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}
