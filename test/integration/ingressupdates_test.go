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
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// albView is what an Ingress's load balancer holds, in words a test can
// compare: each listener with its certificates and default action, its
// rules in priority order, and the target groups.
type albView struct {
	Listeners    []string
	Rules        map[string][]string
	TargetGroups []string
	// Targets are the registered targets of every target group.
	Targets []string
}

// albView describes the load balancer lbARN; a target group is named by
// protocol, target type and port (its name is a hash).
func (cl *cluster) albView(lbARN string) (albView, error) {
	ctx := cl.t.Context()
	api := cl.world.Clients.ELBV2
	v := albView{Rules: map[string][]string{}}
	tgs, err := api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		return v, err
	}
	tgName := map[string]string{}
	for _, tg := range tgs.TargetGroups {
		name := fmt.Sprintf("%s/%s:%d", tg.Protocol, tg.TargetType, aws.ToInt32(tg.Port))
		tgName[aws.ToString(tg.TargetGroupArn)] = name
		v.TargetGroups = append(v.TargetGroups, name)
		h, err := api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return v, err
		}
		for _, d := range h.TargetHealthDescriptions {
			v.Targets = append(v.Targets, fmt.Sprintf("%s %s:%d", name, aws.ToString(d.Target.Id),
				aws.ToInt32(d.Target.Port)))
		}
	}
	slices.Sort(v.TargetGroups)
	slices.Sort(v.Targets)
	action := func(as []elbv2types.Action) string {
		var out []string
		for _, a := range as {
			switch {
			case a.RedirectConfig != nil:
				r := a.RedirectConfig
				out = append(out, fmt.Sprintf("redirect %s:%s %s", aws.ToString(r.Protocol), aws.ToString(r.Port),
					r.StatusCode))
			case a.FixedResponseConfig != nil:
				out = append(out, "fixed "+aws.ToString(a.FixedResponseConfig.StatusCode))
			case a.TargetGroupArn != nil:
				out = append(out, "forward "+tgName[aws.ToString(a.TargetGroupArn)])
			case a.ForwardConfig != nil:
				for _, t := range a.ForwardConfig.TargetGroups {
					out = append(out, "forward "+tgName[aws.ToString(t.TargetGroupArn)])
				}
			default:
				out = append(out, string(a.Type))
			}
		}
		return strings.Join(out, ", ")
	}
	ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
	if err != nil {
		return v, err
	}
	slices.SortFunc(ls.Listeners, func(a, b elbv2types.Listener) int { return int(*a.Port - *b.Port) })
	for _, l := range ls.Listeners {
		key := fmt.Sprintf("%s:%d", l.Protocol, aws.ToInt32(l.Port))
		desc := key + " default " + action(l.DefaultActions)
		if l.Protocol == elbv2types.ProtocolEnumHttps {
			certs, err := api.DescribeListenerCertificates(ctx, &elbv2.DescribeListenerCertificatesInput{
				ListenerArn: l.ListenerArn})
			if err != nil {
				return v, err
			}
			for _, c := range certs.Certificates {
				desc += " cert " + aws.ToString(c.CertificateArn)
			}
		}
		v.Listeners = append(v.Listeners, desc)
		rules, err := api.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
		if err != nil {
			return v, err
		}
		for _, r := range rules.Rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			var conds []string
			for _, c := range r.Conditions {
				switch {
				case c.HostHeaderConfig != nil:
					conds = append(conds, "host "+strings.Join(c.HostHeaderConfig.Values, "|"))
				case c.PathPatternConfig != nil:
					conds = append(conds, "path "+strings.Join(c.PathPatternConfig.Values, "|"))
				default:
					conds = append(conds, aws.ToString(c.Field)+" "+strings.Join(c.Values, "|"))
				}
			}
			slices.Sort(conds)
			v.Rules[key] = append(v.Rules[key], aws.ToString(r.Priority)+" "+strings.Join(conds, " ")+
				" -> "+action(r.Actions))
		}
	}
	return v, nil
}

// ingressEvents returns the notes of the Ingress's events of type kind.
func (cl *cluster) ingressEvents(name, kind string) []string {
	var list eventsv1.EventList
	if err := cl.c.List(cl.t.Context(), &list, client.InNamespace("default")); err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, ev := range list.Items {
		if ev.Regarding.Kind == "Ingress" && ev.Regarding.Name == name && ev.Type == kind {
			out = append(out, ev.Reason+": "+ev.Note)
		}
	}
	return out
}

// mutatingSince lists the mutating calls among calls by action and the
// error AWS answered, if any.
func mutatingSince(calls []awsproxy.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Mutating() {
			out = append(out, c.Action+" "+c.ErrorCode)
		}
	}
	return out
}

