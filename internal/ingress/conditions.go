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
// patterns and the annotation's paths; "/*" when nothing else. AWS's
// limits (condition values per rule, one condition of each field but
// http-header and query-string) are checked on the result.
func ruleConditions(m member, field, host string, patterns []string, serviceName string) ([]model.RuleCondition, error) {
	var hosts []string
	if host != "" {
		hosts = append(hosts, host)
	}
	paths := append([]string(nil), patterns...)
	key := AnnConditionsPrefix + serviceName
	extra, err := annotationConditions(m, key)
	if err != nil {
		return nil, err
	}
	var out []model.RuleCondition
	for _, c := range extra {
		switch c.Field {
		case model.ConditionHostHeader:
			hosts = append(hosts, c.HostHeader...)
		case model.ConditionPathPattern:
			paths = append(paths, c.PathPattern...)
		default:
			out = append(out, c)
		}
	}
	if len(hosts) > 0 {
		out = append(out, model.RuleCondition{Field: model.ConditionHostHeader, HostHeader: hosts})
	}
	if len(paths) > 0 {
		out = append(out, model.RuleCondition{Field: model.ConditionPathPattern, PathPattern: paths})
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
		mc.HostHeader, err = plainValues(key, at+".hostHeaderConfig", c.HostHeaderConfig, "host names")
	case model.ConditionPathPattern:
		mc.PathPattern, err = plainValues(key, at+".pathPatternConfig", c.PathPatternConfig, "path patterns")
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
		var values []string
		values, err = plainValues(key, at+".httpHeaderConfig", &valuesConfig{Values: h.Values, RegexValues: h.RegexValues},
			"header values")
		mc.HTTPHeader = &model.HTTPHeaderCondition{Name: h.HTTPHeaderName, Values: values}
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

// plainValues are the values of a condition config: one or more, each 1 to
// 128 characters. Regular expressions (regexValues) are refused: the test
// emulator cannot carry them, so kelb does not write them yet.
func plainValues(key, at string, cfg *valuesConfig, what string) ([]string, error) {
	if cfg == nil {
		return nil, configError(key, at, "", "a config object holding the condition's values")
	}
	if len(cfg.RegexValues) > 0 {
		return nil, configError(key, at+".regexValues", fmt.Sprint(cfg.RegexValues),
			"values (regular expressions in regexValues are not served yet)")
	}
	if len(cfg.Values) == 0 {
		return nil, configError(key, at+".values", "", "one or more "+what)
	}
	for i, v := range cfg.Values {
		if v == "" || len(v) > maxConditionValueLength {
			return nil, configError(key, fmt.Sprintf("%s.values[%d]", at, i), v,
				fmt.Sprintf("%s of 1 to %d characters", what, maxConditionValueLength))
		}
	}
	return cfg.Values, nil
}
