package deploy_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// ruleWatch passes every call to AWS and, after each rule write, reads
// the rules of every listener it has seen, so a test sees every state the
// listener went through.
type ruleWatch struct {
	deploy.ELBV2
	mu        sync.Mutex
	listeners []string
	writes    []string   // the rule writes, in order
	states    [][]string // the rules (summarized) after each write
	t         *testing.T
}

func (w *ruleWatch) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput,
	opts ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	out, err := w.ELBV2.DescribeListeners(ctx, in, opts...)
	if err == nil {
		for _, l := range out.Listeners {
			w.seen(aws.ToString(l.ListenerArn))
		}
	}
	return out, err
}

func (w *ruleWatch) CreateListener(ctx context.Context, in *elbv2.CreateListenerInput,
	opts ...func(*elbv2.Options)) (*elbv2.CreateListenerOutput, error) {
	out, err := w.ELBV2.CreateListener(ctx, in, opts...)
	if err == nil {
		for _, l := range out.Listeners {
			w.seen(aws.ToString(l.ListenerArn))
		}
	}
	return out, err
}

func (w *ruleWatch) seen(arn string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.listeners, arn) {
		w.listeners = append(w.listeners, arn)
	}
}

func (w *ruleWatch) CreateRule(ctx context.Context, in *elbv2.CreateRuleInput,
	opts ...func(*elbv2.Options)) (*elbv2.CreateRuleOutput, error) {
	out, err := w.ELBV2.CreateRule(ctx, in, opts...)
	w.after(ctx, "CreateRule", err)
	return out, err
}

func (w *ruleWatch) ModifyRule(ctx context.Context, in *elbv2.ModifyRuleInput,
	opts ...func(*elbv2.Options)) (*elbv2.ModifyRuleOutput, error) {
	out, err := w.ELBV2.ModifyRule(ctx, in, opts...)
	w.after(ctx, "ModifyRule", err)
	return out, err
}

func (w *ruleWatch) SetRulePriorities(ctx context.Context, in *elbv2.SetRulePrioritiesInput,
	opts ...func(*elbv2.Options)) (*elbv2.SetRulePrioritiesOutput, error) {
	out, err := w.ELBV2.SetRulePriorities(ctx, in, opts...)
	w.after(ctx, "SetRulePriorities", err)
	return out, err
}

// ModifyListener counts as a write: a listener's default action changing
// before or after its rules is what decides whether requests meet it.
func (w *ruleWatch) ModifyListener(ctx context.Context, in *elbv2.ModifyListenerInput,
	opts ...func(*elbv2.Options)) (*elbv2.ModifyListenerOutput, error) {
	out, err := w.ELBV2.ModifyListener(ctx, in, opts...)
	w.after(ctx, "ModifyListener", err)
	return out, err
}

func (w *ruleWatch) DeleteRule(ctx context.Context, in *elbv2.DeleteRuleInput,
	opts ...func(*elbv2.Options)) (*elbv2.DeleteRuleOutput, error) {
	out, err := w.ELBV2.DeleteRule(ctx, in, opts...)
	w.after(ctx, "DeleteRule", err)
	return out, err
}

func (w *ruleWatch) after(ctx context.Context, action string, err error) {
	if err != nil {
		return
	}
	state := w.rules(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, action)
	w.states = append(w.states, state)
}

// rules summarizes every rule of the seen listeners as
// "<priority> <hosts> <paths> -> <target group ARN>", in priority order.
func (w *ruleWatch) rules(ctx context.Context) []string {
	w.mu.Lock()
	listeners := slices.Clone(w.listeners)
	w.mu.Unlock()
	var out []string
	for _, l := range listeners {
		page, err := w.ELBV2.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(l)})
		if err != nil {
			w.t.Errorf("DescribeRules: %v", err)
			continue
		}
		for _, r := range page.Rules {
			if !aws.ToBool(r.IsDefault) {
				out = append(out, aws.ToString(r.Priority)+" "+meaning(r.Conditions, r.Actions))
			}
		}
	}
	return out
}

