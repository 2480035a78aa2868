package awsproxy

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
)

// rulePriority is one pair of a SetRulePriorities request.
type rulePriority struct {
	arn      string
	priority int
}

func requestRulePriorities(params url.Values) []rulePriority {
	var out []rulePriority
	for i := 1; ; i++ {
		p := fmt.Sprintf("RulePriorities.member.%d.", i)
		arn, prio := params.Get(p+"RuleArn"), params.Get(p+"Priority")
		if arn == "" && prio == "" {
			return out
		}
		n, err := strconv.Atoi(prio)
		if err != nil {
			n = -1 // left to the emulator
		}
		out = append(out, rulePriority{arn: arn, priority: n})
	}
}

// setRulePriorities serves SetRulePriorities as AWS does: the priorities
// are checked against the state after the whole call, so rules may swap or
// rotate their priorities in one call. moto checks each new priority
// against the state before the call; the proxy therefore moves the rules
// first to free priorities at the top of the range, then to their final
// ones, in two calls to the emulator, and answers with the second.
// Anything it cannot judge (unknown rules, repeated priorities) goes to the
// emulator as it is, for its answer.
func setRulePriorities(next Handler, r *Request) *Response {
	pairs := requestRulePriorities(r.Params)
	wanted := map[string]map[int]bool{} // listener -> priorities asked for
	moving := map[string]bool{}
	for i, p := range pairs {
		if refusal := refusePriority(r, fmt.Sprintf("rulePriorities.%d.member.priority", i+1),
			strconv.Itoa(p.priority)); p.priority >= 0 && refusal != nil {
			return refusal
		}
		l := listenerOfRule(p.arn)
		if wanted[l] == nil {
			wanted[l] = map[int]bool{}
		}
		if wanted[l][p.priority] || moving[p.arn] || p.priority < 0 {
			return next(r)
		}
		wanted[l][p.priority] = true
		moving[p.arn] = true
	}
	held := map[string]map[int]string{} // listener -> priority -> rule now there
	for l := range wanted {
		rules, ok := listenerRules(next, r, l)
		if !ok {
			return next(r)
		}
		held[l] = map[int]string{}
		for _, rule := range rules {
			held[l][rule.priority] = rule.arn
		}
	}
	swap := false
	for _, p := range pairs {
		l := listenerOfRule(p.arn)
		if !slices.Contains(mapValues(held[l]), p.arn) {
			return next(r) // RuleNotFound from the emulator
		}
		holder, taken := held[l][p.priority]
		switch {
		case taken && !moving[holder]:
			return errorResponse(r, http.StatusBadRequest, "PriorityInUse", "The specified priority is in use.")
		case taken && holder != p.arn:
			swap = true
		}
	}
	if !swap {
		return next(r)
	}
	aside := url.Values{"Action": {"SetRulePriorities"}, "Version": {"2015-12-01"}}
	free := map[string]int{}
	for i, p := range pairs {
		l := listenerOfRule(p.arn)
		if free[l] == 0 {
			free[l] = MaxRulePriority
		}
		for held[l][free[l]] != "" || wanted[l][free[l]] {
			free[l]--
		}
		aside.Set(fmt.Sprintf("RulePriorities.member.%d.RuleArn", i+1), p.arn)
		aside.Set(fmt.Sprintf("RulePriorities.member.%d.Priority", i+1), strconv.Itoa(free[l]))
		free[l]--
	}
	if resp := next(subRequest(r, "elasticloadbalancing", aside)); resp.Status != http.StatusOK {
		return resp
	}
	return next(r)
}

func mapValues(m map[int]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// listedRule is a rule of a DescribeRules answer: its ARN, its priority
// (math.MaxInt for the default rule) and its member element.
type listedRule struct {
	arn      string
	priority int
	member   []byte
}

var (
	ruleARNElem    = regexp.MustCompile(`<RuleArn>([^<]+)</RuleArn>`)
	priorityElem   = regexp.MustCompile(`<Priority>([^<]+)</Priority>`)
	nextMarkerElem = regexp.MustCompile(`<NextMarker>[^<]*</NextMarker>`)
)

// listenerRules reads every rule of a listener from the emulator.
func listenerRules(next Handler, r *Request, listener string) ([]listedRule, bool) {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeRules"},
		"Version": {"2015-12-01"}, "ListenerArn": {listener}, "PageSize": {strconv.Itoa(allRules)}}))
	if resp.Status != http.StatusOK {
		return nil, false
	}
	_, rules, _, ok := splitRules(resp.Body)
	return rules, ok
}

