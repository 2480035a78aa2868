package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

const (
	annCanary   = AnnActionsPrefix + "canary"
	tgARN       = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/0123456789abcdef"
	tgARNOther  = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/fedcba9876543210"
	tgWebByName = "shop/web-web:http"
)

func useAnnotation(name string) networkingv1.IngressBackend {
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name,
		Port: networkingv1.ServiceBackendPort{Name: useAnnotationPortName}}}
}

// buildWith builds shop/web with the annotations and its one rule's
// backend, on the listen ports given (default HTTP:80).
func buildWith(ann map[string]string, be networkingv1.IngressBackend, extra ...func(*networkingv1.Ingress)) (
	*model.ApplicationStack, error) {
	ing := minimalIngress()
	for k, v := range ann {
		ing.Annotations[k] = v
	}
	ing.Spec.Rules[0].HTTP.Paths[0].Backend = be
	for _, f := range extra {
		f(ing)
	}
	return Build(testConfig(), Input{Ingress: ing, Services: testServices(),
		Facts: Facts{Subnets: []string{"subnet-a", "subnet-b"}, CertificateStatuses: issued(certDefault)}})
}

func weight(w int32) *int32 { return &w }

func ruleWith(priority int32, port string, action model.Action, conditions ...model.RuleCondition) model.ListenerRule {
	return model.ListenerRule{Priority: priority, Conditions: conditions, Actions: []model.Action{action},
		Tags: tracking(port + ":" + itoa(priority))}
}

