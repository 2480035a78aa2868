package ingress

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

const (
	annTransformsWeb      = AnnTransformsPrefix + "web"
	transformRegexAllowed = "a regular expression of 1 to 1024 characters without lookarounds, backreferences, " +
		"atomic groups, possessive quantifiers, subroutines, recursion or \\p classes (AWS does not support them)"
)

// TestTransformsAndRegexBuilt: transforms.<service> go on the rules of the
// paths whose backend is that Service (or that use-annotation action), as
// LBC keys them; use-regex-path-match turns ImplementationSpecific paths
// into regular expressions (the leading "/" dropped), other paths stay
// patterns; conditions.<service> regexValues join the rule's.
func TestTransformsAndRegexBuilt(t *testing.T) {
	urlRewrite := model.RuleTransform{Type: model.TransformURLRewrite,
		Rewrites: []model.Rewrite{{Regex: "^/api/(.+)$", Replace: "/$1"}}}
	hostRewrite := model.RuleTransform{Type: model.TransformHostHeaderRewrite,
		Rewrites: []model.Rewrite{{Regex: `^api\.example\.com$`, Replace: "example.com"}}}
	withTransforms := func(r model.ListenerRule, ts ...model.RuleTransform) model.ListenerRule {
		r.Transforms = ts
		return r
	}
	pathRegex := func(re ...string) model.RuleCondition {
		return model.RuleCondition{Field: model.ConditionPathPattern, PathPatternRegex: re}
	}
	tests := []struct {
		name  string
		ann   map[string]string
		be    networkingv1.IngressBackend
		extra func(*networkingv1.Ingress)
		rules []model.ListenerRule // port 80's
	}{
		{name: "url and host header rewrites on the Service's rule",
			ann: map[string]string{annTransformsWeb: `[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[
				{"regex":"^/api/(.+)$","replace":"/$1"}]}},{"type":"host-header-rewrite","hostHeaderRewriteConfig":{
				"rewrites":[{"regex":"^api\\.example\\.com$","replace":"example.com"}]}}]`},
			be:    backend("web", 80),
			rules: []model.ListenerRule{withTransforms(pathRule(1, "80", tgWeb, paths("/*")), urlRewrite, hostRewrite)}},
		{name: "only the rules of that Service",
			ann: map[string]string{annTransformsWeb: `[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[
				{"regex":"^/api/(.+)$","replace":"/$1"}]}}]`},
			be: backend("web", 80),
			extra: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths,
					to(pathOf("/api", networkingv1.PathTypePrefix), "api", 8080))
			},
			rules: []model.ListenerRule{pathRule(1, "80", tgAPI, paths("/api", "/api/*")),
				withTransforms(pathRule(2, "80", tgWeb, paths("/*")), urlRewrite)}},
		{name: "a use-annotation backend takes the transforms of its action's name",
			ann: map[string]string{annCanary: `{"type":"forward","targetGroupARN":"` + tgARN + `"}`,
				AnnTransformsPrefix + "canary": `[{"type":"host-header-rewrite","hostHeaderRewriteConfig":{
				"rewrites":[{"regex":"^api\\.example\\.com$","replace":"example.com"}]}}]`},
			be: useAnnotation("canary"),
			rules: []model.ListenerRule{withTransforms(ruleWith(1, "80", model.Action{Type: model.ActionForward,
				Forward: &model.ForwardAction{TargetGroups: []model.WeightedTargetGroup{{TargetGroupARN: tgARN}}}},
				paths("/*")), hostRewrite)}},
		{name: "several rewrites in one transform, in order",
			ann: map[string]string{annTransformsWeb: `[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[
				{"regex":"^/api/(.+)$","replace":"/$1"},{"regex":"^/v1/(.*)$","replace":"/v2/$1"}]}}]`},
			be: backend("web", 80),
			rules: []model.ListenerRule{withTransforms(pathRule(1, "80", tgWeb, paths("/*")),
				model.RuleTransform{Type: model.TransformURLRewrite, Rewrites: []model.Rewrite{
					{Regex: "^/api/(.+)$", Replace: "/$1"}, {Regex: "^/v1/(.*)$", Replace: "/v2/$1"}}})}},
		{name: "an empty list is no transform",
			ann:   map[string]string{annTransformsWeb: `[]`},
			be:    backend("web", 80),
			rules: []model.ListenerRule{pathRule(1, "80", tgWeb, paths("/*"))}},
		{name: "use-regex-path-match: ImplementationSpecific paths are expressions, Prefix paths patterns",
			ann: map[string]string{AnnUseRegexPathMatch: "true"},
			be:  backend("web", 80),
			extra: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths,
					to(pathOf("/^/api/v[0-9]+/.+$", networkingv1.PathTypeImplementationSpecific), "api", 8080))
			},
			rules: []model.ListenerRule{pathRule(1, "80", tgWeb, paths("/*")),
				pathRule(2, "80", tgAPI, pathRegex("^/api/v[0-9]+/.+$"))}},
		{name: "use-regex-path-match false: paths as written",
			ann: map[string]string{AnnUseRegexPathMatch: "false"},
			be:  backend("web", 80),
			extra: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].HTTP.Paths[0].Path = "/img/*"
				ing.Spec.Rules[0].HTTP.Paths[0].PathType = ptr(networkingv1.PathTypeImplementationSpecific)
			},
			rules: []model.ListenerRule{pathRule(1, "80", tgWeb, paths("/img/*"))}},
		{name: "regular expressions of conditions.<service> join the path's, hosts and headers too",
			ann: map[string]string{AnnUseRegexPathMatch: "true", AnnConditionsPrefix + "web": `[
				{"field":"path-pattern","pathPatternConfig":{"regexValues":["^/v2/.+$"]}},
				{"field":"host-header","hostHeaderConfig":{"regexValues":["^.+\\.example\\.com$"]}},
				{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Canary","values":["on"],
				"regexValues":["^t.+e$"]}}]`},
			be: backend("web", 80),
			extra: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].HTTP.Paths[0].Path = "/^/v1/.+$"
				ing.Spec.Rules[0].HTTP.Paths[0].PathType = nil
			},
			rules: []model.ListenerRule{pathRule(1, "80", tgWeb,
				model.RuleCondition{Field: model.ConditionHTTPHeader, HTTPHeader: &model.HTTPHeaderCondition{
					Name: "X-Canary", Values: []string{"on"}, RegexValues: []string{"^t.+e$"}}},
				model.RuleCondition{Field: model.ConditionHostHeader, HostHeaderRegex: []string{`^.+\.example\.com$`}},
				pathRegex("^/v1/.+$", "^/v2/.+$"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra []func(*networkingv1.Ingress)
			if tt.extra != nil {
				extra = append(extra, tt.extra)
			}
			got, err := buildWith(tt.ann, tt.be, extra...)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if diff := cmp.Diff(tt.rules, got.Routing[0].Rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTransformsRefused: what LBC or AWS would refuse of a transform, or of
// use-regex-path-match, is refused before any AWS call, naming the
// annotation, the JSON field and the allowed values.
func TestTransformsRefused(t *testing.T) {
	at := func(path string) string { return annTransformsWeb + " (" + path + ")" }
	url := func(rewrites string) string {
		return `[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":` + rewrites + `}}]`
	}
	tests := []struct {
		name string
		ann  map[string]string
		want error
	}{
		{"not a list", map[string]string{annTransformsWeb: `{"type":"url-rewrite"}`}, &AnnotationError{
			Annotation: annTransformsWeb, Value: `{"type":"url-rewrite"}`,
			Allowed: `a JSON list of transforms such as [{"type": "url-rewrite", "urlRewriteConfig": ` +
				`{"rewrites": [{"regex": "^/api/(.+)$", "replace": "/$1"}]}}]`}},
		{"unknown type", map[string]string{annTransformsWeb: `[{"type":"header-rewrite"}]`},
			&FieldError{Field: at("[0].type"), Value: "header-rewrite", Allowed: "host-header-rewrite, url-rewrite"}},
		{"config missing", map[string]string{annTransformsWeb: `[{"type":"url-rewrite","hostHeaderRewriteConfig":{}}]`},
			&FieldError{Field: at("[0].urlRewriteConfig"), Allowed: "a urlRewriteConfig object for type url-rewrite"}},
		{"two of a type", map[string]string{annTransformsWeb: `[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[
			{"regex":"a","replace":"b"}]}},{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"c","replace":"d"}]}}]`},
			&FieldError{Field: at("[1].type"), Value: "url-rewrite",
				Allowed: "one transform of each type per rule (AWS takes one host-header-rewrite and one url-rewrite)"}},
		{"no rewrite", map[string]string{annTransformsWeb: url(`[]`)},
			&FieldError{Field: at("[0].urlRewriteConfig.rewrites"), Allowed: `one or more {"regex": ..., "replace": ...}`}},
		{"look-ahead, which AWS does not support", map[string]string{annTransformsWeb: url(
			`[{"regex":"^/a$","replace":"/"},{"regex":"^/(?!admin)(.*)$","replace":"/$1"}]`)},
			&FieldError{Field: at("[0].urlRewriteConfig.rewrites[1].regex"), Value: "^/(?!admin)(.*)$",
				Allowed: transformRegexAllowed}},
		{"empty regex", map[string]string{annTransformsWeb: url(`[{"regex":"","replace":"/"}]`)},
			&FieldError{Field: at("[0].urlRewriteConfig.rewrites[0].regex"),
				Allowed: "a regular expression of 1 to 1024 characters"}},
		{"broken regex", map[string]string{annTransformsWeb: url(`[{"regex":"^/(api","replace":"/"}]`)},
			&FieldError{Field: at("[0].urlRewriteConfig.rewrites[0].regex"), Value: "^/(api",
				Allowed: "a regular expression of 1 to 1024 characters (missing closing ))"}},
		{"replacement too long", map[string]string{annTransformsWeb: url(`[{"regex":"a","replace":"` +
			strings.Repeat("b", 1025) + `"}]`)}, &FieldError{Field: at("[0].urlRewriteConfig.rewrites[0].replace"),
			Value: strings.Repeat("b", 1025), Allowed: "a replacement of at most 1024 characters ($1 names the regex's first group)"}},
		{"use-regex-path-match not a boolean", map[string]string{AnnUseRegexPathMatch: "yes"}, &AnnotationError{
			Annotation: AnnUseRegexPathMatch, Value: "yes",
			Allowed: "true, false (also 1, 0, t, f, T, F, TRUE, FALSE, True, False)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildWith(tt.ann, backend("web", 80))
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got != nil {
				t.Errorf("Build returned a stack with an error")
			}
		})
	}
}
