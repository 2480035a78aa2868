package awsproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// CapacityReservations answers DescribeCapacityReservation and
// ModifyCapacityReservation, which moto lacks (HTTP 500), from a record
// per load balancer ARN, as AWS does: a reservation of N capacity units
// until it is reset, none before. Both calls are refused for a load
// balancer the emulator does not have (LoadBalancerNotFound), and a modify
// must either name positive capacity units or reset (ValidationError). A
// deleted load balancer's reservation goes with it.
type CapacityReservations struct {
	mu    sync.Mutex
	units map[string]int32 // by load balancer ARN; absent: no reservation
}

// NewCapacityReservations returns the behaviour.
func NewCapacityReservations() *CapacityReservations {
	return &CapacityReservations{units: map[string]int32{}}
}

// Units returns the capacity units reserved for a load balancer, 0 when none.
func (c *CapacityReservations) Units(arn string) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.units[arn]
}

// Wrap implements Middleware.
func (c *CapacityReservations) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		switch r.Action {
		case "DescribeCapacityReservation", "ModifyCapacityReservation":
		case "DeleteLoadBalancer":
			resp := next(r)
			if resp.Status == http.StatusOK {
				c.mu.Lock()
				delete(c.units, r.Params.Get("LoadBalancerArn"))
				c.mu.Unlock()
			}
			return resp
		default:
			return next(r)
		}
		arn := r.Params.Get("LoadBalancerArn")
		if found := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeLoadBalancers"},
			"Version": {"2015-12-01"}, "LoadBalancerArns.member.1": {arn}})); found.Status != http.StatusOK {
			return errorResponse(r, http.StatusBadRequest, "LoadBalancerNotFound",
				fmt.Sprintf("Load balancer '%s' not found", arn))
		}
		if r.Action == "ModifyCapacityReservation" {
			if refused := c.modify(r, arn); refused != nil {
				return refused
			}
		}
		return c.answer(r.Action, arn)
	}
}

// modify records the change a ModifyCapacityReservation asks for.
func (c *CapacityReservations) modify(r *Request, arn string) *Response {
	raw, reset := r.Params.Get("MinimumLoadBalancerCapacity.CapacityUnits"), r.Params.Get("ResetCapacityReservation") == "true"
	if (raw == "") == !reset {
		return errorResponse(r, http.StatusBadRequest, "ValidationError",
			"exactly one of MinimumLoadBalancerCapacity and ResetCapacityReservation must be given")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if reset {
		delete(c.units, arn)
		return nil
	}
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil || n < 1 {
		return errorResponse(r, http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("capacity units %q must be a positive integer", raw))
	}
	c.units[arn] = int32(n)
	return nil
}

// answer renders the reservation as AWS reports it: with a reservation,
// its units and a provisioned state; without, neither.
func (c *CapacityReservations) answer(action, arn string) *Response {
	c.mu.Lock()
	units, held := c.units[arn]
	c.mu.Unlock()
	var reservation string
	if held {
		reservation = fmt.Sprintf(`<MinimumLoadBalancerCapacity><CapacityUnits>%d</CapacityUnits></MinimumLoadBalancerCapacity>`+
			`<CapacityReservationState><member><State><Code>provisioned</Code></State></member></CapacityReservationState>`, units)
	}
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<%[1]sResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><%[1]sResult>`+
		`<LastModifiedTime>%[2]s</LastModifiedTime><DecreaseRequestsRemaining>3</DecreaseRequestsRemaining>%[3]s`+
		`</%[1]sResult><ResponseMetadata><RequestId>kelb-proxy</RequestId></ResponseMetadata></%[1]sResponse>`,
		action, time.Now().UTC().Format(time.RFC3339), reservation)
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}}, Body: []byte(body)}
}
