package awsproxy

import (
	"regexp"
	"sync"
	"time"
)

// Provisioning makes a new load balancer report state "provisioning" for a
// while, as AWS does (moto reports "active" from the first Describe).
type Provisioning struct {
	mu      sync.Mutex
	d       time.Duration
	created map[string]time.Time
}

// NewProvisioning returns the behaviour with duration d (0 turns it off).
func NewProvisioning(d time.Duration) *Provisioning {
	return &Provisioning{d: d, created: map[string]time.Time{}}
}

// SetDuration changes how long new load balancers stay provisioning.
func (p *Provisioning) SetDuration(d time.Duration) {
	p.mu.Lock()
	p.d = d
	p.mu.Unlock()
}

var (
	lbArnElement = regexp.MustCompile(`<LoadBalancerArn>([^<]+)</LoadBalancerArn>`)
	stateCode    = regexp.MustCompile(`<State>\s*<Code>[a-z_]+</Code>`)
)

// Wrap implements Middleware.
func (p *Provisioning) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		resp := next(r)
		if r.Service != "elasticloadbalancing" || resp.Status != 200 {
			return resp
		}
		switch r.Action {
		case "CreateLoadBalancer":
			if m := lbArnElement.FindSubmatch(resp.Body); m != nil {
				p.mu.Lock()
				p.created[string(m[1])] = time.Now()
				p.mu.Unlock()
			}
		case "DescribeLoadBalancers":
			resp.Body = p.rewrite(resp.Body)
		}
		return resp
	}
}

// rewrite sets the state of every young load balancer in a Describe answer.
func (p *Provisioning) rewrite(body []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d == 0 {
		return body
	}
	return rewriteStates(body, lbArnElement, stateCode, func(arn string) string {
		if created, ok := p.created[arn]; ok && time.Since(created) < p.d {
			return "<State><Code>provisioning</Code>"
		}
		return ""
	})
}
