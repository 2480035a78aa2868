package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// transformRules describes the rules of the load balancer's only listener
// in priority order: their path and host conditions (values, or regular
// expressions as re:), the port of the target group they forward to, and
// their transforms, as AWS answers them.
func (cl *cluster) transformRules(lbARN string) ([]string, error) {
	ctx := cl.t.Context()
	api := cl.world.Clients.ELBV2
	tgs, err := api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: &lbARN})
	if err != nil {
		return nil, err
	}
	tgPort := map[string]int32{}
	for _, tg := range tgs.TargetGroups {
		tgPort[aws.ToString(tg.TargetGroupArn)] = aws.ToInt32(tg.Port)
	}
	ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
	if err != nil || len(ls.Listeners) != 1 {
		return nil, fmt.Errorf("listeners %v: %v", ls, err)
	}
	rules, err := api.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: ls.Listeners[0].ListenerArn})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rules.Rules {
		if aws.ToBool(r.IsDefault) {
			continue
		}
		var parts []string
		for _, c := range r.Conditions {
			switch {
			case c.PathPatternConfig != nil:
				parts = append(parts, "path "+strings.Join(c.PathPatternConfig.Values, "|")+
					strings.Join(prefixed("re:", c.PathPatternConfig.RegexValues), "|"))
			case c.HostHeaderConfig != nil:
				parts = append(parts, "host "+strings.Join(c.HostHeaderConfig.Values, "|")+
					strings.Join(prefixed("re:", c.HostHeaderConfig.RegexValues), "|"))
			default:
				parts = append(parts, aws.ToString(c.Field)+"?")
			}
		}
		for _, a := range r.Actions {
			parts = append(parts, fmt.Sprintf("-> tg:%d", tgPort[aws.ToString(a.TargetGroupArn)]))
		}
		var transforms []string
		for _, tr := range r.Transforms {
			var rw []elbv2types.RewriteConfig
			switch {
			case tr.UrlRewriteConfig != nil:
				rw = tr.UrlRewriteConfig.Rewrites
			case tr.HostHeaderRewriteConfig != nil:
				rw = tr.HostHeaderRewriteConfig.Rewrites
			}
			for _, x := range rw {
				transforms = append(transforms, fmt.Sprintf("%s %s=>%s", tr.Type, aws.ToString(x.Regex), aws.ToString(x.Replace)))
			}
		}
		slices.Sort(transforms)
		if len(transforms) > 0 {
			parts = append(parts, "with "+strings.Join(transforms, "; "))
		}
		out = append(out, aws.ToString(r.Priority)+" "+strings.Join(parts, " "))
	}
	return out, nil
}

func prefixed(p string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = p + v
	}
	return out
}