// splitRules cuts a DescribeRules answer into the text before its rules,
// the rules and the text after them.
func splitRules(body []byte) (head []byte, rules []listedRule, tail []byte, ok bool) {
	start := bytes.Index(body, []byte("<Rules>"))
	end := bytes.LastIndex(body, []byte("</Rules>"))
	if start < 0 || end < start {
		if bytes.Contains(body, []byte("<Rules/>")) {
			return body, nil, nil, true
		}
		return nil, nil, nil, false
	}
	inner := body[start+len("<Rules>") : end]
	for _, m := range topLevelMembers(inner) {
		rule := listedRule{priority: math.MaxInt, member: m}
		if a := ruleARNElem.FindSubmatch(m); a != nil {
			rule.arn = string(a[1])
		}
		if p := priorityElem.FindSubmatch(m); p != nil {
			if n, err := strconv.Atoi(string(p[1])); err == nil {
				rule.priority = n
			}
		}
		rules = append(rules, rule)
	}
	return body[:start], rules, body[end+len("</Rules>"):], true
}

// topLevelMembers returns the member elements directly inside a list
// element's text (members nest: conditions and actions are lists too).
func topLevelMembers(inner []byte) [][]byte {
	open, closing := []byte("<member>"), []byte("</member>")
	var out [][]byte
	depth, from := 0, 0
	for i := 0; i < len(inner); {
		switch {
		case bytes.HasPrefix(inner[i:], open):
			if depth == 0 {
				from = i
			}
			depth++
			i += len(open)
		case bytes.HasPrefix(inner[i:], closing):
			depth--
			i += len(closing)
			if depth == 0 {
				out = append(out, inner[from:i])
			}
		default:
			i++
		}
	}
	return out
}

// DefaultRulesPageSize is the page size of DescribeRules when the caller
// gives none: the emulator's.
const DefaultRulesPageSize = 50

// describeRulesInOrder answers DescribeRules from all the rules the
// emulator has, sorted by priority with the default rule last, as AWS
// lists them, and pages that order (the marker is the last rule's ARN).
func describeRulesInOrder(next Handler, r *Request) *Response {
	pageSize := DefaultRulesPageSize
	if v := r.Params.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 400 {
			return errorResponse(r, http.StatusBadRequest, "ValidationError",
				fmt.Sprintf("1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: "+
					"Member must have value between 1 and 400", v))
		}
		pageSize = n
	}
	all := url.Values{}
	for k, v := range r.Params {
		all[k] = v
	}
	all.Del("Marker")
	all.Set("PageSize", strconv.Itoa(allRules))
	resp := next(subRequest(r, "elasticloadbalancing", all))
	if resp.Status != http.StatusOK {
		return resp
	}
	head, rules, tail, ok := splitRules(resp.Body)
	if !ok || rules == nil {
		return resp
	}
	slices.SortStableFunc(rules, func(a, b listedRule) int {
		if a.priority != b.priority {
			if a.priority < b.priority {
				return -1
			}
			return 1
		}
		return 0
	})
	from := 0
	if marker := r.Params.Get("Marker"); marker != "" {
		i := slices.IndexFunc(rules, func(x listedRule) bool { return x.arn == marker })
		if i < 0 {
			return errorResponse(r, http.StatusBadRequest, "ValidationError", "The marker is not valid")
		}
		from = i + 1
	}
	to := min(from+pageSize, len(rules))
	var b bytes.Buffer
	b.Write(head)
	b.WriteString("<Rules>")
	for _, rule := range rules[from:to] {
		b.Write(rule.member)
	}
	b.WriteString("</Rules>")
	rest := nextMarkerElem.ReplaceAll(tail, nil)
	if to < len(rules) {
		b.WriteString("<NextMarker>" + rules[to-1].arn + "</NextMarker>")
	}
	b.Write(rest)
	return &Response{Status: resp.Status, Header: resp.Header, Body: b.Bytes()}
}