func TestCustomActionsBuilt(t *testing.T) {
	tests := []struct {
		name  string
		ann   map[string]string
		be    networkingv1.IngressBackend
		extra func(*networkingv1.Ingress)
		// rules are port 80's; tgs the target groups' ids.
		rules []model.ListenerRule
		tgs   []string
	}{
		{name: "weighted forward to two Services makes both target groups",
			ann: map[string]string{annCanary: `{"type":"forward","forwardConfig":{"targetGroups":[
				{"serviceName":"web","servicePort":"80","weight":90},{"serviceName":"api","servicePort":8080,"weight":10}],
				"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":300}}}`},
			be: useAnnotation("canary"),
			rules: []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionForward,
				Forward: &model.ForwardAction{TargetGroups: []model.WeightedTargetGroup{
					{TargetGroupID: tgWeb, Weight: weight(90)}, {TargetGroupID: tgAPI, Weight: weight(10)}},
					Stickiness: &model.ForwardStickiness{Enabled: true, DurationSeconds: 300}}}, paths("/*"))},
			tgs: []string{tgAPI, tgWeb}},
		{name: "forward by ARN in the simple form (LBC's capitalized spelling)",
			ann: map[string]string{annCanary: `{"Type":"forward","TargetGroupArn":"` + tgARN + `"}`},
			be:  useAnnotation("canary"),
			rules: []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionForward,
				Forward: &model.ForwardAction{TargetGroups: []model.WeightedTargetGroup{{TargetGroupARN: tgARN}}}},
				paths("/*"))}},
		{name: "forward by ARN and by named Service port, stickiness off",
			ann: map[string]string{annCanary: `{"type":"forward","forwardConfig":{"targetGroups":[
				{"targetGroupARN":"` + tgARN + `","weight":0},{"serviceName":"web","servicePort":"http","weight":999}],
				"targetGroupStickinessConfig":{"enabled":false}}}`},
			be: useAnnotation("canary"),
			rules: []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionForward,
				Forward: &model.ForwardAction{TargetGroups: []model.WeightedTargetGroup{
					{TargetGroupARN: tgARN, Weight: weight(0)}, {TargetGroupID: tgWebByName, Weight: weight(999)}},
					Stickiness: &model.ForwardStickiness{}}}, paths("/*"))},
			tgs: []string{tgWebByName}},
		{name: "redirect with AWS's keywords kept as written",
			ann: map[string]string{AnnActionsPrefix + "to-docs": `{"type":"redirect","redirectConfig":{
				"protocol":"#{protocol}","host":"docs.example.com","port":"#{port}","path":"/#{path}","query":"a=1",
				"statusCode":"HTTP_302"}}`},
			be: useAnnotation("to-docs"),
			rules: []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionRedirect,
				Redirect: &model.RedirectAction{Protocol: "#{protocol}", Host: "docs.example.com", Port: "#{port}",
					Path: "/#{path}", Query: "a=1", StatusCode: "HTTP_302"}}, paths("/*"))}},
		{name: "fixed response with conditions: header, query, method and source first, then host and path",
			ann: map[string]string{AnnActionsPrefix + "teapot": `{"type":"fixed-response","fixedResponseConfig":{
				"contentType":"text/plain","statusCode":"418","messageBody":"short and stout"}}`,
				AnnConditionsPrefix + "teapot": `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Brew",
				"values":["tea"]}},{"field":"host-header","hostHeaderConfig":{"values":["b.example.com"]}},
				{"field":"query-string","queryStringConfig":{"values":[{"key":"pot","value":"1"}]}}]`},
			be: useAnnotation("teapot"),
			extra: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].Host = hostA
				ing.Spec.Rules[0].HTTP.Paths[0].Path, ing.Spec.Rules[0].HTTP.Paths[0].PathType = "/brew", ptr(networkingv1.PathTypeExact)
			},
			rules: []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionFixedResponse,
				FixedResponse: &model.FixedResponseAction{StatusCode: "418", ContentType: "text/plain",
					MessageBody: "short and stout"}},
				model.RuleCondition{Field: model.ConditionHTTPHeader,
					HTTPHeader: &model.HTTPHeaderCondition{Name: "X-Brew", Values: []string{"tea"}}},
				model.RuleCondition{Field: model.ConditionQueryString,
					QueryString: []model.QueryStringPair{{Key: "pot", Value: "1"}}},
				model.RuleCondition{Field: model.ConditionHostHeader, HostHeader: []string{hostA, hostB}},
				paths("/brew"))}},
		{name: "conditions on a plain Service backend; method and source ip",
			ann: map[string]string{AnnConditionsPrefix + "web": `[{"field":"http-request-method",
				"httpRequestMethodConfig":{"values":["GET","HEAD"]}},{"field":"source-ip","sourceIpConfig":{
				"values":["10.0.0.0/8"]}},{"field":"path-pattern","pathPatternConfig":{"values":["/extra"]}}]`},
			be: backend("web", 80),
			rules: []model.ListenerRule{pathRule(1, "80", tgWeb,
				model.RuleCondition{Field: model.ConditionHTTPRequestMethod, HTTPRequestMethod: []string{"GET", "HEAD"}},
				model.RuleCondition{Field: model.ConditionSourceIP, SourceIP: []string{"10.0.0.0/8"}},
				paths("/*", "/extra"))},
			tgs: []string{tgWeb}},
		{name: "a redirect rule shadows the later rules it covers (LBC's optimizer)",
			ann: map[string]string{AnnActionsPrefix + "moved": `{"type":"redirect","redirectConfig":{
				"host":"new.example.com","statusCode":"HTTP_301"}}`},
			be: useAnnotation("moved"),
			extra: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules = append(ing.Spec.Rules, httpRule("", to(pathOf("/app", networkingv1.PathTypePrefix), "web", 80)))
			},
			rules: []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionRedirect,
				Redirect: &model.RedirectAction{Host: "new.example.com", StatusCode: "HTTP_301"}}, paths("/*"))},
			// The shadowed rule's target group is built all the same, as
			// LBC builds it.
			tgs: []string{tgWeb}},
		{name: "defaultBackend with use-annotation is the listener's default",
			ann: map[string]string{AnnActionsPrefix + "gone": `{"type":"fixed-response","fixedResponseConfig":{
				"statusCode":"410"}}`},
			be: backend("web", 80),
			extra: func(ing *networkingv1.Ingress) {
				d := useAnnotation("gone")
				ing.Spec.DefaultBackend = &d
			},
			rules: []model.ListenerRule{pathRule(1, "80", tgWeb, paths("/*"))},
			tgs:   []string{tgWeb}},
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
			var tgs []string
			for _, tg := range got.TargetGroups {
				tgs = append(tgs, tg.ResourceID)
			}
			if diff := cmp.Diff(tt.tgs, tgs); diff != "" {
				t.Errorf("target groups (-want +got):\n%s", diff)
			}
			if len(got.Bindings) != len(tt.tgs) {
				t.Errorf("%d bindings, want one per target group (%d)", len(got.Bindings), len(tt.tgs))
			}
		})
	}
}

