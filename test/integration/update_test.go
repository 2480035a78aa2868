package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/service"
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
