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

	"github.com/kelb-dev/kelb/internal/ingress"
)

// actionRules describes the rules of the load balancer's HTTP:80 listener
// in priority order with every part of their conditions and actions (a
// target group named by its port), as AWS answers them.
func (cl *cluster) actionRules(lbARN string) ([]string, error) {
	ctx := cl.t.Context()
	api := cl.world.Clients.ELBV2
	tgs, err := api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: &lbARN})
	if err != nil {
		return nil, err
	}
	tgName := map[string]string{}
	for _, tg := range tgs.TargetGroups {
		tgName[aws.ToString(tg.TargetGroupArn)] = fmt.Sprintf("tg:%d", aws.ToInt32(tg.Port))
	}
	ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
	if err != nil || len(ls.Listeners) != 1 {
		return nil, fmt.Errorf("listeners %v: %v", ls, err)
	}
	rules, err := api.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: ls.Listeners[0].ListenerArn})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rules.Rules, func(a, b elbv2types.Rule) int {
		return strings.Compare(fmt.Sprintf("%5s", aws.ToString(a.Priority)), fmt.Sprintf("%5s", aws.ToString(b.Priority)))
	})
	var out []string
	for _, r := range rules.Rules {
		if aws.ToBool(r.IsDefault) {
			continue
		}
		var conds []string
		for _, c := range r.Conditions {
			switch {
			case c.PathPatternConfig != nil:
				conds = append(conds, "path "+strings.Join(c.PathPatternConfig.Values, "|"))
			case c.HttpHeaderConfig != nil:
				conds = append(conds, "header "+aws.ToString(c.HttpHeaderConfig.HttpHeaderName)+"="+
					strings.Join(c.HttpHeaderConfig.Values, "|"))
			case c.QueryStringConfig != nil:
				for _, kv := range c.QueryStringConfig.Values {
					conds = append(conds, "query "+aws.ToString(kv.Key)+"="+aws.ToString(kv.Value))
				}
			default:
				conds = append(conds, aws.ToString(c.Field)+"?")
			}
		}
		slices.Sort(conds)
		var acts []string
		for _, a := range r.Actions {
			switch {
			case a.ForwardConfig != nil:
				var parts []string
				for _, t := range a.ForwardConfig.TargetGroups {
					parts = append(parts, fmt.Sprintf("%s=%d", tgName[aws.ToString(t.TargetGroupArn)], aws.ToInt32(t.Weight)))
				}
				slices.Sort(parts)
				s := a.ForwardConfig.TargetGroupStickinessConfig
				acts = append(acts, fmt.Sprintf("forward %s sticky=%v/%d", strings.Join(parts, ","),
					s != nil && aws.ToBool(s.Enabled), aws.ToInt32(s.DurationSeconds)))
			case a.RedirectConfig != nil:
				rc := a.RedirectConfig
				acts = append(acts, fmt.Sprintf("redirect %s://%s:%s%s?%s %s", aws.ToString(rc.Protocol),
					aws.ToString(rc.Host), aws.ToString(rc.Port), aws.ToString(rc.Path), aws.ToString(rc.Query), rc.StatusCode))
			case a.FixedResponseConfig != nil:
				f := a.FixedResponseConfig
				acts = append(acts, fmt.Sprintf("fixed %s %s %q", aws.ToString(f.StatusCode), aws.ToString(f.ContentType),
					aws.ToString(f.MessageBody)))
			default:
				acts = append(acts, string(a.Type)+"?")
			}
		}
		out = append(out, aws.ToString(r.Priority)+" "+strings.Join(conds, " & ")+" -> "+strings.Join(acts, "; "))
	}
	return out, nil
}

