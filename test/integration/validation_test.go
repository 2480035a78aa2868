package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/service"
)

// mutatingCalls returns kelb's calls since t0 that change AWS.
func (cl *cluster) mutatingCalls(t0 time.Time) []string {
	var out []string
	for _, c := range cl.calls(t0) {
		if c.Mutating() {
			out = append(out, fmt.Sprintf("%s %v", c.Action, c.Params))
		}
	}
	return out
}

// waitEvent waits for a Warning event with reason on the Service.
func (cl *cluster) waitEvent(name, reason string) {
	cl.t.Helper()
	eventually(cl.t, 20*time.Second, name+" event "+reason, func() (bool, string) {
		var events corev1.EventList
		if err := cl.c.List(cl.t.Context(), &events); err != nil {
			return false, err.Error()
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning && e.Reason == reason {
				return true, ""
			}
		}
		return false, "none yet"
	})
}

func withPorts(from, n int32) svcOption {
	return func(s *corev1.Service) {
		for p := from; p < from+n; p++ {
			withPort(p, 0, corev1.ProtocolTCP)(s)
		}
	}
}

// TestBadInputChangesNothing: input that AWS would refuse after the
// frontend group or the load balancer were made is found before: each such
// Service gets a Warning event and Ready=False/InvalidConfiguration naming
// what is wrong and what is allowed, kelb makes no mutating AWS call for
// any of them, and a good Service created meanwhile converges.
func TestBadInputChangesNothing(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("good")
	cl.waitReady("good")
	cert := importCertificate(t, cl)
	t0 := time.Now()

	bad := []struct {
		name     string
		opts     []svcOption
		mentions []string // in the condition's message
	}{
		{"lb-attribute-key", []svcOption{annotate(service.AnnAttributes, "idle_timeout.timeout_seconds=60")},
			[]string{service.AnnAttributes, "idle_timeout.timeout_seconds", "deletion_protection.enabled"}},
		{"lb-attribute-value", []svcOption{annotate(service.AnnAttributes, "deletion_protection.enabled=yes")},
			[]string{service.AnnAttributes, "deletion_protection.enabled=yes", "true or false"}},
		{"tg-attribute-key", []svcOption{annotate(service.AnnTargetGroupAttributes, "stickiness.lb_cookie.duration_seconds=60")},
			[]string{service.AnnTargetGroupAttributes, "stickiness.lb_cookie.duration_seconds", "proxy_protocol_v2.enabled"}},
		{"tg-attribute-value", []svcOption{annotate(service.AnnTargetGroupAttributes, "deregistration_delay.timeout_seconds=7200")},
			[]string{service.AnnTargetGroupAttributes, "deregistration_delay.timeout_seconds=7200", "from 0 to 3600"}},
		{"ssl-policy", []svcOption{annotate(service.AnnSSLCert, cert), annotate(service.AnnSSLPolicy, "ELBSecurityPolicy-Bogus")},
			[]string{service.AnnSSLPolicy, "ELBSecurityPolicy-Bogus", "ELBSecurityPolicy-2016-08"}},
		{"ssl-cert", []svcOption{annotate(service.AnnSSLCert, "arn:aws:s3:::my-bucket")},
			[]string{service.AnnSSLCert, "arn:aws:s3:::my-bucket", "server-certificate"}},
		{"success-codes", []svcOption{annotate(service.AnnHCProtocol, "HTTP"), annotate(service.AnnHCSuccessCodes, "200-600")},
			[]string{service.AnnHCSuccessCodes, "200-600", "from 200 to 599"}},
		{"scheme-case", []svcOption{annotate(service.AnnScheme, "Internet-Facing")},
			[]string{service.AnnScheme, "Internet-Facing", "internal, internet-facing"}},
		{"preserve-client-ip", []svcOption{annotate(service.AnnTargetGroupAttributes, "preserve_client_ip.enabled= FalSe")},
			[]string{service.AnnTargetGroupAttributes, "preserve_client_ip.enabled= FalSe", "true or false"}},
		{"legacy-access-log", []svcOption{annotate(service.AnnAccessLogEnabled, "yes")},
			[]string{service.AnnAccessLogEnabled, `"yes"`, "true, false"}},
		{"ipv6-range", []svcOption{func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"2600:1f00::/40"} }},
			[]string{"spec.loadBalancerSourceRanges", "2600:1f00::/40", "dualstack"}},
		{"listeners", []svcOption{withPorts(1001, 51)}, []string{"51 ports", "at most 50 listeners"}},
		{"frontend-rules", []svcOption{withPorts(1001, 7), func(s *corev1.Service) {
			for i := range 9 {
				s.Spec.LoadBalancerSourceRanges = append(s.Spec.LoadBalancerSourceRanges, fmt.Sprintf("10.%d.0.0/16", i))
			}
		}}, []string{"63 IPv4", "quota of 60", "spec.loadBalancerSourceRanges"}},
	}
	for _, b := range bad {
		cl.createService(b.name, b.opts...)
	}
	for _, b := range bad {
		c := cl.waitCondition(b.name, "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
		for _, want := range b.mentions {
			if !strings.Contains(c.Message, want) {
				t.Errorf("%s: message %q does not name %q", b.name, c.Message, want)
			}
		}
		cl.waitEvent(b.name, "InvalidConfiguration")
	}
	if calls := cl.mutatingCalls(t0); len(calls) != 0 {
		t.Errorf("kelb changed AWS for bad input: %v", calls)
	}
	// The others go on.
	cl.createService("good-too")
	cl.waitReady("good-too")
}

