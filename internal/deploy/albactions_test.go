package deploy

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestRuleMeaning: what kelb sends and what AWS answers for the same rule
// have one meaning; anything that routes differently has another.
func TestRuleMeaning(t *testing.T) {
	tgs := map[string]string{"ns/a:80": "arn:tg/a", "ns/b:80": "arn:tg/b"}
	sent := func(cs []model.RuleCondition, as []model.Action) string {
		t.Helper()
		actions, err := sdkActions(as, tgs)
		if err != nil {
			t.Fatal(err)
		}
		return listenerRuleKey(sdkConditions(cs), actions)
	}
	hostAndPath := []model.RuleCondition{
		{Field: model.ConditionHostHeader, HostHeader: []string{"a.example.com"}},
		{Field: model.ConditionPathPattern, PathPattern: []string{"/foo", "/foo/*"}}}
	forwardA := []model.Action{model.ForwardTo("ns/a:80")}
	base := sent(hostAndPath, forwardA)

	// AWS's echo: both Values and the config, conditions in another order,
	// values in another order, the forward both as ARN and ForwardConfig.
	echo := listenerRuleKey([]elbtypes.RuleCondition{
		{Field: aws.String("path-pattern"), Values: []string{"/foo/*", "/foo"},
			PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/foo/*", "/foo"}}},
		{Field: aws.String("host-header"), Values: []string{"A.example.com"},
			HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{Values: []string{"A.example.com"}}},
	}, []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(1), TargetGroupArn: aws.String("arn:tg/a"),
		ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups:                []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String("arn:tg/a"), Weight: aws.Int32(1)}},
			TargetGroupStickinessConfig: &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(false)}}}})
	plainARN := listenerRuleKey(sdkConditions(hostAndPath), []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
		TargetGroupArn: aws.String("arn:tg/a")}})

	redirect := func(r *elbtypes.RedirectActionConfig) string {
		return canonicalActions([]elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: r}})
	}
	sentRedirect, err := sdkActions([]model.Action{{Type: model.ActionRedirect, Redirect: &model.RedirectAction{
		Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{
		"echo":               echo == base,
		"plain ARN":          plainARN == base,
		"other host":         sent([]model.RuleCondition{{Field: model.ConditionHostHeader, HostHeader: []string{"b.example.com"}}, hostAndPath[1]}, forwardA) == base,
		"other path":         sent([]model.RuleCondition{hostAndPath[0], {Field: model.ConditionPathPattern, PathPattern: []string{"/foo"}}}, forwardA) == base,
		"other target group": sent(hostAndPath, []model.Action{model.ForwardTo("ns/b:80")}) == base,
		"redirect echoed with AWS's placeholders": canonicalActions(sentRedirect) == redirect(&elbtypes.RedirectActionConfig{
			Protocol: aws.String("HTTPS"), Port: aws.String("443"), Host: aws.String("#{host}"), Path: aws.String("/#{path}"),
			Query: aws.String("#{query}"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}),
		"redirect to another port": canonicalActions(sentRedirect) == redirect(&elbtypes.RedirectActionConfig{
			Protocol: aws.String("HTTPS"), Port: aws.String("8443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}),
	}
	want := map[string]bool{"echo": true, "plain ARN": true, "other host": false, "other path": false,
		"other target group": false, "redirect echoed with AWS's placeholders": true, "redirect to another port": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("same meaning (-want +got):\n%s", diff)
	}
}

// TestWeightedForwardMeaning: a weighted forward is the same whatever the
// order AWS lists its target groups in, and stickiness that is off is off
// whatever duration AWS echoes; a weight or a duration that differs is a
// change.
func TestWeightedForwardMeaning(t *testing.T) {
	tgs := map[string]string{"ns/a:80": "arn:tg/a", "ns/b:80": "arn:tg/b"}
	w := func(n int32) *int32 { return &n }
	sent := func(wa, wb int32, sticky *model.ForwardStickiness) string {
		t.Helper()
		actions, err := sdkActions([]model.Action{{Type: model.ActionForward, Forward: &model.ForwardAction{
			TargetGroups: []model.WeightedTargetGroup{{TargetGroupID: "ns/a:80", Weight: w(wa)},
				{TargetGroupID: "ns/b:80", Weight: w(wb)}}, Stickiness: sticky}}}, tgs)
		if err != nil {
			t.Fatal(err)
		}
		return canonicalActions(actions)
	}
	echo := func(wa, wb int32, on bool, seconds int32) string {
		return canonicalActions([]elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(1),
			ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
				{TargetGroupArn: aws.String("arn:tg/b"), Weight: aws.Int32(wb)},
				{TargetGroupArn: aws.String("arn:tg/a"), Weight: aws.Int32(wa)}},
				TargetGroupStickinessConfig: &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(on),
					DurationSeconds: aws.Int32(seconds)}}}})
	}
	on300 := &model.ForwardStickiness{Enabled: true, DurationSeconds: 300}
	tests := []struct {
		name      string
		sent, got string
		same      bool
	}{
		{"echoed in another order", sent(90, 10, on300), echo(90, 10, true, 300), true},
		{"weights shifted", sent(50, 50, on300), echo(90, 10, true, 300), false},
		{"stickiness off, duration echoed", sent(90, 10, &model.ForwardStickiness{}), echo(90, 10, false, 3600), true},
		{"stickiness unset is off", sent(90, 10, nil), echo(90, 10, false, 0), true},
		{"stickiness turned on", sent(90, 10, on300), echo(90, 10, false, 0), false},
		{"another duration", sent(90, 10, on300), echo(90, 10, true, 600), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sent == tt.got; got != tt.same {
				t.Errorf("same meaning = %v, want %v:\nsent %s\nechoed %s", got, tt.same, tt.sent, tt.got)
			}
		})
	}
}