// meaning is a rule's conditions and target, without its priority.
func meaning(cs []elbtypes.RuleCondition, as []elbtypes.Action) string {
	var hosts, paths []string
	for _, c := range cs {
		switch aws.ToString(c.Field) {
		case "host-header":
			hosts = append(hosts, c.HostHeaderConfig.Values...)
		case "path-pattern":
			paths = append(paths, c.PathPatternConfig.Values...)
		}
	}
	target := ""
	if len(as) == 1 && as[0].ForwardConfig != nil && len(as[0].ForwardConfig.TargetGroups) == 1 {
		target = aws.ToString(as[0].ForwardConfig.TargetGroups[0].TargetGroupArn)
	}
	return fmt.Sprintf("%v %v -> %s", hosts, paths, target)
}

func (w *ruleWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes, w.states = nil, nil
}

// TestApplicationStackAgainstAWS deploys an Ingress's stack, built by the
// builder, to the emulator, edits its rules (a path changed, a host added,
// a rule deleted) and deletes it. At every step the rules in AWS are the
// built ones, every rule write leaves the requests of rules kept across
// the step served (none falls to the default action in between), creates
// come before deletes, and a converged stack costs no rule write.
func TestApplicationStackAgainstAWS(t *testing.T) {
	moto, err := testenv.StartMoto("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(moto.Stop)
	p, err := awsproxy.New(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-west-2", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("123456789012test", "secret", "")}
	endpoint := aws.String(srv.URL)
	ec := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = endpoint })
	elb := elbv2.NewFromConfig(cfg, func(o *elbv2.Options) { o.BaseEndpoint = endpoint })
	tg := tagging.NewFromConfig(cfg, func(o *tagging.Options) { o.BaseEndpoint = endpoint })
	ctx := t.Context()

	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	var subnets []string
	for i, zone := range []string{"us-west-2a", "us-west-2b"} {
		s, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
			CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i+1))})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}

	watch := &ruleWatch{ELBV2: elb, t: t}
	d := deploy.New(deploy.Deps{Config: deploy.Config{ClusterName: "prod", ClusterUID: "uid-prod", VPCID: vpcID,
		DriftPeriod: time.Hour}, ELBV2: watch, EC2: ec, Tagging: tg})
	if err := d.EnsureLoaded(ctx); err != nil {
		t.Fatal(err)
	}

	services := map[string]*corev1.Service{}
	for i, name := range []string{"web", "api"} {
		services[name] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name,
			UID: types.UID("uid-" + name)}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
			Ports: []corev1.ServicePort{{Port: 80, NodePort: int32(30080 + i), TargetPort: intstr.FromInt32(8080)}}}}
	}
	prefix := networkingv1.PathTypePrefix
	path := func(p, svc string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}}
	}
	rule := func(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
		return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
	}
	annotations := map[string]string{}
	issued := map[string]service.CertificateStatus{} // the certificates imported below
	build := func(rules ...networkingv1.IngressRule) *model.ApplicationStack {
		t.Helper()
		ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web",
			Annotations: annotations}, Spec: networkingv1.IngressSpec{Rules: rules}}
		stack, err := ingress.Build(ingress.Config{ClusterName: "prod", SecurityGroups: sgpolicy.Flags{EnableBackendSG: true},
			DefaultSSLPolicy: "ELBSecurityPolicy-2016-08"},
			ingress.Input{Ingress: ing, Services: services, Facts: ingress.Facts{Subnets: subnets,
				CertificateStatuses: issued}})
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		return stack
	}
	tgARNs := func() map[string]string {
		out := map[string]string{}
		page, err := elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.TargetGroups {
			out[aws.ToString(g.TargetGroupName)] = aws.ToString(g.TargetGroupArn)
		}
		return out
	}
	// expected is the stack's rules as the summary reads them.
	expected := func(stack *model.ApplicationStack) []string {
		names := map[string]string{}
		for _, g := range stack.TargetGroups {
			names[g.ResourceID] = g.Name
		}
		arns := tgARNs()
		var out []string
		for _, r := range stack.Routing {
			for _, lr := range r.Rules {
				var hosts, paths []string
				for _, c := range lr.Conditions {
					hosts, paths = append(hosts, c.HostHeader...), append(paths, c.PathPattern...)
				}
				target := arns[names[lr.Actions[0].Forward.TargetGroups[0].TargetGroupID]]
				out = append(out, fmt.Sprintf("%d %v %v -> %s", lr.Priority, hosts, paths, target))
			}
		}
		return out
	}
	withoutPriority := func(rules []string) []string {
		out := make([]string, len(rules))
		for i, r := range rules {
			_, out[i], _ = strings.Cut(r, " ")
		}
		return out
	}
	var current []string
	step := func(name string, stack *model.ApplicationStack, wantWrites []string) {
		t.Helper()
		watch.reset()
		res, err := d.DeployApplication(ctx, stack)
		if err != nil {
			t.Fatalf("%s: DeployApplication: %v", name, err)
		}
		if res.DNSName == "" {
			t.Errorf("%s: no DNS name", name)
		}
		// The rules stand in the built order; their priorities are the
		// deployer's (rules that stay keep theirs).
		want := expected(stack)
		got := watch.rules(ctx)
		if diff := cmp.Diff(withoutPriority(want), withoutPriority(got)); diff != "" {
			t.Errorf("%s: rules in AWS (-want +got):\n%s", name, diff)
		}
		want = got
		if diff := cmp.Diff(wantWrites, watch.writes); diff != "" {
			t.Errorf("%s: rule writes (-want +got):\n%s", name, diff)
		}
		// What both the old and the new rules serve is served at every
		// moment in between.
		kept := map[string]bool{}
		for _, m := range withoutPriority(want) {
			if slices.Contains(withoutPriority(current), m) {
				kept[m] = true
			}
		}
		for i, state := range watch.states {
			served := withoutPriority(state)
			for m := range kept {
				if !slices.Contains(served, m) {
					t.Errorf("%s: after %s (write %d) no rule serves %q", name, watch.writes[i], i+1, m)
				}
			}
		}
		if last := slices.Index(watch.writes, "DeleteRule"); last >= 0 &&
			slices.Contains(watch.writes[last:], "CreateRule") {
			t.Errorf("%s: a rule was created after one was deleted: %v", name, watch.writes)
		}
		current = want
		checkRuleTags(t, watch, name)
		// Converged: deploying again writes no rule.
		watch.reset()
		if _, err := d.DeployApplication(ctx, stack); err != nil {
			t.Fatalf("%s: second DeployApplication: %v", name, err)
		}
		if len(watch.writes) > 0 {
			t.Errorf("%s: converged stack wrote rules: %v", name, watch.writes)
		}
	}

	hostA := "a.example.com"
	step("create", build(rule(hostA, path("/a", "web"), path("/b", "api"))), []string{"CreateRule", "CreateRule"})
	step("a path changes", build(rule(hostA, path("/a", "web"), path("/c", "api"))), []string{"ModifyRule"})
	step("a host is added in front", build(rule("b.example.com", path("/", "web")), rule(hostA, path("/a", "web"),
		path("/c", "api"))), []string{"SetRulePriorities", "CreateRule"})
	step("a rule is deleted", build(rule("b.example.com", path("/", "web")), rule(hostA, path("/c", "api"))),
		[]string{"DeleteRule"})

	// HTTPS with two certificates (the second by SNI) and HTTP redirected:
	// the rules move from port 80 to 443, the new ones in place before the
	// old go.
	certs := acm.NewFromConfig(cfg, func(o *acm.Options) { o.BaseEndpoint = endpoint })
	var arns []string
	for _, host := range []string{"a.example.com", "b.example.com"} {
		cert, key := selfSigned(t, host)
		out, err := certs.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: cert, PrivateKey: key})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, aws.ToString(out.CertificateArn))
		issued[aws.ToString(out.CertificateArn)] = service.CertificateIssued
	}
	annotations[ingress.Prefix+"listen-ports"] = `[{"HTTP": 80}, {"HTTPS": 443}]`
	annotations[ingress.Prefix+"certificate-arn"] = strings.Join(arns, ",")
	annotations[ingress.Prefix+"ssl-redirect"] = "443"
	secure := build(rule("b.example.com", path("/", "web")), rule(hostA, path("/c", "api")))
	// The redirect replaces port 80's 404 before its rules go.
	step("HTTPS with HTTP redirected", secure, []string{"CreateRule", "CreateRule", "ModifyListener", "DeleteRule",
		"DeleteRule"})
	listeners, err := elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN(t, elb))})
	if err != nil {
		t.Fatal(err)
	}
	gotListeners := map[int32]string{}
	for _, l := range listeners.Listeners {
		a := l.DefaultActions[0]
		gotListeners[aws.ToInt32(l.Port)] = string(l.Protocol) + " " + string(a.Type)
		if a.RedirectConfig != nil {
			gotListeners[aws.ToInt32(l.Port)] += " " + aws.ToString(a.RedirectConfig.Protocol) + ":" +
				aws.ToString(a.RedirectConfig.Port)
		}
		if l.Protocol == elbtypes.ProtocolEnumHttps {
			all, err := elb.DescribeListenerCertificates(ctx, &elbv2.DescribeListenerCertificatesInput{ListenerArn: l.ListenerArn})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range all.Certificates {
				if !aws.ToBool(c.IsDefault) {
					gotListeners[aws.ToInt32(l.Port)] += " sni=" + aws.ToString(c.CertificateArn)
				}
			}
		}
	}
	if diff := cmp.Diff(map[int32]string{80: "HTTP redirect HTTPS:443", 443: "HTTPS fixed-response sni=" + arns[1]},
		gotListeners); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}

	// Without the redirect, port 80's rules are back before its default
	// action is the 404 again: no request meets the 404 on the way.
	delete(annotations, ingress.Prefix+"ssl-redirect")
	step("the redirect removed", build(rule("b.example.com", path("/", "web")), rule(hostA, path("/c", "api"))),
		[]string{"CreateRule", "CreateRule", "ModifyListener"})
	annotations[ingress.Prefix+"ssl-redirect"] = "443"
	step("redirected again", secure, []string{"ModifyListener", "DeleteRule", "DeleteRule"})

	stackID := model.StackID{Kind: model.IngressKind, Name: "shop/web"}
	deadline := time.Now().Add(time.Minute)
	for {
		err := d.Delete(ctx, stackID, deploy.DeleteOptions{})
		if err == nil {
			break
		}
		if !errors.Is(err, deploy.ErrPending) || time.Now().After(deadline) {
			t.Fatalf("Delete: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // AWS releases the groups a moment after the load balancer goes
	}
	lbs, err := elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lbs.LoadBalancers) != 0 || len(tgARNs()) != 0 {
		t.Errorf("left after Delete: %d load balancers, target groups %v", len(lbs.LoadBalancers), tgARNs())
	}
	sgs, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + model.TagIngressStack), Values: []string{"shop/web"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sgs.SecurityGroups) != 0 {
		t.Errorf("security groups of the stack left after Delete: %d", len(sgs.SecurityGroups))
	}
}

