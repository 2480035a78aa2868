package ingress

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kelb-dev/kelb/internal/ingress"
)

func TestOwnershipOf(t *testing.T) {
	ours, notOurs, invalid := ingress.Class{Verdict: ingress.Ours}, ingress.Class{Verdict: ingress.NotOurs},
		ingress.Class{Verdict: ingress.Invalid}
	tests := []struct {
		name  string
		ing   *networkingv1.Ingress
		class ingress.Class
		flag  string
		want  Ownership
	}{
		{"ours", testIngress(), ours, "alb", Claimed},
		{"ours, finalized", testIngress(finalized), ours, "alb", Claimed},
		{"not ours, no finalizer", testIngress(), notOurs, "alb", Foreign},
		{"not ours with the finalizer, kelb stands in for LBC", testIngress(finalized), notOurs, "alb", Released},
		{"same with the class-less flag", testIngress(finalized), notOurs, "", Released},
		{"not ours with the finalizer, kelb of its own class: LBC's", testIngress(finalized), notOurs, "kelb", Foreign},
		{"not ours, our record", testIngress(finalized, annotate(AnnClaimedClass, "kelb")), notOurs, "kelb", Released},
		{"another kelb's record wins over the class", testIngress(finalized, annotate(AnnClaimedClass, "x")), ours,
			"alb", Foreign},
		{"invalid class, finalized", testIngress(finalized), invalid, "alb", Broken},
		{"invalid class, never served", testIngress(), invalid, "alb", Foreign},
	}
	for _, tt := range tests {
		if got := ownershipOf(tt.ing, tt.class, tt.flag); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
