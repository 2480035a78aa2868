package awsproxy

import (
	"encoding/json"
	"net/http"
	"strings"
)

// wafv2Associations keeps one web ACL per resource, as AWS does: moto
// lets AssociateWebACL add a load balancer to a second web ACL, where
// AWS moves it from the first. The proxy disassociates the resource
// upstream first.
type wafv2Associations struct{}

// Wrap implements Middleware.
func (wafv2Associations) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "wafv2" || r.Action != "AssociateWebACL" {
			return next(r)
		}
		var in struct{ ResourceArn string }
		if err := json.Unmarshal(r.Body, &in); err != nil || in.ResourceArn == "" {
			return next(r)
		}
		// The first call checks the ACL as AWS does (a missing one changes
		// nothing); then every association of the resource is dropped
		// and the wanted one made again.
		if resp := next(r); resp.Status != http.StatusOK {
			return resp
		}
		for range 8 {
			get := next(jsonSubRequest(r, "GetWebACLForResource", map[string]string{"ResourceArn": in.ResourceArn}))
			var out struct{ WebACL *struct{ ARN string } }
			if get.Status != http.StatusOK || json.Unmarshal(get.Body, &out) != nil || out.WebACL == nil {
				break
			}
			next(jsonSubRequest(r, "DisassociateWebACL", map[string]string{"ResourceArn": in.ResourceArn}))
		}
		return next(r)
	}
}

// shieldSubscription answers Shield's GetSubscriptionState, which moto
// lacks, from moto's DescribeSubscription: ACTIVE once a subscription was
// created (tests create one with CreateSubscription), INACTIVE before.
type shieldSubscription struct{}

// Wrap implements Middleware.
func (shieldSubscription) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "shield" || r.Action != "GetSubscriptionState" {
			return next(r)
		}
		state := "INACTIVE"
		if resp := next(jsonSubRequest(r, "DescribeSubscription", map[string]string{})); resp.Status == http.StatusOK {
			state = "ACTIVE"
		}
		return jsonResponse(map[string]string{"SubscriptionState": state})
	}
}

// jsonSubRequest is a call of another operation of r's JSON-protocol
// service, signed as r is.
func jsonSubRequest(r *Request, action string, in any) *Request {
	body, _ := json.Marshal(in)
	h := r.Header.Clone()
	target := h.Get("X-Amz-Target")
	if i := strings.LastIndex(target, "."); i >= 0 {
		target = target[:i+1] + action
	}
	h.Set("X-Amz-Target", target)
	h.Del("Content-Length")
	return &Request{Service: r.Service, Action: action, Account: r.Account, Caller: r.Caller, Body: body, Header: h,
		Path: r.Path}
}

// jsonResponse is a JSON-protocol answer.
func jsonResponse(v any) *Response {
	body, _ := json.Marshal(v)
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: body}
}
