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
// after delete. It also answers what moto gets wrong about endpoints (see
// vpcendpoint_requests.go): client tokens, unknown service names, the
// vpc-endpoint-id filter, and the DNS and IP settings moto does not keep.
type VPCEndpoints struct {
	mu         sync.Mutex
	pending    time.Duration
	jitter     time.Duration // each endpoint is pending for pending + [0, jitter)
	deleting   time.Duration
	acceptance map[string]bool // service names whose endpoints wait for acceptance
	services   map[string]bool // service names that exist besides moto's own
	endpoints  map[string]*endpointLife
	tokens     map[string]string          // account + client token -> endpoint id
	known      map[string]map[string]bool // account -> moto's service names
}

type endpointLife struct {
	created, deleted time.Time
	pending          time.Duration
	awaiting         bool   // pendingAcceptance until accepted
	forced           string // failed, rejected: stays so
	settings         endpointSettings
}

// NewVPCEndpoints returns the behaviour with no delays (moto's own).
func NewVPCEndpoints() *VPCEndpoints {
	return &VPCEndpoints{acceptance: map[string]bool{}, services: map[string]bool{},
		endpoints: map[string]*endpointLife{}, tokens: map[string]string{}, known: map[string]map[string]bool{}}
}

// AddService makes a service name exist for CreateVpcEndpoint besides the
// AWS services moto lists (an endpoint service of another account).
func (v *VPCEndpoints) AddService(service string) {
	v.mu.Lock()
	v.services[service] = true
	v.mu.Unlock()
}

// SetDelays sets how long new endpoints are pending and deleted ones deleting.
func (v *VPCEndpoints) SetDelays(pending, deleting time.Duration) {
	v.mu.Lock()
	v.pending, v.deleting = pending, deleting
	v.mu.Unlock()
}

// SetPendingJitter makes each new endpoint pending for a random extra time
// below jitter, so that endpoints created together become available apart.
func (v *VPCEndpoints) SetPendingJitter(jitter time.Duration) {
	v.mu.Lock()
	v.jitter = jitter
	v.mu.Unlock()
}

// AvailableAt returns when the endpoint stops being pending; false while
// it waits for acceptance or is unknown.
func (v *VPCEndpoints) AvailableAt(id string) (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.endpoints[id]
	if !ok || e.awaiting {
		return time.Time{}, false
	}
	return e.created.Add(e.pending), true
}

// RequireAcceptance makes endpoints to service wait in pendingAcceptance.
func (v *VPCEndpoints) RequireAcceptance(service string) {
	v.mu.Lock()
	v.acceptance[service] = true
	v.services[service] = true
	v.mu.Unlock()
}

// Accept accepts a waiting endpoint: it becomes available.
func (v *VPCEndpoints) Accept(id string) {
	v.set(id, func(e *endpointLife) { e.awaiting, e.pending = false, time.Since(e.created) })
}

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
		if r.Service != "ec2" {
			return next(r)
		}
		switch r.Action {
		case "CreateVpcEndpoint":
			return v.create(next, r)
		case "ModifyVpcEndpoint":
			return v.modify(next, r)
		case "DeleteVpcEndpoints":
			resp := next(r)
			if resp.Status == http.StatusOK {
				v.mu.Lock()
				for _, id := range listParam(r.Params, "VpcEndpointId") {
					if e, ok := v.endpoints[id]; ok {
						e.deleted = time.Now()
					}
				}
				v.mu.Unlock()
			}
			return resp
		case "DescribeVpcEndpoints":
			return v.describe(next, r)
		}
		return next(r)
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
	case time.Since(e.created) < e.pending:
		return "pending"
	}
	return ""
}

// rewrite sets each endpoint's state and settings in an answer.
func (v *VPCEndpoints) rewrite(body []byte) []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	body = rewriteStates(body, endpointIDElement, endpointState, func(id string) string {
		if state := v.state(id); state != "" {
			return "<state>" + state + "</state>"
		}
		return ""
	})
	return v.rewriteSettings(body)
}
