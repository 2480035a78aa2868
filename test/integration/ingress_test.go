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
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestIngressServed: an Ingress of LBC's class
// becomes an application load balancer whose listener forwards its path to
// the backend Service's target group (nodes registered by the binding
// controller), the hostname reaches the Ingress's status, a new path is a
// new rule, and deleting the Ingress leaves nothing of its stack in AWS.
func TestIngressServed(t *testing.T) {
	cl := newCluster(t, 2)
	cl.startKelb()
	ctx := t.Context()
	class := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}
	if err := cl.c.Create(ctx, class); err != nil {
		t.Fatal(err)
	}
	cl.createService("web", withPort(80, 30960, corev1.ProtocolTCP), func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.LoadBalancerClass = nil
	})
	prefix := networkingv1.PathTypePrefix
	path := func(p string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{path("/api")}}}}}}}
	if err := cl.c.Create(ctx, ing); err != nil {
		t.Fatal(err)
	}

	var hostname string
	eventually(t, 90*time.Second, "Ingress hostname", func() (bool, string) {
		var got networkingv1.Ingress
		if err := cl.c.Get(ctx, client.ObjectKeyFromObject(ing), &got); err != nil {
			return false, err.Error()
		}
		if len(got.Status.LoadBalancer.Ingress) == 0 {
			return false, "no status yet"
		}
		hostname = got.Status.LoadBalancer.Ingress[0].Hostname
		return hostname != "", fmt.Sprint(got.Status.LoadBalancer)
	})
	var lbARN string
	for name, arn := range cl.loadBalancers() {
		if strings.HasPrefix(name, "k8s-default-web-") {
			lbARN = arn
		}
	}
	if lbARN == "" {
		t.Fatalf("no load balancer k8s-default-web-* for hostname %s: %v", hostname, cl.loadBalancers())
	}
	patterns := func() []string {
		ls, err := cl.world.Clients.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
		if err != nil || len(ls.Listeners) != 1 {
			return []string{fmt.Sprintf("listeners: %v %v", ls, err)}
		}
		rules, err := cl.world.Clients.ELBV2.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: ls.Listeners[0].ListenerArn})
		if err != nil {
			return []string{err.Error()}
		}
		var out []string
		for _, r := range rules.Rules {
			for _, c := range r.Conditions {
				if c.PathPatternConfig != nil {
					out = append(out, strings.Join(c.PathPatternConfig.Values, "|"))
				}
			}
		}
		slices.Sort(out)
		return out
	}
	if got := patterns(); !slices.Equal(got, []string{"/api|/api/*"}) {
		t.Errorf("rules' path patterns %v, want [/api|/api/*]", got)
	}
	eventually(t, 60*time.Second, "nodes registered by the Ingress's binding", func() (bool, string) {
		tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: &lbARN})
		if err != nil || len(tgs.TargetGroups) != 1 {
			return false, fmt.Sprintf("target groups: %v", err)
		}
		h, err := cl.world.Clients.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{
			TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn})
		if err != nil {
			return false, err.Error()
		}
		return len(h.TargetHealthDescriptions) == 2, fmt.Sprintf("%d targets", len(h.TargetHealthDescriptions))
	})

	hasNodeRule := func() (bool, string) {
		rules := cl.nodeRules()
		return slices.ContainsFunc(rules, func(r string) bool { return strings.Contains(r, "30960") }), fmt.Sprint(rules)
	}
	if ok, rules := hasNodeRule(); !ok {
		t.Errorf("no node rule for the backend's node port 30960 while its targets are registered: %s", rules)
	}

	// A second path is a second rule.
	updateRetrying(cl, func(name string) *networkingv1.Ingress { return load(cl, name, &networkingv1.Ingress{}) }, "web",
		func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths = append(i.Spec.Rules[0].HTTP.Paths, path("/static"))
		})
	eventually(t, 60*time.Second, "the new path's rule", func() (bool, string) {
		got := patterns()
		return slices.Equal(got, []string{"/api|/api/*", "/static|/static/*"}), fmt.Sprint(got)
	})

	if err := cl.c.Delete(ctx, ing); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "Ingress gone", func() (bool, string) {
		err := cl.c.Get(ctx, client.ObjectKeyFromObject(ing), &networkingv1.Ingress{})
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err)
	})
	eventually(t, 60*time.Second, "nothing of the Ingress's stack left", func() (bool, string) {
		for name := range cl.loadBalancers() {
			if strings.HasPrefix(name, "k8s-default-web-") {
				return false, name
			}
		}
		tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		if err != nil {
			return false, err.Error()
		}
		return len(tgs.TargetGroups) == 0, fmt.Sprintf("%d target groups", len(tgs.TargetGroups))
	})
	eventually(t, 30*time.Second, "the node rule revoked", func() (bool, string) {
		ok, rules := hasNodeRule()
		return !ok, rules
	})
}
