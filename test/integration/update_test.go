package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// TestUpdateInPlace changes a converged Service three ways and checks that
// the load balancer is modified, never recreated.
func TestUpdateInPlace(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	svc := cl.createService("app")
	cl.createEndpoints(svc, "10.0.10.21", "10.0.11.22")
	cl.waitReady("app")
	ctx := t.Context()
	api := cl.world.Clients.ELBV2
	lbARN := only(t, cl.loadBalancers())

	listeners := func() map[int32]string {
		out, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[int32]string{}
		for _, l := range out.Listeners {
			m[aws.ToInt32(l.Port)] = string(l.Protocol)
		}
		return m
	}

	t.Run("add a port", func(t *testing.T) {
		cl.update("app", func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP,
				TargetPort: intstr.FromInt32(5353)})
		})
		eventually(t, 30*time.Second, "two listeners", func() (bool, string) {
			l := listeners()
			return len(l) == 2 && l[53] == "UDP" && l[80] == "TCP", ""
		})
	})

	t.Run("change an attribute", func(t *testing.T) {
		t0 := time.Now()
		cl.update("app", func(s *corev1.Service) {
			s.Annotations = map[string]string{service.AnnAttributes: "load_balancing.cross_zone.enabled=true"}
		})
		eventually(t, 30*time.Second, "cross-zone on", func() (bool, string) {
			out, err := api.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{
				LoadBalancerArn: aws.String(lbARN)})
			if err != nil {
				return false, err.Error()
			}
			for _, a := range out.Attributes {
				if aws.ToString(a.Key) == "load_balancing.cross_zone.enabled" {
					return aws.ToString(a.Value) == "true", aws.ToString(a.Value)
				}
			}
			return false, "attribute missing"
		})
		if n := awsproxy.CountByAction(cl.calls(t0))["CreateLoadBalancer"]; n != 0 {
			t.Errorf("attribute change created %d load balancers", n)
		}
	})

	t.Run("change target type", func(t *testing.T) {
		t0 := time.Now()
		defer func() {
			if t.Failed() {
				for _, c := range cl.calls(t0) {
					t.Logf("%s %s %v %d %s", c.Time.Format("15:04:05.000"), c.Action, c.Params, c.Status, c.ErrorCode)
				}
			}
		}()
		cl.update("app", func(s *corev1.Service) {
			s.Annotations[service.AnnTargetType] = "ip"
		})
		eventually(t, 30*time.Second, "ip target groups", func() (bool, string) {
			out, err := api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
			if err != nil {
				return false, err.Error()
			}
			for _, tg := range out.TargetGroups {
				if tg.TargetType != "ip" {
					return false, "instance target group left: " + aws.ToString(tg.TargetGroupName)
				}
			}
			return len(out.TargetGroups) == 2, ""
		})
		out, _ := api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		for _, tg := range out.TargetGroups {
			if aws.ToInt32(tg.Port) != 8080 {
				continue
			}
			h, err := api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil || len(h.TargetHealthDescriptions) != 2 {
				t.Errorf("want the 2 endpoint IPs as targets, got %+v (%v)", h, err)
			}
		}
		if lbs := cl.loadBalancers(); len(lbs) != 1 || only(t, lbs) != lbARN {
			t.Errorf("the load balancer was replaced: %v", lbs)
		}
	})
}

func only(t *testing.T, m map[string]string) string {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("want exactly one, got %v", m)
	}
	for _, v := range m {
		return v
	}
	return ""
}

