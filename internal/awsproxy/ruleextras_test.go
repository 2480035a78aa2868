package awsproxy

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParamsForMoto: a rule write reaches moto without transforms, and
// with each regular expression as a marked value of its config, numbered
// after the config's plain values.
func TestParamsForMoto(t *testing.T) {
	in := url.Values{
		"Action":                   {"CreateRule"},
		"Transforms.member.1.Type": {"url-rewrite"},
		"Transforms.member.1.UrlRewriteConfig.Rewrites.member.1.Regex":   {"^/a/(.*)$"},
		"Transforms.member.1.UrlRewriteConfig.Rewrites.member.1.Replace": {"/$1"},
		"Conditions.member.1.Field":                                      {"http-header"},
		"Conditions.member.1.HttpHeaderConfig.HttpHeaderName":            {"X-A"},
		"Conditions.member.1.HttpHeaderConfig.Values.member.1":           {"on"},
		"Conditions.member.1.HttpHeaderConfig.RegexValues.member.1":      {"^t.+$"},
		"Conditions.member.2.Field":                                      {"path-pattern"},
		"Conditions.member.2.PathPatternConfig.RegexValues.member.2":     {"^/b$"},
		"Conditions.member.2.PathPatternConfig.RegexValues.member.1":     {"^/a$"},
	}
	want := url.Values{
		"Action":                    {"CreateRule"},
		"Conditions.member.1.Field": {"http-header"},
		"Conditions.member.1.HttpHeaderConfig.HttpHeaderName":   {"X-A"},
		"Conditions.member.1.HttpHeaderConfig.Values.member.1":  {"on"},
		"Conditions.member.1.HttpHeaderConfig.Values.member.2":  {regexMarker + "^t.+$"},
		"Conditions.member.2.Field":                             {"path-pattern"},
		"Conditions.member.2.PathPatternConfig.Values.member.1": {regexMarker + "^/a$"},
		"Conditions.member.2.PathPatternConfig.Values.member.2": {regexMarker + "^/b$"},
	}
	if diff := cmp.Diff(want, paramsForMoto(in)); diff != "" {
		t.Errorf("paramsForMoto (-want +got):\n%s", diff)
	}
}

// TestRuleExtrasAnswer: marked values come back as RegexValues (plain ones
// stay Values), and a known rule's transforms are added to it, XML-escaped.
func TestRuleExtrasAnswer(t *testing.T) {
	x := NewRuleExtras()
	x.transforms["arn:rule/1"] = []ruleTransform{{Type: "url-rewrite",
		Rewrites: []rewritePair{{Regex: "^/a&b/(.*)$", Replace: "/$1"}}}}
	body := `<DescribeRulesResponse><DescribeRulesResult><Rules><member><RuleArn>arn:rule/1</RuleArn>` +
		`<Conditions><member><Field>http-header</Field><HttpHeaderConfig><HttpHeaderName>X-A</HttpHeaderName><Values>` +
		`<member>on</member><member>` + regexMarker + `^t.+$</member></Values></HttpHeaderConfig></member></Conditions>` +
		`</member><member><RuleArn>arn:rule/2</RuleArn><Conditions><member><Field>path-pattern</Field>` +
		`<PathPatternConfig><Values><member>` + regexMarker + `^/b$</member></Values></PathPatternConfig></member>` +
		`</Conditions></member></Rules></DescribeRulesResult></DescribeRulesResponse>`
	want := `<DescribeRulesResponse><DescribeRulesResult><Rules><member><RuleArn>arn:rule/1</RuleArn>` +
		`<Conditions><member><Field>http-header</Field><HttpHeaderConfig><HttpHeaderName>X-A</HttpHeaderName><Values>` +
		`<member>on</member></Values><RegexValues><member>^t.+$</member></RegexValues></HttpHeaderConfig></member>` +
		`</Conditions><Transforms><member><Type>url-rewrite</Type><UrlRewriteConfig><Rewrites><member>` +
		`<Regex>^/a&amp;b/(.*)$</Regex><Replace>/$1</Replace></member></Rewrites></UrlRewriteConfig></member></Transforms>` +
		`</member><member><RuleArn>arn:rule/2</RuleArn><Conditions><member><Field>path-pattern</Field>` +
		`<PathPatternConfig><Values/><RegexValues><member>^/b$</member></RegexValues></PathPatternConfig></member>` +
		`</Conditions></member></Rules></DescribeRulesResult></DescribeRulesResponse>`
	got := x.answer(&Response{Status: 200, Body: []byte(body)})
	if diff := cmp.Diff(want, string(got.Body)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}
