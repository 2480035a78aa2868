package ingress

import (
	"slices"
	"strconv"

	"github.com/kelb-dev/kelb/internal/model"
)

// optimizeRules drops rules of one listener as LBC's rule optimizer does,
// so that kelb and LBC want the same rules: a redirect rule that would
// send requests back to this very listener (an actions.ssl-redirect rule
// on the HTTPS listener) is left out, and so is every rule after a
// redirect rule whose host and path conditions cover it (it could never
// match).
func optimizeRules(port int32, protocol string, rules []rule) []rule {
	var out []rule
	for _, r := range rules {
		if redirectsToItself(port, protocol, r) {
			continue
		}
		shadowed := slices.ContainsFunc(out, func(earlier rule) bool {
			return redirectOf(earlier.actions) != nil && coversConditions(earlier.conditions, r.conditions)
		})
		if !shadowed {
			out = append(out, r)
		}
	}
	return out
}

func redirectOf(actions []model.Action) *model.RedirectAction {
	for _, a := range actions {
		if a.Type == model.ActionRedirect {
			return a.Redirect
		}
	}
	return nil
}

// redirectsToItself: every part the redirect sets is the request's own on
// this listener (a host or path counts when it is one the rule matches).
func redirectsToItself(port int32, protocol string, r rule) bool {
	rd := redirectOf(r.actions)
	if rd == nil {
		return false
	}
	hosts, paths, _ := hostsAndPaths(r.conditions)
	same := func(value, keyword string, own ...string) bool {
		return value == "" || value == keyword || slices.Contains(own, value)
	}
	return same(rd.Host, "#{host}", hosts...) && same(rd.Path, "/#{path}", paths...) &&
		same(rd.Port, "#{port}", strconv.Itoa(int(port))) && same(rd.Protocol, "#{protocol}", protocol) &&
		same(rd.Query, "#{query}")
}

// hostsAndPaths are the values of a rule's host-header and path-pattern
// conditions; other reports whether it has conditions of other fields.
func hostsAndPaths(cs []model.RuleCondition) (hosts, paths []string, other bool) {
	for _, c := range cs {
		switch c.Field {
		case model.ConditionHostHeader:
			hosts = append(hosts, c.HostHeader...)
		case model.ConditionPathPattern:
			paths = append(paths, c.PathPattern...)
		default:
			other = true
		}
	}
	return hosts, paths, other
}

// coversConditions: every request the later conditions match, the earlier
// ones match too, judged as LBC judges it (host and path conditions only:
// an earlier rule with any other condition covers nothing).
func coversConditions(earlier, later []model.RuleCondition) bool {
	eh, ep, other := hostsAndPaths(earlier)
	if other {
		return false
	}
	lh, lp, _ := hostsAndPaths(later)
	subset := func(small, big []string) bool {
		for _, v := range small {
			if !slices.Contains(big, v) {
				return false
			}
		}
		return true
	}
	hostsCovered := len(eh) == 0 || (len(lh) > 0 && subset(lh, eh))
	pathsCovered := len(ep) == 0 || slices.Contains(ep, "/*") || (len(lp) > 0 && subset(lp, ep))
	return hostsCovered && pathsCovered
}
