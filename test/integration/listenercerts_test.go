package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/service"
)

// listenerCertificates returns the only listener's certificates, its
// default first (marked *).
func (cl *cluster) listenerCertificates() []string {
	cl.t.Helper()
	ctx := cl.t.Context()
	ls, err := cl.world.Clients.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{
		LoadBalancerArn: aws.String(only(cl.t, cl.loadBalancers()))})
	if err != nil || len(ls.Listeners) != 1 {
		cl.t.Fatalf("listeners %v %v", ls, err)
	}
	out, err := cl.world.Clients.ELBV2.DescribeListenerCertificates(ctx, &elbv2.DescribeListenerCertificatesInput{
		ListenerArn: ls.Listeners[0].ListenerArn})
	if err != nil {
		cl.t.Fatal(err)
	}
	var certs []string
	for _, c := range out.Certificates {
		if aws.ToBool(c.IsDefault) {
			certs = append([]string{aws.ToString(c.CertificateArn) + "*"}, certs...)
		} else {
			certs = append(certs, aws.ToString(c.CertificateArn))
		}
	}
	return certs
}

// TestListenerCertificates: the ssl-cert annotation's first certificate is
// the TLS listener's default, the others are added beside it; a change
// moves the default and adds before it removes; after a restart kelb reads
// the certificates again and sends nothing.
func TestListenerCertificates(t *testing.T) {
	cl := newCluster(t, 2)
	cl.startKelb()
	c1, c2, c3 := importCertificate(t, cl), importCertificate(t, cl), importCertificate(t, cl)
	cl.createService("multi", annotate(service.AnnSSLCert, c1+","+c2+", "+c3), withPort(443, 0, corev1.ProtocolTCP))
	cl.waitReady("multi")
	want := []string{c1 + "*", c2, c3}
	if got := cl.listenerCertificates(); !slices.Equal(got, want) {
		t.Errorf("certificates %v, want %v", got, want)
	}

	t0 := time.Now()
	cl.update("multi", func(s *corev1.Service) { s.Annotations[service.AnnSSLCert] = c3 + "," + c1 })
	want = []string{c3 + "*", c1}
	eventually(t, 30*time.Second, "the new certificates", func() (bool, string) {
		got := cl.listenerCertificates()
		return slices.Equal(got, want), fmt.Sprint(got)
	})
	var order []string
	for _, c := range cl.calls(t0) {
		if c.Mutating() {
			order = append(order, c.Action+" "+strings.TrimPrefix(c.Params["Certificates.member.1.CertificateArn"], "arn:"))
		}
	}
	wantOrder := []string{"ModifyListener " + strings.TrimPrefix(c3, "arn:"), "AddListenerCertificates " +
		strings.TrimPrefix(c1, "arn:"), "RemoveListenerCertificates " + strings.TrimPrefix(c2, "arn:"),
		"RemoveListenerCertificates " + strings.TrimPrefix(c3, "arn:")}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(order, "\n"), strings.Join(wantOrder, "\n"))
	}

	// A restart reads what the listener holds and finds nothing to change.
	cl.stopKelb()
	t1 := time.Now()
	cl.startKelb()
	eventually(t, 30*time.Second, "the certificates read again", func() (bool, string) {
		for _, c := range cl.calls(t1) {
			if c.Action == "DescribeListenerCertificates" {
				return true, ""
			}
		}
		return false, "no DescribeListenerCertificates yet"
	})
	cl.waitReady("multi")
	for _, c := range cl.calls(t1) {
		if c.Mutating() {
			t.Errorf("converged listener changed after a restart: %s %v", c.Action, c.Params)
		}
	}
}
