package awsproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ListenerRules makes ALB listener rules behave as AWS documents them where
// moto 5.2.1 is lenient or answers otherwise:
//   - CreateRule refuses a priority outside 1-50000, a rule without
//     conditions, more than MaxConditionValues condition values, two
//     conditions of one field other than http-header and query-string
//     (ValidationError), and a rule beyond the quota of rules per load
//     balancer, default rules not counted (TooManyRules); ModifyRule
//     refuses the same condition errors. moto answers PriorityInUse itself.
//   - SetRulePriorities takes swaps and rotations within one call, as AWS
//     does (moto refuses any priority a rule holds before the call).
//   - DescribeRules lists rules in priority order, the default rule last,
//     and pages that order (moto: creation order).
type ListenerRules struct {
	mu    sync.Mutex
	limit int
}

// AWS's rule quotas and priority range (Application Load Balancer quotas;
// ELBv2 API reference, CreateRule and RulePriorityPair).
const (
	DefaultRulesPerLoadBalancer = 100
	MaxConditionValues          = 5
	MinRulePriority             = 1
	MaxRulePriority             = 50000
)

// NewListenerRules returns the behaviour with the given quota of rules per
// load balancer.
func NewListenerRules(limit int) *ListenerRules { return &ListenerRules{limit: limit} }

// SetLimit changes the quota of rules per load balancer.
func (lr *ListenerRules) SetLimit(n int) {
	lr.mu.Lock()
	lr.limit = n
	lr.mu.Unlock()
}

func (lr *ListenerRules) quota() int {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.limit
}

// Wrap implements Middleware.
func (lr *ListenerRules) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		switch r.Action {
		case "CreateRule":
			if refusal := refusePriority(r, "priority", r.Params.Get("Priority")); refusal != nil {
				return refusal
			}
			if refusal := refuseConditions(r, true); refusal != nil {
				return refusal
			}
			if refusal := lr.refuseRuleQuota(next, r); refusal != nil {
				return refusal
			}
		case "ModifyRule":
			if refusal := refuseConditions(r, false); refusal != nil {
				return refusal
			}
		case "SetRulePriorities":
			return setRulePriorities(next, r)
		case "DescribeRules":
			return describeRulesInOrder(next, r)
		}
		return next(r)
	}
}

// refusePriority refuses a priority outside AWS's range with AWS's
// constraint message; a missing or malformed one is left to the emulator.
func refusePriority(r *Request, field, value string) *Response {
	p, err := strconv.Atoi(value)
	if err != nil {
		return nil
	}
	var constraint string
	switch {
	case p < MinRulePriority:
		constraint = fmt.Sprintf("Member must have value greater than or equal to %d", MinRulePriority)
	case p > MaxRulePriority:
		constraint = fmt.Sprintf("Member must have value less than or equal to %d", MaxRulePriority)
	default:
		return nil
	}
	return errorResponse(r, http.StatusBadRequest, "ValidationError",
		fmt.Sprintf("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: %s", p, field, constraint))
}

// condition is what the checks need of one requested rule condition.
type condition struct {
	field  string
	values int
}

var (
	conditionParam = regexp.MustCompile(`^Conditions\.member\.(\d+)\.(.+)$`)
	// A condition value: a plain value, a value (or regular expression)
	// of one of the *Config forms, or a key/value pair of a query string (counted once, by its
	// Value).
	conditionValue = regexp.MustCompile(`^(Values|HostHeaderConfig\.(Regex)?Values|PathPatternConfig\.(Regex)?Values|` +
		`HttpHeaderConfig\.(Regex)?Values|HttpRequestMethodConfig\.Values|SourceIpConfig\.Values)\.member\.\d+$|` +
		`^QueryStringConfig\.Values\.member\.\d+\.Value$`)
)

