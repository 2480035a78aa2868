package awsproxy

import (
	"bytes"
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
// Each LB's ARN element comes before its State element.
func (p *Provisioning) rewrite(body []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d == 0 {
		return body
	}
	arns := lbArnElement.FindAllSubmatchIndex(body, -1)
	var out bytes.Buffer
	last := 0
	for i, a := range arns {
		end := len(body)
		if i+1 < len(arns) {
			end = arns[i+1][0]
		}
		created, ok := p.created[string(body[a[2]:a[3]])]
		if !ok || time.Since(created) >= p.d {
			continue
		}
		if s := stateCode.FindIndex(body[a[1]:end]); s != nil {
			out.Write(body[last : a[1]+s[0]])
			out.WriteString("<State><Code>provisioning</Code>")
			last = a[1] + s[1]
		}
	}
	out.Write(body[last:])
	return out.Bytes()
}
