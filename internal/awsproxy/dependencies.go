package awsproxy

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"time"
)

// Dependencies makes DeleteSecurityGroup fail with DependencyViolation, as
// AWS does and moto never does, while the group is still in use: by a load
// balancer, by a network interface, by a rule of another group, or for
// Linger after a load balancer that used it was deleted or let it go (AWS
// releases a network load balancer's interfaces later).
type Dependencies struct {
	mu       sync.Mutex
	linger   time.Duration
	released map[string]time.Time // security group -> when its last load balancer went
}

// NewDependencies returns the behaviour with the given linger.
func NewDependencies(linger time.Duration) *Dependencies {
	return &Dependencies{linger: linger, released: map[string]time.Time{}}
}

// SetLinger changes how long a deleted load balancer keeps its groups in use.
func (d *Dependencies) SetLinger(l time.Duration) {
	d.mu.Lock()
	d.linger = l
	d.mu.Unlock()
}

var (
	sgIDElement   = regexp.MustCompile(`<member>(sg-[0-9a-f]+)</member>`)
	groupIDInRule = regexp.MustCompile(`<groupId>(sg-[0-9a-f]+)</groupId>`)
	eniElement    = regexp.MustCompile(`<networkInterfaceId>`)
)

// Wrap implements Middleware.
func (d *Dependencies) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		switch {
		case r.Service == "elasticloadbalancing" && r.Action == "DeleteLoadBalancer":
			groups := d.groupsOf(next, r, r.Params.Get("LoadBalancerArn"))
			resp := next(r)
			if resp.Status == http.StatusOK {
				d.mu.Lock()
				for _, g := range groups {
					d.released[g] = time.Now()
				}
				d.mu.Unlock()
			}
			return resp
		case r.Service == "elasticloadbalancing" && r.Action == "SetSecurityGroups":
			before := d.groupsOf(next, r, r.Params.Get("LoadBalancerArn"))
			resp := next(r)
			if resp.Status == http.StatusOK {
				kept := listParam(r.Params, "SecurityGroups.member")
				d.mu.Lock()
				for _, g := range before {
					if !slices.Contains(kept, g) {
						d.released[g] = time.Now()
					}
				}
				d.mu.Unlock()
			}
			return resp
		case r.Service == "ec2" && r.Action == "DeleteSecurityGroup":
			if why := d.inUse(next, r, r.Params.Get("GroupId")); why != "" {
				return errorResponse(r, http.StatusBadRequest, "DependencyViolation",
					"resource "+r.Params.Get("GroupId")+" has a dependent object: "+why)
			}
		}
		return next(r)
	}
}

// groupsOf returns the security groups of a load balancer.
func (d *Dependencies) groupsOf(next Handler, r *Request, arn string) []string {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeLoadBalancers"},
		"Version": {"2015-12-01"}, "LoadBalancerArns.member.1": {arn}}))
	var out []string
	for _, m := range sgIDElement.FindAllSubmatch(resp.Body, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// inUse says what still uses the group, or "".
func (d *Dependencies) inUse(next Handler, r *Request, group string) string {
	if group == "" {
		return ""
	}
	d.mu.Lock()
	at, ok := d.released[group]
	linger := d.linger
	d.mu.Unlock()
	if ok && time.Since(at) < linger {
		return "network interfaces of a deleted load balancer"
	}
	lbs := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeLoadBalancers"},
		"Version": {"2015-12-01"}}))
	for _, m := range sgIDElement.FindAllSubmatch(lbs.Body, -1) {
		if string(m[1]) == group {
			return "a load balancer"
		}
	}
	rules := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeSecurityGroups"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"ip-permission.group-id"}, "Filter.1.Value.1": {group}}))
	for _, m := range groupIDInRule.FindAllSubmatch(rules.Body, -1) {
		// Every group in the answer lists its own id and the referenced one.
		if string(m[1]) != group {
			return "a rule of security group " + string(m[1])
		}
	}
	enis := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeNetworkInterfaces"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"group-id"}, "Filter.1.Value.1": {group}}))
	if eniElement.Match(enis.Body) {
		return "a network interface"
	}
	return ""
}

// subRequest is a call the proxy makes to the emulator itself, in the
// account of r.
func subRequest(r *Request, service string, params url.Values) *Request {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=proxy/20260101/us-west-2/"+service+
		"/aws4_request, SignedHeaders=host, Signature=none")
	return &Request{Service: service, Action: params.Get("Action"), Params: params, Account: r.Account,
		Caller: r.Caller, Body: []byte(params.Encode()), Header: h, Path: "/"}
}
