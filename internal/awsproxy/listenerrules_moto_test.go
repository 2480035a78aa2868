package awsproxy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// albEnv is moto behind the proxy with one ALB, in an account of its own:
// a listener on port 80 forwarding to a target group.
type albEnv struct {
	proxy    *awsproxy.Proxy
	elb      *elbv2.Client
	lb       string
	tg       string
	listener string
}

var (
	motoURL     string
	nextAccount atomic.Int64
)

func TestMain(m *testing.M) {
	moto, err := testenv.StartMoto("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	motoURL = moto.URL
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

func newALBEnv(t *testing.T) *albEnv {
	t.Helper()
	p, err := awsproxy.New(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	key := fmt.Sprintf("%012d", 210000000000+nextAccount.Add(1))
	cfg := aws.Config{Region: "us-west-2", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key+"test", "secret", "")}
	ctx := context.Background()
	ec := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	e := &albEnv{proxy: p, elb: elbv2.NewFromConfig(cfg, func(o *elbv2.Options) { o.BaseEndpoint = aws.String(srv.URL) })}
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for i, zone := range []string{"us-west-2a", "us-west-2b"} {
		s, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
			CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i+1))})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}
	lb, err := e.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: subnets,
		Type: elbtypes.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatal(err)
	}
	e.lb = aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	tg, err := e.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("web"), VpcId: vpc.Vpc.VpcId,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80)})
	if err != nil {
		t.Fatal(err)
	}
	e.tg = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	e.listener = e.createListener(t, 80)
	return e
}

func (e *albEnv) forward() []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(e.tg)}}
}

func (e *albEnv) createListener(t *testing.T, port int32) string {
	t.Helper()
	l, err := e.elb.CreateListener(context.Background(), &elbv2.CreateListenerInput{LoadBalancerArn: aws.String(e.lb),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(port), DefaultActions: e.forward()})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(l.Listeners[0].ListenerArn)
}

func paths(values ...string) elbtypes.RuleCondition {
	return elbtypes.RuleCondition{Field: aws.String("path-pattern"),
		PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: values}}
}

func hosts(values ...string) elbtypes.RuleCondition {
	return elbtypes.RuleCondition{Field: aws.String("host-header"),
		HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{Values: values}}
}

func header(name string, values ...string) elbtypes.RuleCondition {
	return elbtypes.RuleCondition{Field: aws.String("http-header"),
		HttpHeaderConfig: &elbtypes.HttpHeaderConditionConfig{HttpHeaderName: aws.String(name), Values: values}}
}

func (e *albEnv) createRule(listener string, priority int32, conds ...elbtypes.RuleCondition) (string, error) {
	if conds == nil {
		conds = []elbtypes.RuleCondition{paths(fmt.Sprintf("/p%d", priority))}
	}
	out, err := e.elb.CreateRule(context.Background(), &elbv2.CreateRuleInput{ListenerArn: aws.String(listener),
		Priority: aws.Int32(priority), Conditions: conds, Actions: e.forward()})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Rules[0].RuleArn), nil
}

// outcome is what a test compares of a call: "ok", or AWS's code and
// message.
func outcome(err error) string {
	var api smithy.APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &api):
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}

