package awsproxy

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
)

var (
	listenerPortElem = regexp.MustCompile(`<Port>(\d+)</Port>`)
	listenerCertElem = regexp.MustCompile(`<Certificates><member>`)
)

// refuseMissingCertificate refuses, as AWS does, an HTTPS or TLS listener
// that would have no certificate: created without one, or modified to
// HTTPS or TLS from a listener that has none.
func refuseMissingCertificate(next Handler, r *Request) *Response {
	protocol := r.Params.Get("Protocol")
	if (protocol != "HTTPS" && protocol != "TLS") || len(requestCertificates(r.Params)) > 0 {
		return nil
	}
	if r.Action == "ModifyListener" {
		l := describeListener(next, r, r.Params.Get("ListenerArn"))
		if l == nil || listenerCertElem.Match(l) {
			return nil // unknown listener: the emulator answers; or it keeps its certificate
		}
	}
	return errorResponse(r, http.StatusBadRequest, "ValidationError",
		fmt.Sprintf("A certificate must be specified for %s listeners", protocol))
}

// refuseDuplicateListener refuses a listener on a port another listener of
// the load balancer has (moto makes a second one).
func refuseDuplicateListener(next Handler, r *Request) *Response {
	port := r.Params.Get("Port")
	if port == "" {
		return nil
	}
	lb, self := r.Params.Get("LoadBalancerArn"), ""
	if r.Action == "ModifyListener" {
		self = r.Params.Get("ListenerArn")
		l := describeListener(next, r, self)
		m := listenerLBElem.FindSubmatch(l)
		if m == nil {
			return nil
		}
		lb = string(m[1])
	}
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeListeners"},
		"Version": {"2015-12-01"}, "LoadBalancerArn": {lb}}))
	if resp.Status != http.StatusOK {
		return nil
	}
	for _, l := range listenerMembers(resp.Body) {
		arn := listenerARNElem.FindSubmatch(l)
		p := listenerPortElem.FindSubmatch(l)
		if arn != nil && string(arn[1]) != self && p != nil && string(p[1]) == port {
			return errorResponse(r, http.StatusBadRequest, "DuplicateListener",
				"A listener with the specified port already exists.")
		}
	}
	return nil
}

// describeListener returns the member element of one listener, nil when the
// emulator does not know it.
func describeListener(next Handler, r *Request, arn string) []byte {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeListeners"},
		"Version": {"2015-12-01"}, "ListenerArns.member.1": {arn}}))
	if resp.Status != http.StatusOK {
		return nil
	}
	if ls := listenerMembers(resp.Body); len(ls) > 0 {
		return ls[0]
	}
	return nil
}

// listenerMembers returns the listener elements of an answer.
func listenerMembers(body []byte) [][]byte {
	start := bytes.Index(body, []byte("<Listeners>"))
	end := bytes.LastIndex(body, []byte("</Listeners>"))
	if start < 0 || end < start {
		return nil
	}
	return topLevelMembers(body[start+len("<Listeners>") : end])
}
