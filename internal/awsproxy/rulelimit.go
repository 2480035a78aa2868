package awsproxy

import (
	"net/http"
	"net/url"
	"regexp"
	"sync"
)

// RuleLimit answers AuthorizeSecurityGroupIngress as AWS does where moto
// does not: InvalidPermission.Duplicate for the whole request when one of its
// rules exists, and RulesPerSecurityGroupLimitExceeded when the group would
// hold more than Limit inbound rules, counted as AWS counts them: one per
// port range and source (CIDR, IPv6 CIDR or group).
type RuleLimit struct {
	mu    sync.Mutex
	limit int
}

// DefaultRuleLimit is AWS's default quota of inbound rules per group.
const DefaultRuleLimit = 60

// NewRuleLimit returns the behaviour with the given limit.
func NewRuleLimit(limit int) *RuleLimit { return &RuleLimit{limit: limit} }

// SetLimit changes the limit.
func (l *RuleLimit) SetLimit(n int) {
	l.mu.Lock()
	l.limit = n
	l.mu.Unlock()
}

var (
	// Sources of one permission in a query request: IpRanges, Ipv6Ranges,
	// Groups and PrefixListIds entries (SDK v2's field names). A prefix list
	// counts as one rule here; AWS counts its maximum entries.
	newSource = regexp.MustCompile(`^IpPermissions\.\d+\.(IpRanges|Ipv6Ranges|Groups|PrefixListIds)\.\d+\.(CidrIp|CidrIpv6|GroupId|PrefixListId)$`)
	// Sources of the group's inbound rules in a DescribeSecurityGroups answer.
	ingressBlock = regexp.MustCompile(`(?s)<ipPermissions>(.*?)</ipPermissions>`)
	sourceItem   = regexp.MustCompile(`<(cidrIp|cidrIpv6|groupId|prefixListId)>`)
)

// Wrap implements Middleware.
func (l *RuleLimit) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "ec2" || r.Action != "AuthorizeSecurityGroupIngress" {
			return next(r)
		}
		l.mu.Lock()
		limit := l.limit
		l.mu.Unlock()
		adding := 0
		for k := range r.Params {
			if newSource.MatchString(k) {
				adding++
			}
		}
		if refused := duplicate(next, r); refused != nil {
			return refused
		}
		if have := l.count(next, r, r.Params.Get("GroupId")); have+adding > limit {
			return errorResponse(r, http.StatusBadRequest, "RulesPerSecurityGroupLimitExceeded",
				"The maximum number of rules per security group has been reached.")
		}
		return next(r)
	}
}

// count returns how many inbound rules the group holds.
func (l *RuleLimit) count(next Handler, r *Request, group string) int {
	resp := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeSecurityGroups"}, "Version": {"2016-11-15"},
		"GroupId.1": {group}}))
	m := ingressBlock.FindSubmatch(resp.Body)
	if m == nil {
		return 0
	}
	return len(sourceItem.FindAll(m[1], -1))
}
