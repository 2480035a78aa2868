package awsproxy_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

// TestWeightedForwardEchoedAsAWS: a forward to two target groups by weight
// with stickiness, under header and query-string conditions, is answered
// as it was sent (as AWS answers it: no plain TargetGroupArn for several
// target groups), by CreateRule, ModifyRule and DescribeRules, so the
// deployer's comparison by meaning finds a converged rule unchanged.
func TestWeightedForwardEchoedAsAWS(t *testing.T) {
	e := newALBEnv(t)
	ctx := context.Background()
	tgs, err := e.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{e.tg}})
	if err != nil {
		t.Fatal(err)
	}
	canary, err := e.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("canary"),
		VpcId: tgs.TargetGroups[0].VpcId, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(81)})
	if err != nil {
		t.Fatal(err)
	}
	canaryARN := aws.ToString(canary.TargetGroups[0].TargetGroupArn)
	weighted := func(stable, next int32) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(1),
			ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
				{TargetGroupArn: aws.String(e.tg), Weight: aws.Int32(stable)},
				{TargetGroupArn: aws.String(canaryARN), Weight: aws.Int32(next)}},
				TargetGroupStickinessConfig: &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(true),
					DurationSeconds: aws.Int32(60)}}}}
	}
	conditions := []elbtypes.RuleCondition{header("X-Canary", "yes"), {Field: aws.String("query-string"),
		QueryStringConfig: &elbtypes.QueryStringConditionConfig{Values: []elbtypes.QueryStringKeyValuePair{
			{Key: aws.String("pot"), Value: aws.String("1")}}}}}
	created, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
		Priority: aws.Int32(1), Conditions: conditions, Actions: weighted(90, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(weighted(90, 10), created.Rules[0].Actions, cmpIgnoreSDK); diff != "" {
		t.Errorf("CreateRule's actions (-want +got):\n%s", diff)
	}
	modified, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: created.Rules[0].RuleArn,
		Actions: weighted(50, 50)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(weighted(50, 50), modified.Rules[0].Actions, cmpIgnoreSDK); diff != "" {
		t.Errorf("ModifyRule's actions (-want +got):\n%s", diff)
	}
	out, err := e.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{aws.ToString(created.Rules[0].RuleArn)}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(weighted(50, 50), out.Rules[0].Actions, cmpIgnoreSDK); diff != "" {
		t.Errorf("DescribeRules's actions (-want +got):\n%s", diff)
	}
	ignoreValues := cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Values" &&
			p.Index(-2).Type().String() == "types.RuleCondition"
	}, cmp.Ignore())
	if diff := cmp.Diff(conditions, out.Rules[0].Conditions, cmpIgnoreSDK, ignoreValues); diff != "" {
		t.Errorf("DescribeRules's conditions (-want +got):\n%s", diff)
	}
}
