package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/ingress"
)

// TestUnknownSSLPolicyRefused: an HTTPS Ingress naming an SSL policy AWS
// does not offer changes nothing (no finalizer, no deploy) and gets an
// event naming the annotation and the policies allowed; it waits for an
// edit.
func TestUnknownSSLPolicyRefused(t *testing.T) {
	ing := testIngress(className("alb"), annotate(ingress.AnnSSLPolicy, "ELBSecurityPolicy-TLS-1-3"),
		annotate(ingress.AnnCertificateARN, "arn:aws:acm:eu-west-1:123456789012:certificate/web"))
	h := newHarness(t, "alb", ingressClass("alb", ingress.ControllerALB), webService(), ing)
	res, err := h.reconcile(t)
	if err != nil {
		t.Fatal(err)
	}
	got := h.state(t, res, err)
	want := []string{`Warning FailedBuildModel: Failed build model due to annotation alb.ingress.kubernetes.io/ssl-policy: ` +
		`invalid value "ELBSecurityPolicy-TLS-1-3"; allowed: an SSL policy AWS offers application load balancers: ` +
		`ELBSecurityPolicy-2016-08, ELBSecurityPolicy-TLS13-1-2-2021-06`}
	if diff := cmp.Diff(want, got.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(got.Calls) != 0 || len(got.Finalizers) != 0 || got.Requeue != 0 {
		t.Errorf("calls %v, finalizers %v, requeue %s: want none", got.Calls, got.Finalizers, got.Requeue)
	}
}
