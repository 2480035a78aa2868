package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// TestSSLPolicyChecked: an HTTPS listener's SSL policy (annotation, else
// the params', else --default-ssl-policy, else LBC's default) must be one
// AWS offers application load balancers; otherwise Build refuses it naming
// where it came from and the policies allowed. Policies not looked up (no
// HTTPS listener) are not checked.
func TestSSLPolicyChecked(t *testing.T) {
	const (
		modern  = "ELBSecurityPolicy-TLS13-1-2-2021-06"
		classic = "ELBSecurityPolicy-2016-08"
	)
	known := []string{classic, modern}
	allowed := "an SSL policy AWS offers application load balancers: " + classic + ", " + modern
	params := func(policy string) *elbv2.IngressClassParams {
		return &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "tls"},
			Spec: elbv2.IngressClassParamsSpec{SSLPolicy: policy}}
	}
	tests := []struct {
		name       string
		annotation string // ssl-policy; "" unset
		params     *elbv2.IngressClassParams
		flag       string // --default-ssl-policy
		https      bool
		known      []string
		want       string // the HTTPS listener's policy when built
		wantErr    error
	}{
		{name: "LBC's default", https: true, known: known, want: classic},
		{name: "the annotation, known", annotation: modern, https: true, known: known, want: modern},
		{name: "the annotation, unknown", annotation: "ELBSecurityPolicy-TLS-1-3", https: true, known: known,
			wantErr: &AnnotationError{Annotation: AnnSSLPolicy, Value: "ELBSecurityPolicy-TLS-1-3", Allowed: allowed}},
		{name: "the params win over the annotation", annotation: "bogus", params: params(modern), https: true,
			known: known, want: modern},
		{name: "the params, unknown", params: params("bogus"), https: true, known: known,
			wantErr: &AnnotationError{Annotation: "IngressClassParams tls spec.sslPolicy", Value: "bogus", Allowed: allowed}},
		{name: "the flag, known", flag: modern, https: true, known: known, want: modern},
		{name: "the flag, unknown", flag: "bogus", https: true, known: known,
			wantErr: &FieldError{Field: "flag --default-ssl-policy", Value: "bogus",
				Allowed: allowed + " (or set " + AnnSSLPolicy + " on the Ingress)"}},
		{name: "no HTTPS listener: not looked up, not checked", annotation: "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := minimalIngress()
			if tt.annotation != "" {
				ing.Annotations[AnnSSLPolicy] = tt.annotation
			}
			if tt.https {
				ing.Annotations[AnnCertificateARN] = certDefault
			}
			cfg := testConfig()
			cfg.DefaultSSLPolicy = tt.flag
			class := Class{Verdict: Ours, Params: tt.params}
			q, err := Query(cfg, ing, class)
			if err != nil {
				t.Fatal(err)
			}
			if q.SSLPolicies != tt.https {
				t.Errorf("query asks for SSL policies: %t, want %t", q.SSLPolicies, tt.https)
			}
			stack, err := Build(cfg, Input{Ingress: ing, Class: class, Services: testServices(),
				Facts: Facts{Subnets: []string{"subnet-a", "subnet-b"}, SSLPolicies: tt.known,
					CertificateStatuses: issued(certDefault)}})
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			got := ""
			for _, l := range stack.Listeners {
				if l.Protocol == ProtocolHTTPS {
					got = l.SSLPolicy
				}
			}
			if got != tt.want {
				t.Errorf("HTTPS listener's policy %q, want %q", got, tt.want)
			}
		})
	}
}