// TestIngressCustomActions: a weighted canary forward to two Services
// (their target groups made and bound), a redirect and a fixed response
// with header and query conditions, as AWS holds them; shifting the canary
// from 90/10 to 50/50 is one ModifyRule, so every rule stays in place
// throughout; a bad weight or a missing target group changes nothing in
// AWS.
func TestIngressCustomActions(t *testing.T) {
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
	cl.createEndpoints(cl.createService("stable", nodePort(30971)), "10.0.10.41")
	cl.createEndpoints(cl.createService("canary", nodePort(30972)), "10.0.11.42")
	canary := func(stable, next int) string {
		return fmt.Sprintf(`{"type":"forward","forwardConfig":{"targetGroups":[`+
			`{"serviceName":"stable","servicePort":"80","weight":%d},{"serviceName":"canary","servicePort":80,"weight":%d}],`+
			`"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":60}}}`, stable, next)
	}
	prefix := networkingv1.PathTypePrefix
	path := func(p, action string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: action,
				Port: networkingv1.ServiceBackendPort{Name: "use-annotation"}}}}
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop",
		Annotations: map[string]string{
			ingress.AnnActionsPrefix + "weighted": canary(90, 10),
			ingress.AnnActionsPrefix + "moved": `{"type":"redirect","redirectConfig":{"host":"docs.example.com",` +
				`"path":"/docs","statusCode":"HTTP_301"}}`,
			ingress.AnnActionsPrefix + "teapot": `{"type":"fixed-response","fixedResponseConfig":{` +
				`"contentType":"text/plain","statusCode":"418","messageBody":"short and stout"}}`,
			ingress.AnnConditionsPrefix + "teapot": `[{"field":"http-header","httpHeaderConfig":{` +
				`"httpHeaderName":"X-Brew","values":["tea"]}},{"field":"query-string","queryStringConfig":{` +
				`"values":[{"key":"pot","value":"1"}]}}]`,
		}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{path("/app", "weighted"), path("/old", "moved"),
					path("/brew", "teapot")}}}}}}}
	if err := cl.c.Create(ctx, ing); err != nil {
		t.Fatal(err)
	}
	lbARN := cl.waitLoadBalancer("k8s-default-shop-")
	converge := func(step string, want []string) {
		t.Helper()
		eventually(t, 60*time.Second, step, func() (bool, string) {
			got, err := cl.actionRules(lbARN)
			if err != nil {
				return false, err.Error()
			}
			diff := cmp.Diff(want, got)
			return diff == "", diff
		})
	}
	// Prefix paths, longest first, ties in spec order.
	teapot := `1 header X-Brew=tea & path /brew|/brew/* & query pot=1 -> fixed 418 text/plain "short and stout"`
	moved := "3 path /old|/old/* -> redirect #{protocol}://docs.example.com:#{port}/docs?#{query} HTTP_301"
	converge("the three rules", []string{teapot,
		"2 path /app|/app/* -> forward tg:30971=90,tg:30972=10 sticky=true/60", moved})
	// Both Services' target groups are bound and get their node targets.
	eventually(t, 60*time.Second, "the bindings' targets", func() (bool, string) {
		v, err := cl.albView(lbARN)
		if err != nil {
			return false, err.Error()
		}
		var ports []string
		for _, target := range v.Targets {
			ports = append(ports, target[strings.LastIndex(target, ":"):])
		}
		slices.Sort(ports)
		ports = slices.Compact(ports)
		return slices.Equal(ports, []string{":30971", ":30972"}), fmt.Sprint(v.Targets)
	})

	edit := func(value string) time.Time {
		t.Helper()
		t0 := time.Now()
		updateRetrying(cl, func(name string) *networkingv1.Ingress { return load(cl, name, &networkingv1.Ingress{}) },
			"shop", func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnActionsPrefix+"weighted"] = value })
		return t0
	}
	t0 := edit(canary(50, 50))
	converge("the canary at 50/50", []string{teapot,
		"2 path /app|/app/* -> forward tg:30971=50,tg:30972=50 sticky=true/60", moved})
	// The proxy logs a call a moment after AWS applied it: wait for the
	// write to be logged before counting.
	var shift []string
	eventually(t, 10*time.Second, "the weight shift logged", func() (bool, string) {
		shift = nil
		for _, c := range cl.calls(t0) {
			if c.Mutating() && c.Service == "elasticloadbalancing" {
				shift = append(shift, c.Action)
			}
		}
		return len(shift) > 0, ""
	})
	if got, want := shift, []string{"ModifyRule"}; !slices.Equal(got, want) {
		t.Errorf("shifting the weights: calls %v, want %v (no rule deleted or created)", got, want)
	}

	// A weight AWS would refuse, and a target group that does not exist:
	// a Warning naming the field, nothing in AWS.
	missing := "arn:aws:elasticloadbalancing:us-west-2:" + cl.world.Account + ":targetgroup/gone/0123456789abcdef"
	for _, bad := range []struct{ value, field, allowed string }{
		{canary(50, 1000), "forwardConfig.targetGroups[1].weight", "0 to 999"},
		{`{"type":"forward","targetGroupARN":"` + missing + `"}`, "forwardConfig.targetGroups[0].targetGroupARN",
			"the ARN of an existing target group"},
	} {
		t0 = edit(bad.value)
		eventually(t, 30*time.Second, "the warning for "+bad.field, func() (bool, string) {
			events := cl.ingressEvents("shop", corev1.EventTypeWarning)
			for _, e := range events {
				if strings.Contains(e, bad.field) && strings.Contains(e, bad.allowed) {
					return true, ""
				}
			}
			return false, fmt.Sprint(events)
		})
		// (The node-rules writer may still be adding the canary's node
		// port from the earlier steps: only load balancer calls are the
		// edit's.)
		for _, c := range cl.calls(t0) {
			if c.Mutating() && c.Service == "elasticloadbalancing" {
				t.Errorf("%s: a call: %s %v", bad.field, c.Action, c.Params)
			}
		}
	}
	converge("the rules kept", []string{teapot,
		"2 path /app|/app/* -> forward tg:30971=50,tg:30972=50 sticky=true/60", moved})
}
