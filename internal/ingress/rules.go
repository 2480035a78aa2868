package ingress

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// AWS's limits on listener rules, checked before any call.
const (
	// MaxRulesPerListener is AWS's default quota of rules per listener
	// (the default rule not counted).
	MaxRulesPerListener = 100
	// MaxConditionValues is the most condition values one rule may hold.
	MaxConditionValues = 5
)

// rule is a listener rule before its priority is known.
type rule struct {
	field      string // the Ingress path it comes from, for errors
	conditions []model.RuleCondition
	actions    []model.Action
	transforms []model.RuleTransform
	// tags are the member's tags (without --default-tags).
	tags map[string]string
	// ports are the listeners the rule goes on (nil: every listener).
	ports map[int32]string
	// kept, when set, holds the place of an excluded member's rules.
	kept string
	// auth is the authenticate action that goes before actions on HTTPS
	// listeners (nil: none).
	auth *model.Action
}

// ingressRules turns the Ingress's rules into listener rules in LBC's
// order: the Ingress rules in spec order, and within each the paths sorted
// (Exact, then Prefix longest first, then ImplementationSpecific). Each
// path gets one rule: its conditions (ruleConditions: the rule's host, the
// path's patterns or, with use-regex-path-match, regular expression, and
// the backend's conditions.<service> annotation), its backend's actions (a
// forward to its target group, or the actions.<service> annotation's
// action for port use-annotation) and its backend's transforms.<service>.
func (b *builder) ingressRules(m member) ([]rule, error) {
	useRegex, err := service.Annotations(m.ing.Annotations).Bool(AnnUseRegexPathMatch, false)
	if err != nil {
		return nil, err
	}
	var out []rule
	for i, r := range m.ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		ruleField := fmt.Sprintf("spec.rules[%d]", i)
		for _, p := range sortPaths(ruleField, r.HTTP.Paths) {
			patterns, err := pathPatterns(p.field, p.path, useRegex)
			if err != nil {
				return nil, err
			}
			serviceName := ""
			if p.path.Backend.Service != nil {
				serviceName = p.path.Backend.Service.Name
			}
			conditions, err := ruleConditions(m, p.field, r.Host, patterns, serviceName)
			if err != nil {
				return nil, err
			}
			actions, err := b.backendActions(m, p.field+".backend", p.path.Backend)
			if err != nil {
				return nil, err
			}
			auth, err := b.httpsAuth(m, p.path.Backend)
			if err != nil {
				return nil, err
			}
			transforms, err := ruleTransforms(m, serviceName)
			if err != nil {
				return nil, err
			}
			out = append(out, rule{field: p.field, conditions: conditions, actions: actions, transforms: transforms,
				tags: m.userTags, ports: m.ports, auth: auth})
		}
	}
	return out, nil
}

func conditionValues(cs []model.RuleCondition) int {
	n := 0
	for _, c := range cs {
		n += c.ValueCount()
	}
	return n
}

// listenerRules numbers the rules of one listener from priority 1, as LBC
// does, after LBC's rule optimizer (optimizeRules), and tags each as LBC
// does: the Ingress's tags and the tracking tags with resource
// "<port>:<priority>".
func (b *builder) listenerRules(port int32, protocol string, rules []rule) ([]model.ListenerRule, error) {
	rules = optimizeRules(port, protocol, rules)
	if len(rules) > MaxRulesPerListener {
		return nil, &FieldError{Field: "spec.rules", Value: strconv.Itoa(len(rules)) + " paths",
			Allowed: fmt.Sprintf("at most %d paths per listener (AWS's quota of rules per listener)", MaxRulesPerListener)}
	}
	out := make([]model.ListenerRule, 0, len(rules))
	for _, r := range rules {
		if r.ports != nil && r.ports[port] == "" {
			continue
		}
		priority := int32(len(out) + 1)
		resource := fmt.Sprintf("%d:%d", port, priority)
		actions := r.actions
		if r.auth != nil && protocol == ProtocolHTTPS {
			actions = append([]model.Action{*r.auth}, actions...)
		}
		out = append(out, model.ListenerRule{Priority: priority, Conditions: r.conditions, Actions: actions,
			Transforms: r.transforms, Tags: model.MergeTags(withDefaultTags(b.cfg, r.tags), b.tracking(resource)),
			KeptMember: r.kept})
	}
	return out, nil
}

// defaultActions are a listener's default: the redirect to HTTPS on HTTP
// listeners when ssl-redirect is set, else the defaultBackend's forward,
// else LBC's 404 fixed response.
func (b *builder) defaultActions(protocol string) ([]model.Action, error) {
	if b.listeners.sslRedirect != 0 && protocol == ProtocolHTTP {
		return []model.Action{sslRedirectAction(b.listeners.sslRedirect)}, nil
	}
	var with []member
	for _, m := range b.members {
		if m.ing.Spec.DefaultBackend != nil {
			with = append(with, m)
		}
	}
	switch len(with) {
	case 0:
		return []model.Action{notFoundAction()}, nil
	case 1:
		// Conditions do not apply to the default; a use-annotation
		// backend's action does, as in LBC, and so does its
		// authentication on HTTPS.
		m, be := with[0], *with[0].ing.Spec.DefaultBackend
		actions, err := b.backendActions(m, "spec.defaultBackend", be)
		if err != nil || protocol != ProtocolHTTPS {
			return actions, err
		}
		auth, err := b.httpsAuth(m, be)
		if err != nil || auth == nil {
			return actions, err
		}
		return append([]model.Action{*auth}, actions...), nil
	}
	var names []string
	for _, m := range with {
		names = append(names, m.ing.Namespace+"/"+m.ing.Name)
	}
	return nil, &FieldError{Field: "spec.defaultBackend", Value: strings.Join(names, ", "),
		Allowed: "a defaultBackend on at most one Ingress of the group"}
}

// notFoundAction is LBC's default action without a defaultBackend.
func notFoundAction() model.Action {
	return model.Action{Type: model.ActionFixedResponse,
		FixedResponse: &model.FixedResponseAction{StatusCode: "404", ContentType: "text/plain"}}
}

// sslRedirectAction is LBC's redirect of HTTP listeners: to HTTPS on the
// given port, host, path and query kept, permanent.
func sslRedirectAction(port int32) model.Action {
	return model.Action{Type: model.ActionRedirect, Redirect: &model.RedirectAction{
		Protocol: ProtocolHTTPS, Port: strconv.Itoa(int(port)), StatusCode: "HTTP_301"}}
}
