package deploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// Application load balancer actions and conditions: the model's are turned
// into the API's, and both what kelb sends and what AWS answers are reduced
// to a canonical text, so that rules and default actions are compared by
// meaning (AWS echoes a forward both as TargetGroupArn and ForwardConfig,
// fills the redirect's unset parts with #{...}, and lists a condition's
// values both in Values and in its config). Authenticate actions are in
// albauth.go.

// sdkActions returns the actions in the API's form, target groups of the
// stack resolved to their ARNs (tgARNs by ResourceID).
func sdkActions(actions []model.Action, tgARNs map[string]string) ([]elbtypes.Action, error) {
	out := make([]elbtypes.Action, 0, len(actions))
	for i, a := range actions {
		sa := elbtypes.Action{Type: elbtypes.ActionTypeEnum(a.Type), Order: aws.Int32(int32(i + 1))}
		switch a.Type {
		case model.ActionForward:
			if a.Forward == nil {
				return nil, fmt.Errorf("forward action without target groups")
			}
			fc := &elbtypes.ForwardActionConfig{}
			for _, tg := range a.Forward.TargetGroups {
				arn := tg.TargetGroupARN
				if tg.TargetGroupID != "" {
					if arn = tgARNs[tg.TargetGroupID]; arn == "" {
						return nil, fmt.Errorf("forward action: no target group %s", tg.TargetGroupID)
					}
				}
				fc.TargetGroups = append(fc.TargetGroups, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(arn),
					Weight: tg.Weight})
			}
			if s := a.Forward.Stickiness; s != nil {
				fc.TargetGroupStickinessConfig = &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(s.Enabled)}
				if s.Enabled {
					fc.TargetGroupStickinessConfig.DurationSeconds = aws.Int32(s.DurationSeconds)
				}
			}
			sa.ForwardConfig = fc
		case model.ActionRedirect:
			r := a.Redirect
			if r == nil {
				return nil, fmt.Errorf("redirect action without its config")
			}
			sa.RedirectConfig = &elbtypes.RedirectActionConfig{StatusCode: elbtypes.RedirectActionStatusCodeEnum(r.StatusCode),
				Protocol: optional(r.Protocol), Host: optional(r.Host), Port: optional(r.Port), Path: optional(r.Path),
				Query: optional(r.Query)}
		case model.ActionFixedResponse:
			f := a.FixedResponse
			if f == nil {
				return nil, fmt.Errorf("fixed-response action without its config")
			}
			sa.FixedResponseConfig = &elbtypes.FixedResponseActionConfig{StatusCode: aws.String(f.StatusCode),
				ContentType: optional(f.ContentType), MessageBody: optional(f.MessageBody)}
		case model.ActionAuthenticateCognito:
			if a.AuthenticateCognito == nil {
				return nil, fmt.Errorf("authenticate-cognito action without its config")
			}
			sa.AuthenticateCognitoConfig = sdkAuthenticateCognito(a.AuthenticateCognito)
		case model.ActionAuthenticateOIDC:
			if a.AuthenticateOIDC == nil {
				return nil, fmt.Errorf("authenticate-oidc action without its config")
			}
			sa.AuthenticateOidcConfig = sdkAuthenticateOIDC(a.AuthenticateOIDC)
		default:
			return nil, fmt.Errorf("action type %q is not supported", a.Type)
		}
		out = append(out, sa)
	}
	return out, nil
}

