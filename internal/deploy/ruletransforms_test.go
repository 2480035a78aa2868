package deploy

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestRuleTransformsAndRegexMeaning: a rule's transforms and regular
// expressions are part of its meaning. What kelb sends and what AWS
// answers (transforms in another order, empty lists, an empty Values next
// to RegexValues) mean the same; a changed rewrite, a transform added or
// removed, a regular expression turned into a wildcard value, or another
// expression is another meaning (a ModifyRule); a rule without transforms
// keeps the key it had before kelb knew transforms.
func TestRuleTransformsAndRegexMeaning(t *testing.T) {
	tgs := map[string]string{"ns/a:80": "arn:tg/a"}
	forward := []model.Action{model.ForwardTo("ns/a:80")}
	actions, err := sdkActions(forward, tgs)
	if err != nil {
		t.Fatal(err)
	}
	regexPath := model.RuleCondition{Field: model.ConditionPathPattern, PathPatternRegex: []string{"^/api/.+$"}}
	rewrite1 := func(typ, regex, replace string) model.RuleTransform {
		return model.RuleTransform{Type: typ, Rewrites: []model.Rewrite{{Regex: regex, Replace: replace}}}
	}
	url := rewrite1(model.TransformURLRewrite, "^/api/(.+)$", "/$1")
	host := rewrite1(model.TransformHostHeaderRewrite, `^api\.example\.com$`, "example.com")
	sent := func(cs []model.RuleCondition, ts ...model.RuleTransform) string {
		return listenerRuleKey(sdkConditions(cs), actions, sdkTransforms(ts)...)
	}
	base := sent([]model.RuleCondition{regexPath}, url, host)

	rewrite := func(regex, replace string) []elbtypes.RewriteConfig {
		return []elbtypes.RewriteConfig{{Regex: aws.String(regex), Replace: aws.String(replace)}}
	}
	echoed := listenerRuleKey([]elbtypes.RuleCondition{{Field: aws.String("path-pattern"),
		PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{}, RegexValues: []string{"^/api/.+$"}}}},
		actions,
		elbtypes.RuleTransform{Type: elbtypes.TransformTypeEnumHostHeaderRewrite,
			HostHeaderRewriteConfig: &elbtypes.HostHeaderRewriteConfig{Rewrites: rewrite(`^api\.example\.com$`, "example.com")}},
		elbtypes.RuleTransform{Type: elbtypes.TransformTypeEnumUrlRewrite,
			UrlRewriteConfig: &elbtypes.UrlRewriteConfig{Rewrites: rewrite("^/api/(.+)$", "/$1")}})
	plainPath := []model.RuleCondition{{Field: model.ConditionPathPattern, PathPattern: []string{"/api/*"}}}

	got := map[string]bool{
		"AWS's echo":        echoed == base,
		"other replacement": sent([]model.RuleCondition{regexPath}, rewrite1(url.Type, "^/api/(.+)$", "/v2/$1"), host) == base,
		"transform removed": sent([]model.RuleCondition{regexPath}, url) == base,
		"no transforms":     sent([]model.RuleCondition{regexPath}) == base,
		"wildcard value":    sent([]model.RuleCondition{{Field: model.ConditionPathPattern, PathPattern: []string{"^/api/.+$"}}}, url, host) == base,
		"other expression":  sent([]model.RuleCondition{{Field: model.ConditionPathPattern, PathPatternRegex: []string{"^/v1/.+$"}}}, url, host) == base,
		"key without transforms unchanged": sent(plainPath) ==
			canonicalConditions(sdkConditions(plainPath))+" => "+canonicalActions(actions),
		"a second rewrite": sent([]model.RuleCondition{regexPath}, model.RuleTransform{Type: url.Type,
			Rewrites: append(slices.Clone(url.Rewrites), model.Rewrite{Regex: "^/v1/(.*)$", Replace: "/v2/$1"})}, host) == base,
		"empty transforms from AWS": listenerRuleKey(sdkConditions(plainPath), actions, []elbtypes.RuleTransform{}...) == sent(plainPath),
		"header regex is not a header value": sent([]model.RuleCondition{{Field: model.ConditionHTTPHeader,
			HTTPHeader: &model.HTTPHeaderCondition{Name: "X-A", RegexValues: []string{"on"}}}}) ==
			sent([]model.RuleCondition{{Field: model.ConditionHTTPHeader, HTTPHeader: &model.HTTPHeaderCondition{Name: "X-A",
				Values: []string{"on"}}}}),
		"host regex kept as written": sent([]model.RuleCondition{{Field: model.ConditionHostHeader,
			HostHeaderRegex: []string{`^A\.example\.com$`}}}) == sent([]model.RuleCondition{{Field: model.ConditionHostHeader,
			HostHeaderRegex: []string{`^a\.example\.com$`}}}),
	}
	want := map[string]bool{"AWS's echo": true, "other replacement": false, "transform removed": false,
		"no transforms": false, "wildcard value": false, "other expression": false,
		"key without transforms unchanged": true, "a second rewrite": false, "empty transforms from AWS": true,
		"header regex is not a header value": false, "host regex kept as written": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("same meaning (-want +got):\n%s", diff)
	}
}

// TestSDKTransforms: transforms go to AWS in the config of their type.
func TestSDKTransforms(t *testing.T) {
	got := sdkTransforms([]model.RuleTransform{
		{Type: model.TransformURLRewrite, Rewrites: []model.Rewrite{{Regex: "^/a/(.*)$", Replace: "/$1"}}},
		{Type: model.TransformHostHeaderRewrite, Rewrites: []model.Rewrite{{Regex: "^a$", Replace: "b"}}}})
	want := []elbtypes.RuleTransform{
		{Type: elbtypes.TransformTypeEnumUrlRewrite, UrlRewriteConfig: &elbtypes.UrlRewriteConfig{
			Rewrites: []elbtypes.RewriteConfig{{Regex: aws.String("^/a/(.*)$"), Replace: aws.String("/$1")}}}},
		{Type: elbtypes.TransformTypeEnumHostHeaderRewrite, HostHeaderRewriteConfig: &elbtypes.HostHeaderRewriteConfig{
			Rewrites: []elbtypes.RewriteConfig{{Regex: aws.String("^a$"), Replace: aws.String("b")}}}}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(elbtypes.RuleTransform{},
		elbtypes.UrlRewriteConfig{}, elbtypes.HostHeaderRewriteConfig{}, elbtypes.RewriteConfig{})); diff != "" {
		t.Errorf("sdkTransforms (-want +got):\n%s", diff)
	}
	if got := sdkTransforms(nil); got != nil {
		t.Errorf("sdkTransforms(nil) = %v, want nil (no Transforms parameter)", got)
	}
}
