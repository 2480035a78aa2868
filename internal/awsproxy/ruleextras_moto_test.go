package awsproxy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func urlRewrite(regex, replace string) elbtypes.RuleTransform {
	return elbtypes.RuleTransform{Type: elbtypes.TransformTypeEnumUrlRewrite, UrlRewriteConfig: &elbtypes.UrlRewriteConfig{
		Rewrites: []elbtypes.RewriteConfig{{Regex: aws.String(regex), Replace: aws.String(replace)}}}}
}

func hostRewrite(regex, replace string) elbtypes.RuleTransform {
	return elbtypes.RuleTransform{Type: elbtypes.TransformTypeEnumHostHeaderRewrite,
		HostHeaderRewriteConfig: &elbtypes.HostHeaderRewriteConfig{
			Rewrites: []elbtypes.RewriteConfig{{Regex: aws.String(regex), Replace: aws.String(replace)}}}}
}

// TestRuleTransformsCarried: a rule's transforms are answered by
// CreateRule, ModifyRule and DescribeRules as they were written (moto
// drops them), survive a ModifyRule that does not name them and a
// priority move, are replaced by a ModifyRule that names them (also one
// that changes nothing else, which moto alone refuses), and go with
// ResetTransforms; the rule is still found, modified and deleted by ARN.
func TestRuleTransformsCarried(t *testing.T) {
	e := newALBEnv(t)
	ctx := context.Background()
	fwd := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(e.tg)}}
	twoRewrites := urlRewrite(`^/api/(.+)$`, "/$1")
	twoRewrites.UrlRewriteConfig.Rewrites = append(twoRewrites.UrlRewriteConfig.Rewrites,
		elbtypes.RewriteConfig{Regex: aws.String(`^/v1/(.*)$`), Replace: aws.String("/v2/$1")})
	both := []elbtypes.RuleTransform{twoRewrites, hostRewrite(`^api\.example\.com$`, "example.com")}
	created, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
		Priority: aws.Int32(1), Conditions: []elbtypes.RuleCondition{paths("/api/*")}, Actions: fwd, Transforms: both})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.Rules[0].RuleArn
	if diff := cmp.Diff(both, created.Rules[0].Transforms, cmpIgnoreSDK); diff != "" {
		t.Errorf("CreateRule's transforms (-want +got):\n%s", diff)
	}
	describe := func(step string, want []elbtypes.RuleTransform) {
		t.Helper()
		out, err := e.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(e.listener)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Rules {
			if aws.ToString(r.RuleArn) == aws.ToString(arn) {
				if diff := cmp.Diff(want, r.Transforms, cmpIgnoreSDK, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: DescribeRules's transforms (-want +got):\n%s", step, diff)
				}
				return
			}
		}
		t.Fatalf("%s: rule %s not described", step, aws.ToString(arn))
	}
	describe("created", both)

	if _, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn,
		Conditions: []elbtypes.RuleCondition{paths("/v1/*")}}); err != nil {
		t.Fatal(err)
	}
	describe("conditions modified", both)
	if _, err := e.elb.SetRulePriorities(ctx, &elbv2.SetRulePrioritiesInput{RulePriorities: []elbtypes.RulePriorityPair{
		{RuleArn: arn, Priority: aws.Int32(7)}}}); err != nil {
		t.Fatal(err)
	}
	describe("moved", both)

	one := []elbtypes.RuleTransform{urlRewrite(`^/v1/(.*)$`, "/v2/$1")}
	modified, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn, Transforms: one})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(one, modified.Rules[0].Transforms, cmpIgnoreSDK); diff != "" {
		t.Errorf("ModifyRule's transforms (-want +got):\n%s", diff)
	}
	describe("transforms replaced", one)

	if _, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn, Actions: fwd,
		ResetTransforms: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	describe("transforms reset", nil)

	if _, err := e.elb.DeleteRule(ctx, &elbv2.DeleteRuleInput{RuleArn: arn}); err != nil {
		t.Fatal(err)
	}
}