// TestCertificateNotYetUsable: a TLS Service whose certificate ACM does not
// have yet, or has not issued yet, waits with Ready=False/
// CertificateNotReady saying when it retries, and nothing is made for it;
// once the certificate is usable, the Service converges without an edit,
// within the backoff. An IAM server certificate is used as it is.
func TestCertificateNotYetUsable(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	pending, missing := importCertificate(t, cl), importCertificate(t, cl)
	env.Proxy.Certificates.Hold(pending, "PENDING_VALIDATION")
	env.Proxy.Certificates.Hold(missing, "MISSING")
	t.Cleanup(func() { env.Proxy.Certificates.Release(pending); env.Proxy.Certificates.Release(missing) })
	certPEM, keyPEM := selfSigned(t)
	up, err := cl.world.Clients.IAM.UploadServerCertificate(t.Context(), &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("web-" + cl.world.Account), CertificateBody: aws.String(string(certPEM)),
		PrivateKey: aws.String(string(keyPEM))})
	if err != nil {
		t.Fatal(err)
	}
	iamCert := aws.ToString(up.ServerCertificateMetadata.Arn)

	t0 := time.Now()
	cl.createService("pending", annotate(service.AnnSSLCert, pending))
	cl.createService("missing", annotate(service.AnnSSLCert, missing))
	for name, want := range map[string][]string{"pending": {pending, "PENDING_VALIDATION", "retrying in "},
		"missing": {missing, "does not exist", "retrying in "}} {
		c := cl.waitCondition(name, "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "CertificateNotReady")
		for _, w := range want {
			if !strings.Contains(c.Message, w) {
				t.Errorf("%s: message %q does not say %q", name, c.Message, w)
			}
		}
		cl.waitEvent(name, "CertificateNotReady")
	}
	if calls := cl.mutatingCalls(t0); len(calls) != 0 {
		t.Errorf("kelb changed AWS for Services whose certificate is not usable: %v", calls)
	}
	cl.createService("iam", annotate(service.AnnSSLCert, iamCert))
	cl.waitReady("iam")

	released := time.Now()
	env.Proxy.Certificates.Release(pending)
	env.Proxy.Certificates.Release(missing)
	cl.waitReady("pending")
	cl.waitReady("missing")
	// Released within the first wait (10s) or just after a retry: the next
	// retry comes at most 20s later.
	took := time.Since(released)
	t.Logf("converged %s after the certificates became usable", took.Round(100*time.Millisecond))
	if took > 35*time.Second {
		t.Errorf("converged %s after the certificates became usable, want within the backoff", took)
	}
	certs := map[string]bool{}
	for _, c := range cl.calls(t0) {
		if c.Action == "CreateListener" {
			certs[c.Params["Certificates.member.1.CertificateArn"]] = true
		}
	}
	for _, want := range []string{pending, missing, iamCert} {
		if !certs[want] {
			t.Errorf("no TLS listener made with %s: %v", want, certs)
		}
	}
}

// TestNoNodeMatchesTargetNodeLabels: a typo in target-node-labels leaves
// the load balancer without targets: it is deployed, but Ready stays False
// with a Warning event naming the selector, until a node matches.
func TestNoNodeMatchesTargetNodeLabels(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("typo", annotate(service.AnnTargetNodeLabels, "pool=edg"))
	c := cl.waitCondition("typo", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "NoMatchingNodes")
	if !strings.Contains(c.Message, "pool=edg") {
		t.Errorf("message %q does not name the selector", c.Message)
	}
	cl.waitEvent("typo", "NoMatchingNodes")
	cl.waitCondition("typo", "elbv2.k8s.aws/Deployed", metav1.ConditionTrue, "Deployed")
	if len(cl.get("typo").Status.LoadBalancer.Ingress) == 0 {
		t.Error("the load balancer's hostname is not in the status")
	}
	updateRetrying(cl, func(name string) *corev1.Node {
		var n corev1.Node
		if err := cl.c.Get(t.Context(), client.ObjectKey{Name: name}, &n); err != nil {
			t.Fatal(err)
		}
		return &n
	}, cl.world.Nodes[0], func(n *corev1.Node) { n.Labels["pool"] = "edg" })
	cl.waitReady("typo")
}
