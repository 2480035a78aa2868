package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestSchemeFlagAndGates: --default-load-balancer-scheme and
// --feature-gates EnableTCPUDPListener=true reach the Service build; after
// a restart with another default scheme the load balancer keeps its own
// (as with LBC), and a change of the Service modifies it in place.
func TestSchemeFlagAndGates(t *testing.T) {
	cl := newCluster(t, 3)
	cl.opts.DefaultScheme = service.SchemeInternetFacing
	if err := cl.opts.FeatureGates.Set("EnableTCPUDPListener=true"); err != nil {
		t.Fatal(err)
	}
	cl.startKelb()
	cl.createService("dns", func(s *corev1.Service) {
		s.Spec.Ports = []corev1.ServicePort{
			{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(5353)},
			{Name: "dns-udp", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(5353)}}
	})
	cl.waitReady("dns")
	lbARN := only(t, cl.loadBalancers())
	lb := describeLoadBalancer(t, cl, lbARN)
	ls, err := cl.world.Clients.ELBV2.DescribeListeners(t.Context(), &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil || len(ls.Listeners) != 1 || ls.Listeners[0].Protocol != "TCP_UDP" || lb.Scheme != "internet-facing" {
		t.Fatalf("want one TCP_UDP listener on an internet-facing load balancer: scheme %s, listeners %+v (%v)",
			lb.Scheme, ls.Listeners, err)
	}

	cl.stopKelb()
	cl.opts.DefaultScheme = service.SchemeInternal
	t0 := time.Now()
	cl.startKelb()
	cl.update("dns", func(s *corev1.Service) {
		s.Annotations = map[string]string{service.AnnCrossZoneEnabled: "true"}
	})
	eventually(t, 30*time.Second, "cross-zone on", func() (bool, string) {
		out, err := cl.world.Clients.ELBV2.DescribeLoadBalancerAttributes(t.Context(),
			&elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN)})
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
	calls := awsproxy.CountByAction(cl.calls(t0))
	if calls["CreateLoadBalancer"] != 0 || calls["DeleteLoadBalancer"] != 0 {
		t.Errorf("the load balancer was replaced after the default scheme changed: %v", calls)
	}
	if lb := describeLoadBalancer(t, cl, lbARN); lb.Scheme != "internet-facing" {
		t.Errorf("scheme %s, want the load balancer's own internet-facing", lb.Scheme)
	}
}

func describeLoadBalancer(t *testing.T, cl *cluster, arn string) elbv2types.LoadBalancer {
	t.Helper()
	out, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(),
		&elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	if err != nil || len(out.LoadBalancers) != 1 {
		t.Fatalf("load balancer %s: %+v (%v)", arn, out, err)
	}
	return out.LoadBalancers[0]
}