// TestListenerRuleRefusalsAsAWS: what AWS refuses in CreateRule and
// ModifyRule and moto takes, answered with AWS's codes and messages.
func TestListenerRuleRefusalsAsAWS(t *testing.T) {
	e := newALBEnv(t)
	six := paths("/a", "/b", "/c", "/d", "/e", "/f")
	five := paths("/a", "/b", "/c", "/d", "/e")
	tests := []struct {
		name     string
		priority int32
		conds    []elbtypes.RuleCondition
		want     string
	}{
		{"priority 0", 0, nil, "ValidationError: 1 validation error detected: Value '0' at 'priority' failed to " +
			"satisfy constraint: Member must have value greater than or equal to 1"},
		{"priority 50001", 50001, nil, "ValidationError: 1 validation error detected: Value '50001' at 'priority' " +
			"failed to satisfy constraint: Member must have value less than or equal to 50000"},
		{"priority 50000", 50000, nil, "ok"},
		{"priority 1", 1, nil, "ok"},
		{"priority in use", 1, nil, "PriorityInUse: The specified priority is in use."},
		{"six condition values", 2, []elbtypes.RuleCondition{six},
			"ValidationError: A rule can only have '5' condition values"},
		{"six values over two conditions", 2, []elbtypes.RuleCondition{hosts("a.example.com", "b.example.com"),
			paths("/a", "/b", "/c", "/d")}, "ValidationError: A rule can only have '5' condition values"},
		{"five values", 2, []elbtypes.RuleCondition{five}, "ok"},
		{"two host-header conditions", 3, []elbtypes.RuleCondition{hosts("a.example.com"), hosts("b.example.com")},
			"ValidationError: A rule can only have one 'host-header' condition"},
		{"two path-pattern conditions", 3, []elbtypes.RuleCondition{paths("/a"), paths("/b")},
			"ValidationError: A rule can only have one 'path-pattern' condition"},
		{"two http-header conditions", 3, []elbtypes.RuleCondition{header("X-A", "1"), header("X-B", "2")}, "ok"},
		{"no condition", 4, []elbtypes.RuleCondition{}, "ValidationError: A rule must have at least one condition"},
	}
	for _, tt := range tests {
		conds := tt.conds
		_, err := e.createRule(e.listener, tt.priority, conds...)
		if tt.conds != nil && len(tt.conds) == 0 { // the SDK sends an empty list when given a non-nil one
			_, err = e.elb.CreateRule(context.Background(), &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
				Priority: aws.Int32(tt.priority), Conditions: []elbtypes.RuleCondition{}, Actions: e.forward()})
		}
		if diff := cmp.Diff(tt.want, outcome(err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}

	rule, err := e.createRule(e.listener, 10)
	if err != nil {
		t.Fatal(err)
	}
	modify := func(conds ...elbtypes.RuleCondition) string {
		_, err := e.elb.ModifyRule(context.Background(), &elbv2.ModifyRuleInput{RuleArn: aws.String(rule), Conditions: conds})
		return outcome(err)
	}
	gotModify := []string{modify(six), modify(hosts("a.example.com"), hosts("b.example.com")), modify(five)}
	wantModify := []string{"ValidationError: A rule can only have '5' condition values",
		"ValidationError: A rule can only have one 'host-header' condition", "ok"}
	if diff := cmp.Diff(wantModify, gotModify); diff != "" {
		t.Errorf("ModifyRule (-want +got):\n%s", diff)
	}
}

// TestTooManyRulesPerLoadBalancer: the quota counts the rules of every
// listener of the load balancer, default rules not counted.
func TestTooManyRulesPerLoadBalancer(t *testing.T) {
	e := newALBEnv(t)
	e.proxy.ListenerRules.SetLimit(2)
	other := e.createListener(t, 8080)
	var got []string
	for _, step := range []struct {
		listener string
		priority int32
	}{{e.listener, 1}, {other, 1}, {e.listener, 2}, {other, 2}} {
		_, err := e.createRule(step.listener, step.priority)
		got = append(got, outcome(err))
	}
	tooMany := "TooManyRules: You've reached the limit on the number of rules per load balancer."
	if diff := cmp.Diff([]string{"ok", "ok", tooMany, tooMany}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestListenerRefusalsAsAWS: a second listener on a port, HTTPS without a
// certificate, an unknown SSL policy, a certificate ACM does not have.
func TestListenerRefusalsAsAWS(t *testing.T) {
	e := newALBEnv(t)
	ctx := context.Background()
	other := e.createListener(t, 8080)
	create := func(in elbv2.CreateListenerInput) string {
		in.LoadBalancerArn, in.DefaultActions = aws.String(e.lb), e.forward()
		_, err := e.elb.CreateListener(ctx, &in)
		return outcome(err)
	}
	cert := []elbtypes.Certificate{{CertificateArn: aws.String("arn:aws:acm:us-west-2:123456789012:certificate/x")}}
	_, modifyErr := e.elb.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(other), Port: aws.Int32(80)})
	_, modifyHTTPS := e.elb.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(other),
		Protocol: elbtypes.ProtocolEnumHttps})
	_, samePort := e.elb.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(other), Port: aws.Int32(8080)})
	got := []string{
		create(elbv2.CreateListenerInput{Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80)}),
		outcome(modifyErr),
		outcome(samePort),
		create(elbv2.CreateListenerInput{Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443)}),
		outcome(modifyHTTPS),
		create(elbv2.CreateListenerInput{Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443), Certificates: cert,
			SslPolicy: aws.String("ELBSecurityPolicy-Nope")}),
		create(elbv2.CreateListenerInput{Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443), Certificates: cert}),
	}
	want := []string{
		"DuplicateListener: A listener with the specified port already exists.",
		"DuplicateListener: A listener with the specified port already exists.",
		"ok",
		"ValidationError: A certificate must be specified for HTTPS listeners",
		"ValidationError: A certificate must be specified for HTTPS listeners",
		"SSLPolicyNotFound: The specified SSL policy does not exist.",
		"CertificateNotFound: Certificate 'arn:aws:acm:us-west-2:123456789012:certificate/x' not found",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// ruleOrder lists a listener's rules as "priority:path" in the order
// DescribeRules gives them, page by page.
func ruleOrder(t *testing.T, e *albEnv, pageSize int32) []string {
	t.Helper()
	var out []string
	in := &elbv2.DescribeRulesInput{ListenerArn: aws.String(e.listener), PageSize: aws.Int32(pageSize)}
	for {
		page, err := e.elb.DescribeRules(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rules {
			path := ""
			if len(r.Conditions) > 0 && r.Conditions[0].PathPatternConfig != nil {
				path = r.Conditions[0].PathPatternConfig.Values[0]
			}
			out = append(out, aws.ToString(r.Priority)+":"+path)
		}
		if page.NextMarker == nil {
			return out
		}
		in.Marker = page.NextMarker
		out = append(out, "|")
	}
}

// TestRulePrioritiesAsAWS: DescribeRules in priority order, the default
// rule last, paged in that order; SetRulePriorities swapping and rotating
// within one call; a priority another rule keeps is refused.
func TestRulePrioritiesAsAWS(t *testing.T) {
	e := newALBEnv(t)
	arns := map[int32]string{}
	for _, p := range []int32{30, 10, 20} {
		arn, err := e.createRule(e.listener, p)
		if err != nil {
			t.Fatal(err)
		}
		arns[p] = arn
	}
	if diff := cmp.Diff([]string{"10:/p10", "20:/p20", "|", "30:/p30", "default:"}, ruleOrder(t, e, 2)); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	set := func(pairs ...any) string {
		var in elbv2.SetRulePrioritiesInput
		for i := 0; i+1 < len(pairs); i += 2 {
			in.RulePriorities = append(in.RulePriorities, elbtypes.RulePriorityPair{RuleArn: aws.String(pairs[i].(string)),
				Priority: aws.Int32(int32(pairs[i+1].(int)))})
		}
		_, err := e.elb.SetRulePriorities(context.Background(), &in)
		return outcome(err)
	}
	steps := []struct {
		name  string
		call  func() string
		order []string
	}{
		{"swap", func() string { return set(arns[10], 20, arns[20], 10) }, []string{"10:/p20", "20:/p10", "30:/p30", "default:"}},
		{"rotate", func() string { return set(arns[10], 30, arns[20], 20, arns[30], 10) }, []string{"10:/p30", "20:/p20", "30:/p10", "default:"}},
		{"to a priority another rule keeps", func() string { return set(arns[10], 20) }, []string{"10:/p30", "20:/p20", "30:/p10", "default:"}},
		{"out of range", func() string { return set(arns[10], 0) }, []string{"10:/p30", "20:/p20", "30:/p10", "default:"}},
		{"a plain move", func() string { return set(arns[10], 5) }, []string{"5:/p10", "10:/p30", "20:/p20", "default:"}},
	}
	want := []string{"ok", "ok", "PriorityInUse: The specified priority is in use.",
		"ValidationError: 1 validation error detected: Value '0' at 'rulePriorities.1.member.priority' failed to " +
			"satisfy constraint: Member must have value greater than or equal to 1", "ok"}
	for i, s := range steps {
		if diff := cmp.Diff(want[i], s.call()); diff != "" {
			t.Errorf("%s: answer (-want +got):\n%s", s.name, diff)
		}
		if diff := cmp.Diff(s.order, ruleOrder(t, e, 50)); diff != "" {
			t.Errorf("%s: rules after (-want +got):\n%s", s.name, diff)
		}
	}
}

// TestRuleActionsEchoedAsAWS: a redirect with AWS's defaults filled in and
// a forward to one target group with its ForwardConfig, in CreateRule's and
// DescribeRules's answers, and a listener's redirect (ssl-redirect) filled
// in too.
func TestRuleActionsEchoedAsAWS(t *testing.T) {
	e := newALBEnv(t)
	ctx := context.Background()
	created, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener), Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{paths("/old")}, Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect,
			RedirectConfig: &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"),
				StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.createRule(e.listener, 2); err != nil {
		t.Fatal(err)
	}
	wantRedirect := &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("#{port}"),
		Host: aws.String("#{host}"), Path: aws.String("/#{path}"), Query: aws.String("#{query}"),
		StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}
	if diff := cmp.Diff(wantRedirect, created.Rules[0].Actions[0].RedirectConfig, cmpIgnoreSDK); diff != "" {
		t.Errorf("CreateRule's redirect (-want +got):\n%s", diff)
	}
	out, err := e.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(e.listener)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRedirect, out.Rules[0].Actions[0].RedirectConfig, cmpIgnoreSDK); diff != "" {
		t.Errorf("DescribeRules's redirect (-want +got):\n%s", diff)
	}
	wantForward := elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(e.tg),
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(e.tg), Weight: aws.Int32(1)}},
			TargetGroupStickinessConfig: &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(false)}}}
	redirect, err := e.elb.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: aws.String(e.lb),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8081), DefaultActions: []elbtypes.Action{{
			Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"),
				Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}}})
	if err != nil {
		t.Fatal(err)
	}
	listeners, err := e.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{
		ListenerArns: []string{aws.ToString(redirect.Listeners[0].ListenerArn)}})
	if err != nil {
		t.Fatal(err)
	}
	sslRedirect := &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"),
		Host: aws.String("#{host}"), Path: aws.String("/#{path}"), Query: aws.String("#{query}"),
		StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}
	if diff := cmp.Diff(sslRedirect, listeners.Listeners[0].DefaultActions[0].RedirectConfig, cmpIgnoreSDK); diff != "" {
		t.Errorf("a listener's redirect (-want +got):\n%s", diff)
	}
	for _, r := range out.Rules[1:] { // rule 2 and the default rule
		if diff := cmp.Diff(wantForward, r.Actions[0], cmpIgnoreSDK); diff != "" {
			t.Errorf("forward of rule %s (-want +got):\n%s", aws.ToString(r.Priority), diff)
		}
	}
}

var cmpIgnoreSDK = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".noSmithyDocumentSerde" || p.Last().String() == ".Order"
}, cmp.Ignore())