// TestIngressUpdates walks one Ingress through every kind of update and
// checks AWS after each: a host rule, a changed path, TLS from a named
// certificate, ssl-redirect, target type instance -> ip and backend
// protocol HTTP -> HTTPS (new target groups, the old ones deleted after
// the rules moved, by ModifyRule so that matched traffic never falls to
// the default action). Bad annotations change nothing in AWS until fixed.
func TestIngressUpdates(t *testing.T) {
	cl := newCluster(t, 2)
	cl.opts.EnableIngress, cl.opts.IngressClass = true, "alb"
	cl.startKelb()
	ctx := t.Context()
	class := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}
	if err := cl.c.Create(ctx, class); err != nil {
		t.Fatal(err)
	}
	svc := cl.createService("web", withPort(80, 30961, corev1.ProtocolTCP), func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.LoadBalancerClass = nil
	})
	cl.createEndpoints(svc, "10.0.10.31", "10.0.11.32")
	cert := importCertificate(t, cl)
	prefix := networkingv1.PathTypePrefix
	path := func(p string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}
	}
	rule := func(host string, paths ...string) networkingv1.IngressRule {
		r := networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{}}}
		for _, p := range paths {
			r.HTTP.Paths = append(r.HTTP.Paths, path(p))
		}
		return r
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web",
		Annotations: map[string]string{}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"),
			Rules: []networkingv1.IngressRule{rule("", "/api")}}}
	if err := cl.c.Create(ctx, ing); err != nil {
		t.Fatal(err)
	}
	lbARN := cl.waitLoadBalancer("k8s-default-web-")
	edit := func(mutate func(*networkingv1.Ingress)) time.Time {
		t.Helper()
		t0 := time.Now()
		updateRetrying(cl, func(name string) *networkingv1.Ingress { return load(cl, name, &networkingv1.Ingress{}) },
			"web", func(i *networkingv1.Ingress) {
				if i.Annotations == nil {
					i.Annotations = map[string]string{}
				}
				mutate(i)
			})
		return t0
	}
	converge := func(step string, want albView) {
		t.Helper()
		var diff string
		eventually(t, 60*time.Second, step, func() (bool, string) {
			got, err := cl.albView(lbARN)
			if err != nil {
				return false, err.Error()
			}
			diff = cmp.Diff(want, got)
			return diff == "", diff
		})
	}
	const (
		tgInstance = "HTTP/instance:30961"
		tgIP       = "HTTP/ip:8080"
		tgHTTPS    = "HTTPS/ip:8080"
	)
	nodeTargets := func(tg string) []string {
		var out []string
		for _, n := range cl.world.Instances {
			out = append(out, fmt.Sprintf("%s %s:30961", tg, n))
		}
		slices.Sort(out)
		return out
	}
	podTargets := func(tg string) []string {
		return []string{tg + " 10.0.10.31:8080", tg + " 10.0.11.32:8080"}
	}
	converge("the first path", albView{
		Listeners:    []string{"HTTP:80 default fixed 404"},
		Rules:        map[string][]string{"HTTP:80": {"1 path /api|/api/* -> forward " + tgInstance}},
		TargetGroups: []string{tgInstance}, Targets: nodeTargets(tgInstance)})

	// A host: a rule of its own with a host-header condition, after the
	// first Ingress rule's.
	edit(func(i *networkingv1.Ingress) {
		i.Spec.Rules = append(i.Spec.Rules, rule("shop.example.com", "/cart"))
	})
	converge("the host's rule", albView{
		Listeners: []string{"HTTP:80 default fixed 404"},
		Rules: map[string][]string{"HTTP:80": {"1 path /api|/api/* -> forward " + tgInstance,
			"2 host shop.example.com path /cart|/cart/* -> forward " + tgInstance}},
		TargetGroups: []string{tgInstance}, Targets: nodeTargets(tgInstance)})

	// A changed path.
	edit(func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].Path = "/v2" })
	routes := []string{"1 path /v2|/v2/* -> forward " + tgInstance,
		"2 host shop.example.com path /cart|/cart/* -> forward " + tgInstance}
	converge("the changed path", albView{Listeners: []string{"HTTP:80 default fixed 404"},
		Rules: map[string][]string{"HTTP:80": routes}, TargetGroups: []string{tgInstance},
		Targets: nodeTargets(tgInstance)})

	// A longer prefix sorts first: the rules after it move down a priority
	// before it is made, none replaced.
	// ruleWrites are kelb's writes of listeners and rules (tags aside).
	ruleWrites := func(calls []awsproxy.Call) []string {
		var out []string
		for _, c := range calls {
			if c.Mutating() && (strings.Contains(c.Action, "Rule") || strings.Contains(c.Action, "Listener")) {
				out = append(out, c.Action)
			}
		}
		return out
	}
	t0 := edit(func(i *networkingv1.Ingress) {
		i.Spec.Rules[0].HTTP.Paths = append(i.Spec.Rules[0].HTTP.Paths, path("/v2/admin"))
	})
	converge("the longer prefix first", albView{Listeners: []string{"HTTP:80 default fixed 404"},
		Rules: map[string][]string{"HTTP:80": {"1 path /v2/admin|/v2/admin/* -> forward " + tgInstance,
			"2 path /v2|/v2/* -> forward " + tgInstance,
			"3 host shop.example.com path /cart|/cart/* -> forward " + tgInstance}},
		TargetGroups: []string{tgInstance}, Targets: nodeTargets(tgInstance)})
	if got, want := ruleWrites(cl.calls(t0)), []string{"SetRulePriorities", "CreateRule"}; !slices.Equal(got, want) {
		t.Errorf("a path inserted: calls %v, want %v", got, want)
	}
	// Removing it moves nothing: the rules that stay keep their
	// priorities (LBC would number them from 1 again).
	t0 = edit(func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths = i.Spec.Rules[0].HTTP.Paths[:1] })
	port80 := []string{"2 path /v2|/v2/* -> forward " + tgInstance,
		"3 host shop.example.com path /cart|/cart/* -> forward " + tgInstance}
	converge("the longer prefix removed", albView{Listeners: []string{"HTTP:80 default fixed 404"},
		Rules: map[string][]string{"HTTP:80": port80}, TargetGroups: []string{tgInstance},
		Targets: nodeTargets(tgInstance)})
	if got, want := ruleWrites(cl.calls(t0)), []string{"DeleteRule"}; !slices.Equal(got, want) {
		t.Errorf("a path removed: calls %v, want %v", got, want)
	}

	// TLS: an HTTPS listener with the named certificate and the same rules;
	// the HTTP listener is not touched.
	t0 = edit(func(i *networkingv1.Ingress) {
		i.Annotations[ingress.AnnCertificateARN] = cert
		i.Annotations[ingress.AnnListenPorts] = `[{"HTTP": 80}, {"HTTPS": 443}]`
	})
	converge("the HTTPS listener", albView{
		Listeners: []string{"HTTP:80 default fixed 404", "HTTPS:443 default fixed 404 cert " + cert},
		Rules:     map[string][]string{"HTTP:80": port80, "HTTPS:443": routes}, TargetGroups: []string{tgInstance},
		Targets: nodeTargets(tgInstance)})
	for _, c := range cl.calls(t0) {
		if c.Mutating() && (c.Action == "DeleteRule" || c.Action == "ModifyRule") {
			t.Errorf("adding TLS changed a rule of the HTTP listener: %s %v", c.Action, c.Params)
		}
	}

	// ssl-redirect: the HTTP listener redirects and keeps no rules (LBC);
	// its default action changes before its rules go, so that no request
	// reaches the 404 on the way.
	t0 = edit(func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnSSLRedirect] = "443" })
	converge("the redirect", albView{
		Listeners: []string{"HTTP:80 default redirect HTTPS:443 HTTP_301",
			"HTTPS:443 default fixed 404 cert " + cert},
		Rules:        map[string][]string{"HTTPS:443": routes},
		TargetGroups: []string{tgInstance}, Targets: nodeTargets(tgInstance)})
	if got, want := ruleWrites(cl.calls(t0)), []string{"ModifyListener", "DeleteRule", "DeleteRule"}; !slices.Equal(got, want) {
		t.Errorf("ssl-redirect calls %v, want %v", got, want)
	}

	// Target type ip: a new target group with the pods, the rules moved to
	// it in place, then the old group deleted.
	t0 = edit(func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnTargetType] = "ip" })
	routesTo := func(tg string) []string {
		return []string{"1 path /v2|/v2/* -> forward " + tg,
			"2 host shop.example.com path /cart|/cart/* -> forward " + tg}
	}
	withTLS := func(tg string) albView {
		return albView{Listeners: []string{"HTTP:80 default redirect HTTPS:443 HTTP_301",
			"HTTPS:443 default fixed 404 cert " + cert},
			Rules: map[string][]string{"HTTPS:443": routesTo(tg)}, TargetGroups: []string{tg}, Targets: podTargets(tg)}
	}
	converge("ip targets", withTLS(tgIP))
	checkRulesMoved := func(step string, calls []awsproxy.Call) {
		t.Helper()
		var order []string
		for _, c := range calls {
			switch c.Action {
			case "CreateRule", "DeleteRule":
				t.Errorf("%s: %s: a rule whose conditions stay is replaced, not modified", step, c.Action)
			case "CreateTargetGroup", "ModifyRule", "DeleteTargetGroup":
				order = append(order, c.Action)
			case "DeregisterTargets":
				if !slices.Contains(order, "ModifyRule") {
					t.Errorf("%s: the old group's targets deregistered before the rules moved", step)
				}
			case "RegisterTargets":
				// The new group's targets (once, however many calls)
				// are registered before any rule forwards to it.
				if len(order) > 0 && order[len(order)-1] != c.Action && !slices.Contains(order, c.Action) {
					order = append(order, c.Action)
				}
			}
		}
		if want := []string{"CreateTargetGroup", "RegisterTargets", "ModifyRule", "ModifyRule", "DeleteTargetGroup"}; !slices.Equal(order, want) {
			t.Errorf("%s: calls %v, want %v", step, order, want)
		}
	}
	checkRulesMoved("ip targets", cl.calls(t0))

	// Backend protocol HTTPS: another new target group.
	t0 = edit(func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnBackendProtocol] = "HTTPS" })
	converge("HTTPS backends", withTLS(tgHTTPS))
	checkRulesMoved("HTTPS backends", cl.calls(t0))

	// Bad input: a Warning names the annotation and what is allowed, and
	// nothing changes in AWS until the annotation is fixed.
	badInput := func(key, value, fixed, wantNote string) {
		t.Helper()
		t0 := edit(func(i *networkingv1.Ingress) { i.Annotations[key] = value })
		eventually(t, 20*time.Second, "a Warning naming "+key, func() (bool, string) {
			notes := cl.ingressEvents("web", corev1.EventTypeWarning)
			return slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, wantNote) }),
				strings.Join(notes, "\n")
		})
		t1 := edit(func(i *networkingv1.Ingress) {
			if fixed == "" {
				delete(i.Annotations, key)
			} else {
				i.Annotations[key] = fixed
			}
		})
		var bad []awsproxy.Call
		for _, c := range cl.calls(t0) {
			if c.Mutating() && c.Time.Before(t1) {
				bad = append(bad, c)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s=%q: mutating calls before the fix: %v", key, value, mutatingSince(bad))
		}
	}
	badInput(ingress.AnnListenPorts, `80,443`, `[{"HTTP": 80}, {"HTTPS": 443}]`,
		`FailedBuildModel: Failed build model due to annotation `+ingress.AnnListenPorts+`: invalid value "80,443"; allowed: a JSON list`)
	missing := strings.TrimSuffix(cert, cert[strings.LastIndex(cert, "/")+1:]) + "00000000-0000-0000-0000-000000000000"
	badInput(ingress.AnnCertificateARN, missing, cert, "annotation "+ingress.AnnCertificateARN+": invalid value \""+
		missing+"\"; allowed: ISSUED ACM certificates or IAM server certificates (it does not exist in ACM or IAM)")
	badInput(ingress.AnnHCIntervalSeconds, "abc", "20",
		"annotation "+ingress.AnnHCIntervalSeconds+`: invalid value "abc"; allowed: an integer from 5 to 300`)
	eventually(t, 30*time.Second, "the fixed health-check interval", func() (bool, string) {
		tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		if err != nil || len(tgs.TargetGroups) != 1 {
			return false, fmt.Sprint(tgs, err)
		}
		return aws.ToInt32(tgs.TargetGroups[0].HealthCheckIntervalSeconds) == 20,
			fmt.Sprint(aws.ToInt32(tgs.TargetGroups[0].HealthCheckIntervalSeconds))
	})
	converge("the Ingress as before its bad input", withTLS(tgHTTPS))

	// Without the redirect, port 80's rules are back before its default
	// action is the 404 again.
	t0 = edit(func(i *networkingv1.Ingress) { delete(i.Annotations, ingress.AnnSSLRedirect) })
	v := withTLS(tgHTTPS)
	v.Listeners[0] = "HTTP:80 default fixed 404"
	v.Rules["HTTP:80"] = routesTo(tgHTTPS)
	converge("the redirect removed", v)
	if got, want := ruleWrites(cl.calls(t0)), []string{"CreateRule", "CreateRule", "ModifyListener"}; !slices.Equal(got, want) {
		t.Errorf("redirect removed: calls %v, want %v", got, want)
	}
}