// sdkConditions returns the conditions in the API's form (configs only, as
// LBC writes them).
func sdkConditions(cs []model.RuleCondition) []elbtypes.RuleCondition {
	out := make([]elbtypes.RuleCondition, 0, len(cs))
	for _, c := range cs {
		sc := elbtypes.RuleCondition{Field: aws.String(c.Field)}
		switch c.Field {
		case model.ConditionHostHeader:
			sc.HostHeaderConfig = &elbtypes.HostHeaderConditionConfig{Values: c.HostHeader,
				RegexValues: c.HostHeaderRegex}
		case model.ConditionPathPattern:
			sc.PathPatternConfig = &elbtypes.PathPatternConditionConfig{Values: c.PathPattern,
				RegexValues: c.PathPatternRegex}
		case model.ConditionHTTPHeader:
			if c.HTTPHeader != nil {
				sc.HttpHeaderConfig = &elbtypes.HttpHeaderConditionConfig{HttpHeaderName: aws.String(c.HTTPHeader.Name),
					Values: c.HTTPHeader.Values, RegexValues: c.HTTPHeader.RegexValues}
			}
		case model.ConditionHTTPRequestMethod:
			sc.HttpRequestMethodConfig = &elbtypes.HttpRequestMethodConditionConfig{Values: c.HTTPRequestMethod}
		case model.ConditionQueryString:
			qc := &elbtypes.QueryStringConditionConfig{}
			for _, kv := range c.QueryString {
				qc.Values = append(qc.Values, elbtypes.QueryStringKeyValuePair{Key: optional(kv.Key), Value: aws.String(kv.Value)})
			}
			sc.QueryStringConfig = qc
		case model.ConditionSourceIP:
			sc.SourceIpConfig = &elbtypes.SourceIpConditionConfig{Values: c.SourceIP}
		}
		out = append(out, sc)
	}
	return out
}

// sdkTransforms returns a rule's transforms in the API's form; nil for
// none.
func sdkTransforms(ts []model.RuleTransform) []elbtypes.RuleTransform {
	var out []elbtypes.RuleTransform
	for _, t := range ts {
		rewrites := make([]elbtypes.RewriteConfig, 0, len(t.Rewrites))
		for _, r := range t.Rewrites {
			rewrites = append(rewrites, elbtypes.RewriteConfig{Regex: aws.String(r.Regex), Replace: aws.String(r.Replace)})
		}
		st := elbtypes.RuleTransform{Type: elbtypes.TransformTypeEnum(t.Type)}
		switch t.Type {
		case model.TransformHostHeaderRewrite:
			st.HostHeaderRewriteConfig = &elbtypes.HostHeaderRewriteConfig{Rewrites: rewrites}
		case model.TransformURLRewrite:
			st.UrlRewriteConfig = &elbtypes.UrlRewriteConfig{Rewrites: rewrites}
		}
		out = append(out, st)
	}
	return out
}

// canonicalTransforms is the meaning of a rule's transforms as text: each
// type's rewrites in order (AWS allows one transform per type, so the
// order of transforms does not matter).
func canonicalTransforms(ts []elbtypes.RuleTransform) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		var rewrites []elbtypes.RewriteConfig
		switch {
		case t.HostHeaderRewriteConfig != nil:
			rewrites = t.HostHeaderRewriteConfig.Rewrites
		case t.UrlRewriteConfig != nil:
			rewrites = t.UrlRewriteConfig.Rewrites
		}
		part := string(t.Type)
		for _, r := range rewrites {
			part += fmt.Sprintf(" %q=>%q", aws.ToString(r.Regex), aws.ToString(r.Replace))
		}
		parts = append(parts, part)
	}
	slices.Sort(parts)
	return strings.Join(parts, " ; ")
}

// canonicalActions is the meaning of actions as text: equal texts do the
// same thing. The order of actions is AWS's Order (or the list's).
func canonicalActions(actions []elbtypes.Action) string {
	sorted := slices.Clone(actions)
	slices.SortStableFunc(sorted, func(a, b elbtypes.Action) int {
		return int(aws.ToInt32(a.Order)) - int(aws.ToInt32(b.Order))
	})
	parts := make([]string, 0, len(sorted))
	for _, a := range sorted {
		parts = append(parts, canonicalAction(a))
	}
	return strings.Join(parts, " ; ")
}

