package awsproxy

import (
	"net/http"
	"regexp"
	"sync"
	"time"
)

// VPCEndpoints gives VPC endpoints the life AWS gives them (moto reports
// every endpoint "available" at once): "pending" for a while after create,
// "pendingAcceptance" until the test accepts it for services that require
// acceptance, "failed" or "rejected" on demand, and "deleting" for a while
// after delete.
type VPCEndpoints struct {
	mu         sync.Mutex
	pending    time.Duration
	deleting   time.Duration
	acceptance map[string]bool // service names whose endpoints wait for acceptance
	endpoints  map[string]*endpointLife
}

type endpointLife struct {
	created, deleted time.Time
	awaiting         bool   // pendingAcceptance until accepted
	forced           string // failed, rejected: stays so
}

// NewVPCEndpoints returns the behaviour with no delays (moto's own).
func NewVPCEndpoints() *VPCEndpoints {
	return &VPCEndpoints{acceptance: map[string]bool{}, endpoints: map[string]*endpointLife{}}
}

// SetDelays sets how long new endpoints are pending and deleted ones deleting.
func (v *VPCEndpoints) SetDelays(pending, deleting time.Duration) {
	v.mu.Lock()
	v.pending, v.deleting = pending, deleting
	v.mu.Unlock()
}

// RequireAcceptance makes endpoints to service wait in pendingAcceptance.
func (v *VPCEndpoints) RequireAcceptance(service string) {
	v.mu.Lock()
	v.acceptance[service] = true
	v.mu.Unlock()
}

// Accept accepts a waiting endpoint: it becomes available.
func (v *VPCEndpoints) Accept(id string) { v.set(id, func(e *endpointLife) { e.awaiting = false }) }

// Fail makes an endpoint "failed", or another terminal state such as
// "rejected" or "expired".
func (v *VPCEndpoints) Fail(id, state string) { v.set(id, func(e *endpointLife) { e.forced = state }) }

func (v *VPCEndpoints) set(id string, f func(*endpointLife)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.endpoints[id]; ok {
		f(e)
	}
}

var (
	endpointIDElement = regexp.MustCompile(`<vpcEndpointId>(vpce-[0-9a-f]+)</vpcEndpointId>`)
	endpointState     = regexp.MustCompile(`<state>[A-Za-z]+</state>`)
)

// Wrap implements Middleware.
func (v *VPCEndpoints) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		resp := next(r)
		if r.Service != "ec2" || resp.Status != http.StatusOK {
			return resp
		}
		switch r.Action {
		case "CreateVpcEndpoint":
			if m := endpointIDElement.FindSubmatch(resp.Body); m != nil {
				v.mu.Lock()
				v.endpoints[string(m[1])] = &endpointLife{created: time.Now(), awaiting: v.acceptance[r.Params.Get("ServiceName")]}
				v.mu.Unlock()
			}
			resp.Body = v.rewrite(resp.Body)
		case "DeleteVpcEndpoints":
			v.mu.Lock()
			for k, vals := range r.Params {
				if e, ok := v.endpoints[vals[0]]; ok && len(k) > len("VpcEndpointId") && k[:len("VpcEndpointId")] == "VpcEndpointId" {
					e.deleted = time.Now()
				}
			}
			v.mu.Unlock()
		case "DescribeVpcEndpoints":
			resp.Body = v.rewrite(resp.Body)
		}
		return resp
	}
}

// state returns what AWS would say of the endpoint now, "" to keep moto's.
func (v *VPCEndpoints) state(id string) string {
	e, ok := v.endpoints[id]
	switch {
	case !ok:
		return ""
	case !e.deleted.IsZero():
		if time.Since(e.deleted) < v.deleting {
			return "deleting"
		}
		return ""
	case e.forced != "":
		return e.forced
	case e.awaiting:
		return "pendingAcceptance"
	case time.Since(e.created) < v.pending:
		return "pending"
	}
	return ""
}

// rewrite sets each endpoint's state in an answer.
func (v *VPCEndpoints) rewrite(body []byte) []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return rewriteStates(body, endpointIDElement, endpointState, func(id string) string {
		if state := v.state(id); state != "" {
			return "<state>" + state + "</state>"
		}
		return ""
	})
}