// TestIngressTransforms: an Ingress with a url-rewrite and a
// host-header-rewrite transform on one Service's path and, with
// use-regex-path-match, a regular-expression path to another: the rules in
// AWS carry both as written, and a restarted kelb finds them unchanged (no
// write); changing a transform's replacement is one
// ModifyRule; a transform AWS would refuse gives a Warning naming the
// annotation and makes no AWS write; removing the annotation is one
// ModifyRule that resets the rule's transforms.
func TestIngressTransforms(t *testing.T) {
	cl := newCluster(t, 2)
	cl.opts.EnableIngress, cl.opts.IngressClass = true, "alb"
	cl.startKelb()
	ctx := t.Context()
	if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
		t.Fatal(err)
	}
	nodePort := func(port int32) svcOption {
		return func(s *corev1.Service) {
			s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeNodePort, nil
			withPort(80, port, corev1.ProtocolTCP)(s)
		}
	}
	cl.createEndpoints(cl.createService("api", nodePort(30981)), "10.0.10.51")
	cl.createEndpoints(cl.createService("versions", nodePort(30982)), "10.0.11.52")
	transforms := func(replace string) string {
		return `[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"^/api/(.+)$","replace":"` + replace +
			`"}]}},{"type":"host-header-rewrite","hostHeaderRewriteConfig":{"rewrites":[` +
			`{"regex":"^api\\.example\\.com$","replace":"example.com"}]}}]`
	}
	prefix, specific := networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific
	path := func(p string, pt *networkingv1.PathType, svc string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: pt, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}}
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "rewrite",
		Annotations: map[string]string{
			ingress.AnnTransformsPrefix + "api": transforms("/$1"),
			ingress.AnnUseRegexPathMatch:        "true",
		}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{path("/api", &prefix, "api"),
					path("/^/v[0-9]+/.+$", &specific, "versions")}}}}}}}
	if err := cl.c.Create(ctx, ing); err != nil {
		t.Fatal(err)
	}
	lbARN := cl.waitLoadBalancer("k8s-default-rewrite-")
	converge := func(step string, want []string) {
		t.Helper()
		eventually(t, 60*time.Second, step, func() (bool, string) {
			got, err := cl.transformRules(lbARN)
			if err != nil {
				return false, err.Error()
			}
			diff := cmp.Diff(want, got)
			return diff == "", diff
		})
	}
	hostRewrite := `host-header-rewrite ^api\.example\.com$=>example.com`
	regexRule := "2 path re:^/v[0-9]+/.+$ -> tg:30982"
	converge("the rules with their transforms and regular expression", []string{
		"1 path /api|/api/* -> tg:30981 with " + hostRewrite + "; url-rewrite ^/api/(.+)$=>/$1", regexRule})

	elbWrites := func(since time.Time) []string {
		var out []string
		for _, c := range cl.calls(since) {
			if c.Mutating() && c.Service == "elasticloadbalancing" {
				out = append(out, c.Action)
			}
		}
		return out
	}
	// loggedWrites are the writes since t0 once the log holds one: AWS
	// answers a test's read with a change a moment before the proxy logs
	// the call that made it.
	loggedWrites := func(t0 time.Time) []string {
		t.Helper()
		eventually(t, 10*time.Second, "the write logged", func() (bool, string) { return len(elbWrites(t0)) > 0, "" })
		return elbWrites(t0)
	}

	// A restarted kelb reads the rules from AWS and finds them as it
	// wants them: no write.
	cl.stopKelb()
	t0 := time.Now()
	cl.startKelb()
	eventually(t, 60*time.Second, "kelb quiet after its restart", func() (bool, string) {
		calls := cl.calls(t0)
		read := slices.ContainsFunc(calls, func(c awsproxy.Call) bool { return c.Action == "DescribeRules" })
		return read && time.Since(calls[len(calls)-1].Time) > 3*time.Second, fmt.Sprintf("%d calls", len(calls))
	})
	if got := elbWrites(t0); len(got) > 0 {
		t.Errorf("after a restart: calls %v, want none", got)
	}

	edit := func(value string) time.Time {
		t.Helper()
		t0 := time.Now()
		updateRetrying(cl, func(name string) *networkingv1.Ingress { return load(cl, name, &networkingv1.Ingress{}) },
			"rewrite", func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnTransformsPrefix+"api"] = value })
		return t0
	}
	t0 = edit(transforms("/v2/$1"))
	converge("the new replacement", []string{
		"1 path /api|/api/* -> tg:30981 with " + hostRewrite + "; url-rewrite ^/api/(.+)$=>/v2/$1", regexRule})
	if got, want := loggedWrites(t0), []string{"ModifyRule"}; !slices.Equal(got, want) {
		t.Errorf("changing a transform: calls %v, want %v", got, want)
	}

	// Two url-rewrite transforms (AWS takes one of each type): a Warning
	// naming the annotation, nothing in AWS.
	key := ingress.AnnTransformsPrefix + "api"
	t0 = edit(`[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"a","replace":"b"}]}},` +
		`{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"c","replace":"d"}]}}]`)
	eventually(t, 30*time.Second, "the warning naming "+key, func() (bool, string) {
		events := cl.ingressEvents("rewrite", corev1.EventTypeWarning)
		for _, e := range events {
			if strings.Contains(e, key) && strings.Contains(e, "one transform of each type") {
				return true, ""
			}
		}
		return false, fmt.Sprint(events)
	})
	if got := elbWrites(t0); len(got) > 0 {
		t.Errorf("a bad transform: calls %v, want none", got)
	}
	converge("the rules kept", []string{
		"1 path /api|/api/* -> tg:30981 with " + hostRewrite + "; url-rewrite ^/api/(.+)$=>/v2/$1", regexRule})

	t0 = time.Now()
	updateRetrying(cl, func(name string) *networkingv1.Ingress { return load(cl, name, &networkingv1.Ingress{}) },
		"rewrite", func(i *networkingv1.Ingress) { delete(i.Annotations, key) })
	converge("the transforms gone", []string{"1 path /api|/api/* -> tg:30981", regexRule})
	if got, want := loggedWrites(t0), []string{"ModifyRule"}; !slices.Equal(got, want) {
		t.Errorf("removing the transforms: calls %v, want %v", got, want)
	}
}