func lbARN(t *testing.T, elb *elbv2.Client) string {
	t.Helper()
	out, err := elb.DescribeLoadBalancers(t.Context(), &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(out.LoadBalancers) != 1 {
		t.Fatalf("load balancers: %v, %v", out, err)
	}
	return aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
}

// selfSigned is a certificate for host and its key, in PEM.
func selfSigned(t *testing.T, host string) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
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

// checkRuleTags checks that every rule carries LBC's resource tag,
// "<port>:<priority>", also after a move.
func checkRuleTags(t *testing.T, w *ruleWatch, step string) {
	t.Helper()
	ctx := t.Context()
	for _, l := range w.listeners {
		ls, err := w.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{l}})
		if err != nil {
			t.Fatal(err)
		}
		port := fmt.Sprint(aws.ToInt32(ls.Listeners[0].Port))
		rules, err := w.ELBV2.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(l)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules.Rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			tags, err := w.ELBV2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{aws.ToString(r.RuleArn)}})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, d := range tags.TagDescriptions {
				for _, tag := range d.Tags {
					if aws.ToString(tag.Key) == model.TagIngressResource {
						got = aws.ToString(tag.Value)
					}
				}
			}
			if want := port + ":" + aws.ToString(r.Priority); got != want {
				t.Errorf("%s: rule of priority %s has resource tag %q, want %q", step, aws.ToString(r.Priority), got, want)
			}
		}
	}
}
