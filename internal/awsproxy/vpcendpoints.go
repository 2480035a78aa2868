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
	// failDeletion, when set, is the state the next deleted endpoint comes
	// back in after deleting (available, failed): the delete is accepted
	// but never reaches moto.
	failDeletion string
}

type endpointLife struct {
	created, deleted time.Time
	// cameBack is the state a failed deletion left it in ("" for none).
	cameBack string
	pending  time.Duration
	awaiting bool   // pendingAcceptance until accepted
	forced   string // failed, rejected: stays so
	settings endpointSettings
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

// FailNextDeletion makes AWS accept the next delete of an endpoint but,
// after the deleting delay, bring the endpoint back in state (available or
// failed), as a fault or the service provider may. Only that one delete
// fails; the endpoint's later deletes go through.
func (v *VPCEndpoints) FailNextDeletion(state string) {
	v.mu.Lock()
	v.failDeletion = state
	v.mu.Unlock()
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
			if resp := v.failedDeletion(r); resp != nil {
				return resp
			}
			resp := next(r)
			if resp.Status == http.StatusOK {
				v.mu.Lock()
				for _, id := range listParam(r.Params, "VpcEndpointId") {
					if e, ok := v.endpoints[id]; ok {
						e.deleted, e.cameBack = time.Now(), ""
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

// failedDeletion answers a delete of one known endpoint as accepted without
// passing it on, when a failed deletion is asked for; nil otherwise.
func (v *VPCEndpoints) failedDeletion(r *Request) *Response {
	ids := listParam(r.Params, "VpcEndpointId")
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.failDeletion == "" || len(ids) != 1 || v.endpoints[ids[0]] == nil {
		return nil
	}
	e := v.endpoints[ids[0]]
	e.deleted, e.cameBack, v.failDeletion = time.Now(), v.failDeletion, ""
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<DeleteVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>kelb-proxy</requestId>` +
			`<unsuccessful/></DeleteVpcEndpointsResponse>`)}
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
		if e.cameBack == "available" {
			return "" // moto never saw the delete: it says available
		}
		return e.cameBack
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
