package ingress

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"

	"github.com/kelb-dev/kelb/internal/model"
)

// AWS's limits on condition values, checked before any call.
const (
	maxConditionValueLength = 128
	maxHeaderNameLength     = 40
)

var (
	httpMethodPattern = regexp.MustCompile(`^[A-Z_-]{1,40}$`)
	// headerNamePattern is an HTTP token (RFC 9110).
	headerNamePattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// ruleConditions are the conditions of one path's rule, combined as LBC
// combines them: the conditions.<service> annotation's http-header,
// http-request-method, query-string and source-ip conditions in their
// order, then one host-header condition with the rule's host and the
// annotation's hosts, then one path-pattern condition with the path's
// patterns and the annotation's paths; "/*" when nothing else. Host and
// path conditions hold values or regular expressions (the path's, with
// use-regex-path-match, and the annotation's regexValues), never both. AWS's
// limits (condition values per rule, one condition of each field but
// http-header and query-string) are checked on the result.
func ruleConditions(m member, field, host string, patterns pathMatch, serviceName string) ([]model.RuleCondition, error) {
	var hosts, hostRegex []string
	if host != "" {
		hosts = append(hosts, host)
	}
	paths := append([]string(nil), patterns.values...)
	pathRegex := append([]string(nil), patterns.regex...)
	key := AnnConditionsPrefix + serviceName
	extra, err := annotationConditions(m, key)
	if err != nil {
		return nil, err
	}
	var out []model.RuleCondition
	for _, c := range extra {
		switch c.Field {
		case model.ConditionHostHeader:
			hosts, hostRegex = append(hosts, c.HostHeader...), append(hostRegex, c.HostHeaderRegex...)
		case model.ConditionPathPattern:
			paths, pathRegex = append(paths, c.PathPattern...), append(pathRegex, c.PathPatternRegex...)
		default:
			out = append(out, c)
		}
	}
	// AWS takes a host or path condition of values or of regular
	// expressions, not both; LBC refuses the mix before its call too.
	if len(hosts) > 0 && len(hostRegex) > 0 {
		return nil, &FieldError{Field: key, Value: fmt.Sprintf("host names %q and regexValues %q", hosts, hostRegex),
			Allowed: "host names (the rule's host, hostHeaderConfig.values) or regular expressions " +
				"(hostHeaderConfig.regexValues), not both in one rule"}
	}
	if len(paths) > 0 && len(pathRegex) > 0 {
		// One Ingress path gives values or expressions, so the annotation
		// is always part of the mix.
		return nil, &FieldError{Field: key, Value: fmt.Sprintf("path patterns %q and regexValues %q", paths, pathRegex),
			Allowed: "path patterns (Prefix or Exact paths, pathPatternConfig.values) or regular expressions " +
				"(ImplementationSpecific paths with " + AnnUseRegexPathMatch + ", pathPatternConfig.regexValues), not both " +
				"in one rule"}
	}
	switch {
	case len(hosts) > 0:
		out = append(out, model.RuleCondition{Field: model.ConditionHostHeader, HostHeader: hosts})
	case len(hostRegex) > 0:
		out = append(out, model.RuleCondition{Field: model.ConditionHostHeader, HostHeaderRegex: hostRegex})
	}
	switch {
	case len(paths) > 0:
		out = append(out, model.RuleCondition{Field: model.ConditionPathPattern, PathPattern: paths})
	case len(pathRegex) > 0:
		out = append(out, model.RuleCondition{Field: model.ConditionPathPattern, PathPatternRegex: pathRegex})
	}
	if len(out) == 0 {
		out = append(out, model.RuleCondition{Field: model.ConditionPathPattern, PathPattern: []string{"/*"}})
	}
	if err := checkConditionLimits(out, field, key, len(extra) > 0); err != nil {
		return nil, err
	}
	return out, nil
}

// checkConditionLimits refuses what AWS would: more than 5 condition values
// in the rule, or two conditions of a field AWS allows once.
func checkConditionLimits(cs []model.RuleCondition, field, key string, annotated bool) error {
	where, source := field, "host and path patterns"
	if annotated {
		where, source = key, "host, path patterns and "+key
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if c.Field != model.ConditionHTTPHeader && c.Field != model.ConditionQueryString {
			if seen[c.Field] {
				return &FieldError{Field: where, Value: c.Field + " twice",
					Allowed: "one " + c.Field + " condition per rule (AWS allows several of http-header and " +
						"query-string only)"}
			}
			seen[c.Field] = true
		}
	}
	if n := conditionValues(cs); n > MaxConditionValues {
		return &FieldError{Field: where, Value: fmt.Sprintf("%d condition values", n),
			Allowed: fmt.Sprintf("at most %d condition values per rule (%s make %d; AWS counts each host, path, "+
				"header value, method, query pair and source range)", MaxConditionValues, source, n)}
	}
	return nil
}

// annotationConditions reads and checks the conditions.<service>
// annotation; none when it is not set.
func annotationConditions(m member, key string) ([]model.RuleCondition, error) {
	raw, ok := m.ing.Annotations[key]
	if !ok {
		return nil, nil
	}
	var cfgs []conditionConfig
	if err := json.Unmarshal([]byte(raw), &cfgs); err != nil {
		return nil, &AnnotationError{Annotation: key, Value: raw,
			Allowed: `a JSON list of conditions such as [{"field": "http-header", "httpHeaderConfig": ` +
				`{"httpHeaderName": "X-Canary", "values": ["true"]}}]`}
	}
	out := make([]model.RuleCondition, 0, len(cfgs))
	for i, c := range cfgs {
		mc, err := modelCondition(key, fmt.Sprintf("[%d]", i), c)
		if err != nil {
			return nil, err
		}
		out = append(out, mc)
	}
	return out, nil
}

func modelCondition(key, at string, c conditionConfig) (model.RuleCondition, error) {
	mc := model.RuleCondition{Field: c.Field}
	var err error
	switch c.Field {
	case model.ConditionHostHeader:
		mc.HostHeader, mc.HostHeaderRegex, err = matchValues(key, at+".hostHeaderConfig", c.HostHeaderConfig, "host names")
	case model.ConditionPathPattern:
		mc.PathPattern, mc.PathPatternRegex, err = matchValues(key, at+".pathPatternConfig", c.PathPatternConfig,
			"path patterns")
	case model.ConditionHTTPRequestMethod:
		mc.HTTPRequestMethod, err = plainValues(key, at+".httpRequestMethodConfig", c.HTTPRequestMethodConfig,
			"methods")
		for i, v := range mc.HTTPRequestMethod {
			if err == nil && !httpMethodPattern.MatchString(v) {
				err = configError(key, fmt.Sprintf("%s.httpRequestMethodConfig.values[%d]", at, i), v,
					"an HTTP method of 1 to 40 characters A-Z, - and _ (GET, POST, ...)")
			}
		}
	case model.ConditionSourceIP:
		mc.SourceIP, err = plainValues(key, at+".sourceIPConfig", c.SourceIPConfig, "CIDRs")
		for i, v := range mc.SourceIP {
			if _, perr := netip.ParsePrefix(v); err == nil && perr != nil {
				err = configError(key, fmt.Sprintf("%s.sourceIPConfig.values[%d]", at, i), v,
					"an IPv4 or IPv6 range in CIDR notation")
			}
		}
	case model.ConditionHTTPHeader:
		h := c.HTTPHeaderConfig
		if h == nil {
			return mc, configError(key, at+".httpHeaderConfig", "", "an httpHeaderConfig object for field http-header")
		}
		if !headerNamePattern.MatchString(h.HTTPHeaderName) || len(h.HTTPHeaderName) > maxHeaderNameLength {
			return mc, configError(key, at+".httpHeaderConfig.httpHeaderName", h.HTTPHeaderName,
				fmt.Sprintf("an HTTP header name of 1 to %d characters", maxHeaderNameLength))
		}
		var values, regex []string
		values, regex, err = matchValues(key, at+".httpHeaderConfig", &valuesConfig{Values: h.Values,
			RegexValues: h.RegexValues}, "header values")
		mc.HTTPHeader = &model.HTTPHeaderCondition{Name: h.HTTPHeaderName, Values: values, RegexValues: regex}
	case model.ConditionQueryString:
		q := c.QueryStringConfig
		if q == nil || len(q.Values) == 0 {
			return mc, configError(key, at+".queryStringConfig.values", "",
				"one or more {\"key\": ..., \"value\": ...} pairs (key optional)")
		}
		for i, kv := range q.Values {
			p := model.QueryStringPair{Value: kv.Value}
			if kv.Key != nil {
				p.Key = *kv.Key
			}
			if kv.Value == "" || len(kv.Value) > maxConditionValueLength || len(p.Key) > maxConditionValueLength ||
				(kv.Key != nil && p.Key == "") {
				return mc, configError(key, fmt.Sprintf("%s.queryStringConfig.values[%d]", at, i),
					p.Key+"="+kv.Value, fmt.Sprintf("a value (and an optional key) of 1 to %d characters",
						maxConditionValueLength))
			}
			mc.QueryString = append(mc.QueryString, p)
		}
	default:
		return mc, configError(key, at+".field", c.Field,
			"host-header, path-pattern, http-header, http-request-method, query-string, source-ip")
	}
	return mc, err
}

// matchValues are the values and regular expressions of a host-header,
// path-pattern or http-header condition config (AWS's RegexValues): one or
// more in all, each value 1 to 128 characters, each expression a valid one
// of 1 to 128 characters (regexError).
func matchValues(key, at string, cfg *valuesConfig, what string) ([]string, []string, error) {
	if cfg == nil {
		return nil, nil, configError(key, at, "", "a config object holding the condition's values")
	}
	if len(cfg.Values) == 0 && len(cfg.RegexValues) == 0 {
		return nil, nil, configError(key, at+".values", "", "one or more "+what+" (or regular expressions in regexValues)")
	}
	values, err := checkedValues(key, at, cfg.Values, what)
	if err != nil {
		return nil, nil, err
	}
	for i, v := range cfg.RegexValues {
		if msg := regexError(v, maxConditionValueLength); msg != "" {
			return nil, nil, configError(key, fmt.Sprintf("%s.regexValues[%d]", at, i), v, msg)
		}
	}
	return values, cfg.RegexValues, nil
}

// plainValues are the values of a condition config that takes no regular
// expressions (AWS has no RegexValues for http-request-method and
// source-ip): one or more, each 1 to 128 characters.
func plainValues(key, at string, cfg *valuesConfig, what string) ([]string, error) {
	if cfg == nil {
		return nil, configError(key, at, "", "a config object holding the condition's values")
	}
	if len(cfg.RegexValues) > 0 {
		return nil, configError(key, at+".regexValues", fmt.Sprint(cfg.RegexValues),
			"values (regexValues are taken by host-header, path-pattern and http-header conditions only)")
	}
	if len(cfg.Values) == 0 {
		return nil, configError(key, at+".values", "", "one or more "+what)
	}
	return checkedValues(key, at, cfg.Values, what)
}

func checkedValues(key, at string, values []string, what string) ([]string, error) {
	for i, v := range values {
		if v == "" || len(v) > maxConditionValueLength {
			return nil, configError(key, fmt.Sprintf("%s.values[%d]", at, i), v,
				fmt.Sprintf("%s of 1 to %d characters", what, maxConditionValueLength))
		}
	}
	return values, nil
}