func TestDefaultBackendAction(t *testing.T) {
	got, err := buildWith(map[string]string{AnnActionsPrefix + "gone": `{"type":"fixed-response",
		"fixedResponseConfig":{"statusCode":"410"}}`}, backend("web", 80), func(ing *networkingv1.Ingress) {
		d := useAnnotation("gone")
		ing.Spec.DefaultBackend = &d
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Action{{Type: model.ActionFixedResponse, FixedResponse: &model.FixedResponseAction{StatusCode: "410"}}}
	if diff := cmp.Diff(want, got.Routing[0].DefaultActions); diff != "" {
		t.Errorf("default actions (-want +got):\n%s", diff)
	}
}

// TestSSLRedirectWithCustomActions: with ssl-redirect, the HTTP listener
// gets no rules (its default redirects), and LBC's old actions.ssl-redirect
// rule is left out of the HTTPS listener, where it would loop.
func TestSSLRedirectWithCustomActions(t *testing.T) {
	const sslRedirect = `{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS","Port":"443","StatusCode":"HTTP_301"}}`
	got, err := buildWith(map[string]string{AnnListenPorts: `[{"HTTP":80},{"HTTPS":443}]`,
		AnnCertificateARN: certDefault, AnnSSLRedirect: "443", AnnActionsPrefix + "ssl-redirect": sslRedirect},
		backend("web", 80), func(ing *networkingv1.Ingress) {
			ing.Spec.Rules[0].HTTP.Paths = []networkingv1.HTTPIngressPath{
				{Path: "/*", Backend: useAnnotation("ssl-redirect")}, {Path: "/app", Backend: backend("web", 80)}}
		})
	if err != nil {
		t.Fatal(err)
	}
	if got.Routing[0].Port != 80 || len(got.Routing[0].Rules) != 0 {
		t.Errorf("HTTP:80 routing = %+v, want no rules", got.Routing[0])
	}
	want := []model.ListenerRule{pathRule(1, "443", tgWeb, paths("/app"))}
	if diff := cmp.Diff(want, got.Routing[1].Rules); diff != "" {
		t.Errorf("HTTPS:443 rules (-want +got):\n%s", diff)
	}
	// Without ssl-redirect the HTTP listener keeps the redirect rule, which
	// shadows the rule after it.
	got, err = buildWith(map[string]string{AnnListenPorts: `[{"HTTP":80},{"HTTPS":443}]`,
		AnnCertificateARN: certDefault, AnnActionsPrefix + "ssl-redirect": sslRedirect},
		backend("web", 80), func(ing *networkingv1.Ingress) {
			ing.Spec.Rules[0].HTTP.Paths = []networkingv1.HTTPIngressPath{
				{Path: "/*", Backend: useAnnotation("ssl-redirect")}, {Path: "/app", Backend: backend("web", 80)}}
		})
	if err != nil {
		t.Fatal(err)
	}
	want80 := []model.ListenerRule{ruleWith(1, "80", model.Action{Type: model.ActionRedirect, Redirect: &model.RedirectAction{
		Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301"}}, paths("/*"))}
	if diff := cmp.Diff(want80, got.Routing[0].Rules); diff != "" {
		t.Errorf("HTTP:80 rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got.Routing[1].Rules); diff != "" {
		t.Errorf("HTTPS:443 rules (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCustomActionsRefused(t *testing.T) {
	fwd := func(tgs string) string { return `{"type":"forward","forwardConfig":{"targetGroups":[` + tgs + `]}}` }
	at := func(path string) string { return annCanary + " (" + path + ")" }
	tests := []struct {
		name  string
		value string
		want  error
	}{
		{"not JSON", `{type: forward}`, &AnnotationError{Annotation: annCanary, Value: `{type: forward}`,
			Allowed: `a JSON action object: {"type": "forward", "forwardConfig": {...}}, {"type": "redirect", ` +
				`"redirectConfig": {...}} or {"type": "fixed-response", "fixedResponseConfig": {...}}`}},
		{"type", `{"type":"authenticate-oidc"}`, &FieldError{Field: at("type"), Value: "authenticate-oidc",
			Allowed: "forward, redirect, fixed-response"}},
		{"forward with neither", `{"type":"forward"}`, &FieldError{Field: at("forwardConfig"),
			Allowed: "exactly one of targetGroupARN and forwardConfig"}},
		{"forward with both", `{"type":"forward","targetGroupARN":"` + tgARN + `","forwardConfig":{"targetGroups":[]}}`,
			&FieldError{Field: at("forwardConfig"), Allowed: "exactly one of targetGroupARN and forwardConfig"}},
		{"target group by name", `{"type":"forward","targetGroupName":"blue"}`, &FieldError{Field: at("targetGroupName"),
			Value: "blue", Allowed: "targetGroupARN or forwardConfig (target groups by name are not served yet)"}},
		{"no target groups", fwd(``), &FieldError{Field: at("forwardConfig.targetGroups"), Value: "0 target groups",
			Allowed: "1 to 5 target groups"}},
		{"six target groups", fwd(`{"serviceName":"web","servicePort":80,"weight":1},` +
			`{"serviceName":"web","servicePort":80,"weight":1},{"serviceName":"web","servicePort":80,"weight":1},` +
			`{"serviceName":"web","servicePort":80,"weight":1},{"serviceName":"web","servicePort":80,"weight":1},` +
			`{"serviceName":"web","servicePort":80,"weight":1}`), &FieldError{Field: at("forwardConfig.targetGroups"),
			Value: "6 target groups", Allowed: "1 to 5 target groups"}},
		{"ARN and Service in one tuple", fwd(`{"targetGroupARN":"` + tgARN + `","serviceName":"web","servicePort":80}`),
			&FieldError{Field: at("forwardConfig.targetGroups[0]"), Allowed: "exactly one of targetGroupARN and serviceName"}},
		{"tuple by name", fwd(`{"targetGroupName":"blue"}`), &FieldError{
			Field: at("forwardConfig.targetGroups[0].targetGroupName"), Value: "blue",
			Allowed: "targetGroupARN or serviceName and servicePort (target groups by name are not served yet)"}},
		{"weight too high", fwd(`{"serviceName":"web","servicePort":80,"weight":1000}`), &FieldError{
			Field: at("forwardConfig.targetGroups[0].weight"), Value: "1000", Allowed: "0 to 999"}},
		{"negative weight", fwd(`{"serviceName":"web","servicePort":80,"weight":-1}`), &FieldError{
			Field: at("forwardConfig.targetGroups[0].weight"), Value: "-1", Allowed: "0 to 999"}},
		{"weight missing among several", fwd(`{"serviceName":"web","servicePort":80,"weight":1},` +
			`{"serviceName":"api","servicePort":8080}`), &FieldError{Field: at("forwardConfig.targetGroups[1].weight"),
			Allowed: "a weight from 0 to 999 on every target group when there are several"}},
		{"bad ARN", fwd(`{"targetGroupARN":"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1"}`),
			&FieldError{Field: at("forwardConfig.targetGroups[0].targetGroupARN"),
				Value:   "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
				Allowed: "a target group ARN (arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)"}},
		{"the same target group twice", fwd(`{"targetGroupARN":"` + tgARN + `","weight":1},{"targetGroupARN":"` + tgARN +
			`","weight":2}`), &FieldError{Field: at("forwardConfig.targetGroups[1]"), Value: tgARN,
			Allowed: "each target group once"}},
		{"Service without port", fwd(`{"serviceName":"web"}`), &FieldError{
			Field: at("forwardConfig.targetGroups[0].servicePort"), Allowed: "a port name or number of Service web"}},
		{"missing Service", fwd(`{"serviceName":"gone","servicePort":80}`), &FieldError{
			Field: at("forwardConfig.targetGroups[0].serviceName"), Value: "gone", External: true,
			Allowed: "the name of a Service in namespace shop"}},
		{"missing Service port", fwd(`{"serviceName":"web","servicePort":81}`), &FieldError{
			Field: at("forwardConfig.targetGroups[0].servicePort"), Value: "81", External: true,
			Allowed: "a port of Service shop/web (http=80)"}},
		{"stickiness without duration", `{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupARN":"` + tgARN +
			`"}],"targetGroupStickinessConfig":{"enabled":true}}}`, &FieldError{
			Field:   at("forwardConfig.targetGroupStickinessConfig.durationSeconds"),
			Allowed: "1 to 604800 seconds, required when stickiness is enabled"}},
		{"stickiness too long", `{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupARN":"` + tgARN +
			`"}],"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":604801}}}`, &FieldError{
			Field: at("forwardConfig.targetGroupStickinessConfig.durationSeconds"), Value: "604801",
			Allowed: "1 to 604800 seconds"}},
		{"redirect without config", `{"type":"redirect"}`, &FieldError{Field: at("redirectConfig"),
			Allowed: "a redirectConfig object for type redirect"}},
		{"redirect status", `{"type":"redirect","redirectConfig":{"host":"x","statusCode":"301"}}`, &FieldError{
			Field: at("redirectConfig.statusCode"), Value: "301", Allowed: "HTTP_301, HTTP_302"}},
		{"redirect protocol", `{"type":"redirect","redirectConfig":{"protocol":"https","statusCode":"HTTP_301"}}`,
			&FieldError{Field: at("redirectConfig.protocol"), Value: "https", Allowed: "HTTP, HTTPS, #{protocol}"}},
		{"redirect port", `{"type":"redirect","redirectConfig":{"port":"0","statusCode":"HTTP_301"}}`,
			&FieldError{Field: at("redirectConfig.port"), Value: "0", Allowed: "a port from 1 to 65535, or #{port}"}},
		{"redirect host", `{"type":"redirect","redirectConfig":{"host":"","statusCode":"HTTP_301"}}`,
			&FieldError{Field: at("redirectConfig.host"),
				Allowed: "a host name of 1 to 128 characters (#{host} keeps the request's)"}},
		{"redirect path", `{"type":"redirect","redirectConfig":{"path":"docs","statusCode":"HTTP_301"}}`,
			&FieldError{Field: at("redirectConfig.path"), Value: "docs",
				Allowed: "an absolute path of 1 to 128 characters, starting with / (/#{path} keeps the request's)"}},
		{"redirect query", `{"type":"redirect","redirectConfig":{"host":"x","query":"?a=1","statusCode":"HTTP_301"}}`,
			&FieldError{Field: at("redirectConfig.query"), Value: "?a=1",
				Allowed: "a query of 1 to 128 characters without the leading ? (#{query} keeps the request's)"}},
		{"redirect that changes nothing but the query", `{"type":"redirect","redirectConfig":{"protocol":"#{protocol}",` +
			`"query":"a=1","statusCode":"HTTP_301"}}`, &FieldError{Field: at("redirectConfig"),
			Allowed: "a redirect that changes the protocol, port, host or path (AWS refuses one that would redirect to itself)"}},
		{"fixed response without config", `{"type":"fixed-response"}`, &FieldError{Field: at("fixedResponseConfig"),
			Allowed: "a fixedResponseConfig object for type fixed-response"}},
		{"fixed response status", `{"type":"fixed-response","fixedResponseConfig":{"statusCode":"302"}}`,
			&FieldError{Field: at("fixedResponseConfig.statusCode"), Value: "302",
				Allowed: "an HTTP status code 2XX, 4XX or 5XX"}},
		{"fixed response content type", `{"type":"fixed-response","fixedResponseConfig":{"statusCode":"200",` +
			`"contentType":"text/xml"}}`, &FieldError{Field: at("fixedResponseConfig.contentType"), Value: "text/xml",
			Allowed: "text/plain, text/css, text/html, application/javascript, application/json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildWith(map[string]string{annCanary: tt.value}, useAnnotation("canary"))
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got != nil {
				t.Errorf("Build returned a stack with an error")
			}
		})
	}
}

// TestTargetGroupARNChecked: a target group named by ARN must exist (AWS
// would refuse only the rule, after the rest was written); Query asks for
// the ARNs of every forward action.
func TestTargetGroupARNChecked(t *testing.T) {
	ing := minimalIngress()
	ing.Annotations[annCanary] = `{"type":"forward","forwardConfig":{"targetGroups":[{"targetGroupARN":"` + tgARN +
		`","weight":1},{"targetGroupARN":"` + tgARNOther + `","weight":1}]}}`
	ing.Annotations[AnnActionsPrefix+"simple"] = `{"type":"forward","targetGroupARN":"` + tgARN + `"}`
	ing.Spec.Rules[0].HTTP.Paths[0].Backend = useAnnotation("canary")
	q, err := Query(testConfig(), ing, Class{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{tgARN, tgARNOther}, q.TargetGroupARNs); diff != "" {
		t.Errorf("Query.TargetGroupARNs (-want +got):\n%s", diff)
	}
	_, err = Build(testConfig(), Input{Ingress: ing, Services: testServices(), Facts: Facts{
		Subnets: []string{"subnet-a", "subnet-b"}, TargetGroupsFound: map[string]bool{tgARN: true, tgARNOther: false}}})
	want := &FieldError{Field: annCanary + " (forwardConfig.targetGroups[1].targetGroupARN)", Value: tgARNOther,
		External: true, Allowed: "the ARN of an existing target group"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestConditionsRefused(t *testing.T) {
	const key = AnnConditionsPrefix + "web"
	at := func(path string) string { return key + " (" + path + ")" }
	tests := []struct {
		name  string
		value string
		host  string
		want  error
	}{
		{"not a list", `{"field":"host-header"}`, "", &AnnotationError{Annotation: key, Value: `{"field":"host-header"}`,
			Allowed: `a JSON list of conditions such as [{"field": "http-header", "httpHeaderConfig": ` +
				`{"httpHeaderName": "X-Canary", "values": ["true"]}}]`}},
		{"field", `[{"field":"cookie"}]`, "", &FieldError{Field: at("[0].field"), Value: "cookie",
			Allowed: "host-header, path-pattern, http-header, http-request-method, query-string, source-ip"}},
		{"config missing", `[{"field":"host-header","pathPatternConfig":{"values":["/a"]}}]`, "", &FieldError{
			Field: at("[0].hostHeaderConfig"), Allowed: "a config object holding the condition's values"}},
		{"no values", `[{"field":"path-pattern","pathPatternConfig":{"values":[]}}]`, "", &FieldError{
			Field:   at("[0].pathPatternConfig.values"),
			Allowed: "one or more path patterns (or regular expressions in regexValues)"}},
		{"value too long", `[{"field":"host-header","hostHeaderConfig":{"values":["` + string(make129()) + `"]}}]`, "",
			&FieldError{Field: at("[0].hostHeaderConfig.values[0]"), Value: string(make129()),
				Allowed: "host names of 1 to 128 characters"}},
		{"regex values with the rule's path patterns", `[{"field":"path-pattern","pathPatternConfig":{"regexValues":["^/a$"]}}]`,
			"", &FieldError{Field: key, Value: `path patterns ["/*"] and regexValues ["^/a$"]`,
				Allowed: "path patterns (Prefix or Exact paths, pathPatternConfig.values) or regular expressions " +
					"(ImplementationSpecific paths with " + AnnUseRegexPathMatch + ", pathPatternConfig.regexValues), " +
					"not both in one rule"}},
		{"regex host with the rule's host", `[{"field":"host-header","hostHeaderConfig":{"regexValues":["^b\\..+$"]}}]`,
			hostA, &FieldError{Field: key, Value: `host names ["` + hostA + `"] and regexValues ["^b\\..+$"]`,
				Allowed: "host names (the rule's host, hostHeaderConfig.values) or regular expressions " +
					"(hostHeaderConfig.regexValues), not both in one rule"}},
		{"regex values of a method", `[{"field":"http-request-method","httpRequestMethodConfig":{"regexValues":["G.*"]}}]`,
			"", &FieldError{Field: at("[0].httpRequestMethodConfig.regexValues"), Value: "[G.*]",
				Allowed: "values (regexValues are taken by host-header, path-pattern and http-header conditions only)"}},
		{"broken regex", `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-A","regexValues":["[a-"]}}]`,
			"", &FieldError{Field: at("[0].httpHeaderConfig.regexValues[0]"), Value: "[a-",
				Allowed: "a regular expression of 1 to 128 characters (missing closing ])"}},
		{"regex too long", `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-A","regexValues":["` +
			string(make129()) + `"]}}]`, "", &FieldError{Field: at("[0].httpHeaderConfig.regexValues[0]"),
			Value: string(make129()), Allowed: "a regular expression of 1 to 128 characters"}},
		{"header name", `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X Bad","values":["1"]}}]`, "",
			&FieldError{Field: at("[0].httpHeaderConfig.httpHeaderName"), Value: "X Bad",
				Allowed: "an HTTP header name of 1 to 40 characters"}},
		{"header without values", `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-A"}}]`, "",
			&FieldError{Field: at("[0].httpHeaderConfig.values"),
				Allowed: "one or more header values (or regular expressions in regexValues)"}},
		{"method", `[{"field":"http-request-method","httpRequestMethodConfig":{"values":["get"]}}]`, "",
			&FieldError{Field: at("[0].httpRequestMethodConfig.values[0]"), Value: "get",
				Allowed: "an HTTP method of 1 to 40 characters A-Z, - and _ (GET, POST, ...)"}},
		{"query pair without value", `[{"field":"query-string","queryStringConfig":{"values":[{"key":"a"}]}}]`, "",
			&FieldError{Field: at("[0].queryStringConfig.values[0]"), Value: "a=",
				Allowed: "a value (and an optional key) of 1 to 128 characters"}},
		{"query without pairs", `[{"field":"query-string","queryStringConfig":{}}]`, "",
			&FieldError{Field: at("[0].queryStringConfig.values"),
				Allowed: `one or more {"key": ..., "value": ...} pairs (key optional)`}},
		{"source ip", `[{"field":"source-ip","sourceIpConfig":{"values":["10.0.0.1"]}}]`, "",
			&FieldError{Field: at("[0].sourceIPConfig.values[0]"), Value: "10.0.0.1",
				Allowed: "an IPv4 or IPv6 range in CIDR notation"}},
		{"two method conditions", `[{"field":"http-request-method","httpRequestMethodConfig":{"values":["GET"]}},` +
			`{"field":"http-request-method","httpRequestMethodConfig":{"values":["POST"]}}]`, "",
			&FieldError{Field: key, Value: "http-request-method twice", Allowed: "one http-request-method condition " +
				"per rule (AWS allows several of http-header and query-string only)"}},
		{"six values with the rule's host and path", `[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-A",` +
			`"values":["1","2"]}},{"field":"query-string","queryStringConfig":{"values":[{"value":"x"},{"key":"k","value":"y"}]}}]`,
			hostA, &FieldError{Field: key, Value: "6 condition values", Allowed: "at most 5 condition values per rule " +
				"(host, path patterns and " + key + " make 6; AWS counts each host, path, header value, method, query " +
				"pair and source range)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildWith(map[string]string{key: tt.value}, backend("web", 80), func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].Host = tt.host
			})
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got != nil {
				t.Errorf("Build returned a stack with an error")
			}
		})
	}
}

func make129() []byte {
	b := make([]byte, 129)
	for i := range b {
		b[i] = 'a'
	}
	return b
}

func TestOptimizeRules(t *testing.T) {
	redirect := func(r model.RedirectAction) []model.Action {
		return []model.Action{{Type: model.ActionRedirect, Redirect: &r}}
	}
	forward := []model.Action{model.ForwardTo(tgWeb)}
	toHTTPS := redirect(model.RedirectAction{Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301"})
	tests := []struct {
		name     string
		port     int32
		protocol string
		rules    []rule
		want     []string // fields of the rules kept
	}{
		{"the HTTPS redirect loops on HTTPS:443", 443, ProtocolHTTPS, []rule{
			{field: "redirect", conditions: []model.RuleCondition{paths("/*")}, actions: toHTTPS},
			{field: "app", conditions: []model.RuleCondition{paths("/app")}, actions: forward}}, []string{"app"}},
		{"and shadows the rules after it on HTTP:80", 80, ProtocolHTTP, []rule{
			{field: "redirect", conditions: []model.RuleCondition{paths("/*")}, actions: toHTTPS},
			{field: "app", conditions: []model.RuleCondition{host(hostA), paths("/app")}, actions: forward}},
			[]string{"redirect"}},
		{"to another port it does not loop", 8443, ProtocolHTTPS, []rule{
			{field: "redirect", conditions: []model.RuleCondition{paths("/*")}, actions: toHTTPS}}, []string{"redirect"}},
		{"a redirect to its own host and path loops", 80, ProtocolHTTP, []rule{
			{field: "self", conditions: []model.RuleCondition{host(hostA), paths("/a")},
				actions: redirect(model.RedirectAction{Host: hostA, Path: "/a", StatusCode: "HTTP_301"})}}, nil},
		{"a new query does not loop", 80, ProtocolHTTP, []rule{
			{field: "query", conditions: []model.RuleCondition{paths("/a")},
				actions: redirect(model.RedirectAction{Protocol: "HTTP", Query: "x=1", StatusCode: "HTTP_301"})}},
			[]string{"query"}},
		{"a host-only redirect covers only its hosts", 80, ProtocolHTTP, []rule{
			{field: "moved", conditions: []model.RuleCondition{host(hostA)},
				actions: redirect(model.RedirectAction{Host: hostB, StatusCode: "HTTP_301"})},
			{field: "same host", conditions: []model.RuleCondition{host(hostA), paths("/x")}, actions: forward},
			{field: "other host", conditions: []model.RuleCondition{host(hostB), paths("/x")}, actions: forward},
			{field: "no host", conditions: []model.RuleCondition{paths("/x")}, actions: forward}},
			[]string{"moved", "other host", "no host"}},
		{"a redirect with a header condition covers nothing", 80, ProtocolHTTP, []rule{
			{field: "header", conditions: []model.RuleCondition{{Field: model.ConditionHTTPHeader,
				HTTPHeader: &model.HTTPHeaderCondition{Name: "X-A", Values: []string{"1"}}}, paths("/*")},
				actions: redirect(model.RedirectAction{Host: hostB, StatusCode: "HTTP_301"})},
			{field: "app", conditions: []model.RuleCondition{paths("/app")}, actions: forward}},
			[]string{"header", "app"}},
		{"a forward covers nothing", 80, ProtocolHTTP, []rule{
			{field: "all", conditions: []model.RuleCondition{paths("/*")}, actions: forward},
			{field: "app", conditions: []model.RuleCondition{paths("/app")}, actions: forward}},
			[]string{"all", "app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range optimizeRules(tt.port, tt.protocol, tt.rules) {
				got = append(got, r.field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rules kept (-want +got):\n%s", diff)
			}
		})
	}
}

func TestActionServiceNames(t *testing.T) {
	ing := minimalIngress()
	ing.Annotations[annCanary] = `{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web",` +
		`"servicePort":80,"weight":1},{"serviceName":"api","servicePort":8080,"weight":1}]}}`
	ing.Annotations[AnnActionsPrefix+"broken"] = `{`
	ing.Annotations[AnnActionsPrefix+"other"] = `{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web",` +
		`"servicePort":80}]}}`
	if diff := cmp.Diff([]string{"api", "web"}, ActionServiceNames(ing)); diff != "" {
		t.Errorf("ActionServiceNames (-want +got):\n%s", diff)
	}
}