// TestSchemeChangeReplaces: AWS cannot change a load balancer's scheme, so
// kelb replaces it; the target group and the hostname follow.
func TestSchemeChangeReplaces(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("edge")
	before := cl.waitReady("edge").Status.LoadBalancer.Ingress[0].Hostname
	oldARN := only(t, cl.loadBalancers())
	cl.update("edge", func(s *corev1.Service) {
		s.Annotations = map[string]string{service.AnnScheme: "internet-facing"}
	})
	eventually(t, 30*time.Second, "new hostname", func() (bool, string) {
		s := cl.get("edge")
		return len(s.Status.LoadBalancer.Ingress) == 1 && s.Status.LoadBalancer.Ingress[0].Hostname != before, ""
	})
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(), &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 || lbs.LoadBalancers[0].Scheme != "internet-facing" ||
		aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn) == oldARN {
		t.Fatalf("want one new internet-facing load balancer, got %+v (%v)", lbs, err)
	}
	for _, sn := range lbs.LoadBalancers[0].AvailabilityZones {
		found := false
		for _, pub := range cl.world.PublicSubnets {
			found = found || aws.ToString(sn.SubnetId) == pub
		}
		if !found {
			t.Errorf("internet-facing load balancer in non-public subnet %s", aws.ToString(sn.SubnetId))
		}
	}
	// The target group is kept: the new load balancer's listener forwards to
	// it. (moto leaves the deleted load balancer in the group's
	// LoadBalancerArns; AWS does not, so that list is not checked.)
	tgs, _ := cl.world.Clients.ELBV2.DescribeTargetGroups(t.Context(), &elbv2.DescribeTargetGroupsInput{})
	ls, err := cl.world.Clients.ELBV2.DescribeListeners(t.Context(), &elbv2.DescribeListenersInput{
		LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil || len(tgs.TargetGroups) != 1 || len(ls.Listeners) != 1 ||
		aws.ToString(ls.Listeners[0].DefaultActions[0].TargetGroupArn) != aws.ToString(tgs.TargetGroups[0].TargetGroupArn) {
		t.Errorf("want the one target group behind the new listener: %d groups, listeners %+v (%v)", len(tgs.TargetGroups), ls, err)
	}
}

// TestTLSListener: a certificate that does not exist keeps the Service that
// names it waiting (nothing is made for it); once another one is named,
// ssl-cert and ssl-ports make the named port a TLS listener with the
// certificate and policy, and the other port stays TCP.
func TestTLSListener(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	missing := "arn:aws:acm:us-west-2:" + cl.world.Account + ":certificate/11111111-2222-3333-4444-555555555555"
	cl.createService("secure", annotate(service.AnnSSLCert, missing), annotate(service.AnnSSLPorts, "p443"),
		withPort(443, 0, corev1.ProtocolTCP), withPort(80, 0, corev1.ProtocolTCP))
	c := cl.waitCondition("secure", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "CertificateNotReady")
	if !strings.Contains(c.Message, missing) || !strings.Contains(c.Message, "does not exist") {
		t.Errorf("message %q does not say which certificate and why", c.Message)
	}

	cert := importCertificate(t, cl)
	cl.update("secure", func(s *corev1.Service) { s.Annotations[service.AnnSSLCert] = cert })
	cl.waitReady("secure")
	ls, err := cl.world.Clients.ELBV2.DescribeListeners(t.Context(), &elbv2.DescribeListenersInput{
		LoadBalancerArn: aws.String(only(t, cl.loadBalancers()))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]string{}
	for _, l := range ls.Listeners {
		got[aws.ToInt32(l.Port)] = string(l.Protocol)
		if l.Protocol == "TLS" && (len(l.Certificates) != 1 || aws.ToString(l.Certificates[0].CertificateArn) != cert ||
			aws.ToString(l.SslPolicy) != "ELBSecurityPolicy-2016-08") {
			t.Errorf("TLS listener %+v", l)
		}
	}
	if got[443] != "TLS" || got[80] != "TCP" {
		t.Errorf("listeners %v", got)
	}
}

// selfSigned returns a new self-signed certificate and its key, in PEM.
func selfSigned(t *testing.T) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "secure.example.com"},
		DNSNames: []string{"secure.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// importCertificate imports a self-signed certificate into ACM.
func importCertificate(t *testing.T, cl *cluster) string {
	t.Helper()
	cert, key := selfSigned(t)
	api := acm.New(acm.Options{Region: testenv.Region, BaseEndpoint: aws.String(env.ProxyURL),
		Credentials: testenv.Credentials(cl.world.Account + testenv.ObserverSuffix)})
	out, err := api.ImportCertificate(t.Context(), &acm.ImportCertificateInput{Certificate: cert, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.CertificateArn)
}