// requestConditions returns the conditions of a CreateRule or ModifyRule by
// their position, and whether the request names the Conditions list at all
// (an empty list is sent as "Conditions=").
func requestConditions(params url.Values) ([]condition, bool) {
	_, named := params["Conditions"]
	byIndex := map[int]*condition{}
	for k, v := range params {
		m := conditionParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		named = true
		i, _ := strconv.Atoi(m[1])
		c := byIndex[i]
		if c == nil {
			c = &condition{}
			byIndex[i] = c
		}
		switch {
		case m[2] == "Field" && len(v) > 0:
			c.field = v[0]
		case conditionValue.MatchString(m[2]):
			c.values++
		}
	}
	indexes := make([]int, 0, len(byIndex))
	for i := range byIndex {
		indexes = append(indexes, i)
	}
	slices.Sort(indexes)
	out := make([]condition, 0, len(indexes))
	for _, i := range indexes {
		out = append(out, *byIndex[i])
	}
	return out, named
}

// refuseConditions checks a rule's conditions as AWS does: at least one on
// creation (required), at most MaxConditionValues values in all, and at
// most one condition of each field but http-header and query-string.
func refuseConditions(r *Request, required bool) *Response {
	conds, named := requestConditions(r.Params)
	switch {
	case !named && required:
		return errorResponse(r, http.StatusBadRequest, "ValidationError",
			"1 validation error detected: Value null at 'conditions' failed to satisfy constraint: Member must not be null")
	case named && len(conds) == 0 && required:
		return errorResponse(r, http.StatusBadRequest, "ValidationError", "A rule must have at least one condition")
	}
	values := 0
	seen := map[string]bool{}
	for _, c := range conds {
		values += c.values
		if c.field != "http-header" && c.field != "query-string" {
			if seen[c.field] {
				return errorResponse(r, http.StatusBadRequest, "ValidationError",
					fmt.Sprintf("A rule can only have one '%s' condition", c.field))
			}
			seen[c.field] = true
		}
	}
	if values > MaxConditionValues {
		return errorResponse(r, http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("A rule can only have '%d' condition values", MaxConditionValues))
	}
	return nil
}

var (
	listenerLBElem = regexp.MustCompile(`<LoadBalancerArn>([^<]+)</LoadBalancerArn>`)
	isDefaultFalse = regexp.MustCompile(`<IsDefault>false</IsDefault>`)
)

// refuseRuleQuota refuses a rule beyond the quota of the listener's load
// balancer, counting the rules of all its listeners but the default ones.
// An unknown listener is left to the emulator's ListenerNotFound.
func (lr *ListenerRules) refuseRuleQuota(next Handler, r *Request) *Response {
	found := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeListeners"},
		"Version": {"2015-12-01"}, "ListenerArns.member.1": {r.Params.Get("ListenerArn")}}))
	m := listenerLBElem.FindSubmatch(found.Body)
	if found.Status != http.StatusOK || m == nil {
		return nil
	}
	listeners := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeListeners"},
		"Version": {"2015-12-01"}, "LoadBalancerArn": {string(m[1])}}))
	rules := 0
	for _, l := range listenerARNElem.FindAllSubmatch(listeners.Body, -1) {
		resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeRules"},
			"Version": {"2015-12-01"}, "ListenerArn": {string(l[1])}, "PageSize": {strconv.Itoa(allRules)}}))
		rules += len(isDefaultFalse.FindAll(resp.Body, -1))
	}
	if rules < lr.quota() {
		return nil
	}
	return errorResponse(r, http.StatusBadRequest, "TooManyRules",
		"You've reached the limit on the number of rules per load balancer.")
}

// allRules is a page size that holds every rule of a listener in one
// answer of the emulator.
const allRules = 100000

// listenerOfRule is the listener a rule ARN belongs to: AWS's rule ARNs are
// the listener's with "listener-rule/" and one more path element.
func listenerOfRule(rule string) string {
	l := strings.Replace(rule, ":listener-rule/", ":listener/", 1)
	if i := strings.LastIndex(l, "/"); i >= 0 {
		return l[:i]
	}
	return l
}