func canonicalAction(a elbtypes.Action) string {
	switch a.Type {
	case elbtypes.ActionTypeEnumForward:
		type weighted struct {
			arn    string
			weight int32
		}
		var tgs []weighted
		sticky := "off"
		if fc := a.ForwardConfig; fc != nil {
			for _, tg := range fc.TargetGroups {
				w := int32(1) // AWS's default weight
				if tg.Weight != nil {
					w = *tg.Weight
				}
				tgs = append(tgs, weighted{aws.ToString(tg.TargetGroupArn), w})
			}
			if sc := fc.TargetGroupStickinessConfig; sc != nil && aws.ToBool(sc.Enabled) {
				sticky = fmt.Sprintf("on/%d", aws.ToInt32(sc.DurationSeconds))
			}
		}
		if len(tgs) == 0 && a.TargetGroupArn != nil {
			tgs = append(tgs, weighted{aws.ToString(a.TargetGroupArn), 1})
		}
		// One target group gets everything whatever its weight, unless 0.
		if len(tgs) == 1 && tgs[0].weight > 0 {
			tgs[0].weight = 1
		}
		slices.SortFunc(tgs, func(x, y weighted) int { return strings.Compare(x.arn, y.arn) })
		var b strings.Builder
		b.WriteString("forward")
		for _, tg := range tgs {
			fmt.Fprintf(&b, " %s=%d", tg.arn, tg.weight)
		}
		return b.String() + " sticky=" + sticky
	case elbtypes.ActionTypeEnumRedirect:
		r := a.RedirectConfig
		if r == nil {
			return "redirect ?"
		}
		or := func(p *string, def string) string {
			if v := aws.ToString(p); v != "" {
				return v
			}
			return def
		}
		return fmt.Sprintf("redirect %s://%s:%s%s?%s %s", or(r.Protocol, "#{protocol}"), or(r.Host, "#{host}"),
			or(r.Port, "#{port}"), or(r.Path, "/#{path}"), or(r.Query, "#{query}"), r.StatusCode)
	case elbtypes.ActionTypeEnumFixedResponse:
		f := a.FixedResponseConfig
		if f == nil {
			return "fixed-response ?"
		}
		return fmt.Sprintf("fixed-response %s %q %q", aws.ToString(f.StatusCode), aws.ToString(f.ContentType),
			aws.ToString(f.MessageBody))
	}
	if s, ok := canonicalAuthAction(a); ok {
		return s
	}
	// kelb writes no other action: such an action never equals a wanted
	// one.
	return string(a.Type) + " (not written by kelb)"
}

// canonicalConditions is the meaning of a rule's conditions as text: the
// order of conditions and of each one's values does not matter.
func canonicalConditions(cs []elbtypes.RuleCondition) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, canonicalCondition(c))
	}
	slices.Sort(parts)
	return strings.Join(parts, " & ")
}

func canonicalCondition(c elbtypes.RuleCondition) string {
	field := aws.ToString(c.Field)
	values := c.Values // the legacy form, used by host-header and path-pattern
	var regex []string // regular expressions, compared as written
	switch field {
	case model.ConditionHostHeader:
		if c.HostHeaderConfig != nil && len(c.HostHeaderConfig.Values) > 0 {
			values = c.HostHeaderConfig.Values
		}
		if c.HostHeaderConfig != nil {
			regex = c.HostHeaderConfig.RegexValues
		}
		// Host names match without regard to case.
		values = mapStrings(values, strings.ToLower)
	case model.ConditionPathPattern:
		if c.PathPatternConfig != nil && len(c.PathPatternConfig.Values) > 0 {
			values = c.PathPatternConfig.Values
		}
		if c.PathPatternConfig != nil {
			regex = c.PathPatternConfig.RegexValues
		}
	case model.ConditionHTTPHeader:
		if h := c.HttpHeaderConfig; h != nil {
			field += ":" + strings.ToLower(aws.ToString(h.HttpHeaderName))
			values, regex = h.Values, h.RegexValues
		}
	case model.ConditionHTTPRequestMethod:
		if c.HttpRequestMethodConfig != nil {
			values = c.HttpRequestMethodConfig.Values
		}
	case model.ConditionQueryString:
		values = nil
		if q := c.QueryStringConfig; q != nil {
			for _, kv := range q.Values {
				values = append(values, fmt.Sprintf("%q=%q", aws.ToString(kv.Key), aws.ToString(kv.Value)))
			}
		}
	case model.ConditionSourceIP:
		if c.SourceIpConfig != nil {
			values = c.SourceIpConfig.Values
		}
	}
	values = slices.Clone(values)
	slices.Sort(values)
	values = slices.Compact(values)
	out := field + "[" + strings.Join(values, ",") + "]"
	if len(regex) > 0 {
		regex = slices.Clone(regex)
		slices.Sort(regex)
		out += fmt.Sprintf("~%q", slices.Compact(regex))
	}
	return out
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