// TestRuleTransformsRefused: what AWS refuses of transforms is refused
// before moto sees the rule.
func TestRuleTransformsRefused(t *testing.T) {
	e := newALBEnv(t)
	ctx := context.Background()
	fwd := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(e.tg)}}
	tests := []struct {
		name       string
		transforms []elbtypes.RuleTransform
		want       string
	}{
		{"two url rewrites", []elbtypes.RuleTransform{urlRewrite("a", "b"), urlRewrite("c", "d")},
			"ValidationError: A rule can only have one 'url-rewrite' transform"},
		{"no config", []elbtypes.RuleTransform{{Type: elbtypes.TransformTypeEnumUrlRewrite}},
			"ValidationError: A 'url-rewrite' transform must have UrlRewriteConfig with one or more rewrites"},
		{"config of the other type", []elbtypes.RuleTransform{{Type: elbtypes.TransformTypeEnumHostHeaderRewrite,
			UrlRewriteConfig: urlRewrite("a", "b").UrlRewriteConfig}},
			"ValidationError: A 'host-header-rewrite' transform must have HostHeaderRewriteConfig with one or more rewrites"},
		{"regex too long", []elbtypes.RuleTransform{urlRewrite(strings.Repeat("a", 1025), "b")},
			"ValidationError: A rewrite needs a regex of 1 to 1024 characters and a replace of at most 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
				Priority: aws.Int32(1), Conditions: []elbtypes.RuleCondition{paths("/x")}, Actions: fwd,
				Transforms: tt.transforms})
			if got := outcome(err); got != tt.want {
				t.Errorf("CreateRule: %s, want %s", got, tt.want)
			}
		})
	}
	created, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
		Priority: aws.Int32(1), Conditions: []elbtypes.RuleCondition{paths("/x")}, Actions: fwd})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: created.Rules[0].RuleArn,
		Transforms: []elbtypes.RuleTransform{urlRewrite("a", "b")}, ResetTransforms: aws.Bool(true)})
	if got, want := outcome(err), "ValidationError: You cannot specify both Transforms and ResetTransforms"; got != want {
		t.Errorf("ModifyRule: %s, want %s", got, want)
	}
}

// TestRegexConditionsCarried: host-header, path-pattern and http-header
// conditions by regular expression (moto answers them with HTTP 500) are
// written and answered as AWS answers them, count towards the 5 condition
// values, and a rule holding them is modified and moved like any other.
func TestRegexConditionsCarried(t *testing.T) {
	e := newALBEnv(t)
	ctx := context.Background()
	fwd := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(e.tg)}}
	regex := []elbtypes.RuleCondition{
		{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{
			RegexValues: []string{`^/api/v[0-9]+/.+$`, `^/a&b<c>$`}}},
		{Field: aws.String("host-header"), HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{
			RegexValues: []string{`^.+\.example\.com$`}}},
		{Field: aws.String("http-header"), HttpHeaderConfig: &elbtypes.HttpHeaderConditionConfig{
			HttpHeaderName: aws.String("X-Canary"), Values: []string{"on"}, RegexValues: []string{`^t.+e$`}}},
	}
	created, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
		Priority: aws.Int32(1), Conditions: regex, Actions: fwd})
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{cmpIgnoreSDK, cmpopts.EquateEmpty()}
	if diff := cmp.Diff(regex, created.Rules[0].Conditions, opts); diff != "" {
		t.Errorf("CreateRule's conditions (-want +got):\n%s", diff)
	}
	arn := created.Rules[0].RuleArn
	if _, err := e.elb.SetRulePriorities(ctx, &elbv2.SetRulePrioritiesInput{RulePriorities: []elbtypes.RulePriorityPair{
		{RuleArn: arn, Priority: aws.Int32(3)}}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{aws.ToString(arn)}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(regex, out.Rules[0].Conditions, opts); diff != "" {
		t.Errorf("DescribeRules's conditions (-want +got):\n%s", diff)
	}
	changed := regex[:1]
	modified, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn, Conditions: changed})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(changed, modified.Rules[0].Conditions, opts); diff != "" {
		t.Errorf("ModifyRule's conditions (-want +got):\n%s", diff)
	}
	six := elbtypes.RuleCondition{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{
		RegexValues: []string{"a", "b", "c", "d", "e", "f"}}}
	_, err = e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
		Priority: aws.Int32(2), Conditions: []elbtypes.RuleCondition{six}, Actions: fwd})
	if got, want := outcome(err), "ValidationError: A rule can only have '5' condition values"; got != want {
		t.Errorf("six regular expressions: %s, want %s", got, want)
	}
	if _, err := e.elb.DeleteRule(ctx, &elbv2.DeleteRuleInput{RuleArn: arn}); err != nil {
		t.Fatal(err)
	}
}
