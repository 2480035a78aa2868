package awsproxy

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
)

// ELBRefusals refuses, with AWS's codes, ELBv2 requests moto takes but AWS
// does not: a listener with an SSL policy that does not exist, an HTTPS or
// TLS listener without a certificate, a listener on a port the load
// balancer already listens on, a listener over the quota of listeners per
// load balancer, and target-group attribute keys that are unknown or not
// for the target group's protocol. It also words moto's CertificateNotFound
// as AWS does.
type ELBRefusals struct{}

// ListenersPerLoadBalancer is AWS's quota of listeners per load balancer.
const ListenersPerLoadBalancer = 50

// targetGroupAttributeKeys are every documented target-group attribute key
// (ELBv2 API reference, TargetGroupAttribute), by the load balancers that
// take it: "" for all, "nlb" for network load balancers (and ALBs),
// "other" for application or gateway load balancers only.
var targetGroupAttributeKeys = map[string]string{
	"deregistration_delay.timeout_seconds":                                           "",
	"stickiness.enabled":                                                             "",
	"stickiness.type":                                                                "",
	"load_balancing.cross_zone.enabled":                                              "",
	"target_group_health.dns_failover.minimum_healthy_targets.count":                 "",
	"target_group_health.dns_failover.minimum_healthy_targets.percentage":            "",
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      "",
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "",
	"deregistration_delay.connection_termination.enabled":                            "nlb",
	"preserve_client_ip.enabled":                                                     "nlb",
	"proxy_protocol_v2.enabled":                                                      "nlb",
	"target_health_state.unhealthy.connection_termination.enabled":                   "nlb",
	"target_health_state.unhealthy.draining_interval_seconds":                        "nlb",
	"load_balancing.algorithm.type":                                                  "other",
	"load_balancing.algorithm.anomaly_mitigation":                                    "other",
	"slow_start.duration_seconds":                                                    "other",
	"stickiness.app_cookie.cookie_name":                                              "other",
	"stickiness.app_cookie.duration_seconds":                                         "other",
	"stickiness.lb_cookie.duration_seconds":                                          "other",
	"lambda.multi_value_headers.enabled":                                             "other",
	"target_failover.on_deregistration":                                              "other",
	"target_failover.on_unhealthy":                                                   "other",
	"send_tcp_reset.on_unhealthy.enabled":                                            "other",
	"send_tcp_reset.on_deregistration.enabled":                                       "other",
}

var (
	attributeKey  = regexp.MustCompile(`^Attributes\.member\.\d+\.Key$`)
	tgProtocol    = regexp.MustCompile(`<Protocol>([A-Z_]+)</Protocol>`)
	listenerARN   = regexp.MustCompile(`<ListenerArn>`)
	networkTarget = []string{"TCP", "UDP", "TCP_UDP", "TLS", "QUIC", "TCP_QUIC"}
)

// Wrap implements Middleware.
func (ELBRefusals) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		var refusal *Response
		switch r.Action {
		case "CreateListener", "ModifyListener":
			refusal = refuseSSLPolicy(next, r)
			if refusal == nil {
				refusal = refuseMissingCertificate(next, r)
			}
			if refusal == nil {
				refusal = refuseDuplicateListener(next, r)
			}
			if refusal == nil && r.Action == "CreateListener" {
				refusal = refuseListenerQuota(next, r)
			}
		case "ModifyTargetGroupAttributes":
			refusal = refuseTargetGroupAttributes(next, r)
		}
		if refusal != nil {
			return refusal
		}
		return certificateNotFoundAsAWS(r, next(r))
	}
}

// certificateNotFoundAsAWS gives moto's CertificateNotFound ("Supplied
// certificate was not found") AWS's message, which names the certificate.
func certificateNotFoundAsAWS(r *Request, resp *Response) *Response {
	if resp.Status == http.StatusOK || errorCode(resp.Body) != "CertificateNotFound" {
		return resp
	}
	certs := requestCertificates(r.Params)
	if len(certs) != 1 {
		return resp
	}
	return errorResponse(r, resp.Status, "CertificateNotFound", fmt.Sprintf("Certificate '%s' not found", certs[0]))
}

// refuseSSLPolicy refuses a policy the emulator does not list.
func refuseSSLPolicy(next Handler, r *Request) *Response {
	policy := r.Params.Get("SslPolicy")
	if policy == "" {
		return nil
	}
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeSSLPolicies"},
		"Version": {"2015-12-01"}, "Names.member.1": {policy}}))
	if resp.Status == http.StatusOK && bytes.Contains(resp.Body, []byte("<member>")) {
		return nil
	}
	return errorResponse(r, http.StatusBadRequest, "SSLPolicyNotFound", "The specified SSL policy does not exist.")
}

func refuseListenerQuota(next Handler, r *Request) *Response {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeListeners"},
		"Version": {"2015-12-01"}, "LoadBalancerArn": {r.Params.Get("LoadBalancerArn")}}))
	if resp.Status != http.StatusOK || len(listenerARN.FindAll(resp.Body, -1)) < ListenersPerLoadBalancer {
		return nil
	}
	return errorResponse(r, http.StatusBadRequest, "TooManyListeners",
		"You've reached the limit on the number of listeners per load balancer.")
}

func refuseTargetGroupAttributes(next Handler, r *Request) *Response {
	var keys []string
	for k, v := range r.Params {
		if attributeKey.MatchString(k) && len(v) > 0 {
			keys = append(keys, v[0])
		}
	}
	slices.Sort(keys)
	var network *bool // the target group's protocol, read once when needed
	for _, key := range keys {
		takenBy, known := targetGroupAttributeKeys[key]
		if !known {
			return errorResponse(r, http.StatusBadRequest, "ValidationError",
				fmt.Sprintf("Target group attribute key '%s' is not recognized", key))
		}
		if takenBy != "other" {
			continue
		}
		if network == nil {
			resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeTargetGroups"},
				"Version": {"2015-12-01"}, "TargetGroupArns.member.1": {r.Params.Get("TargetGroupArn")}}))
			m := tgProtocol.FindSubmatch(resp.Body)
			isNetwork := m != nil && slices.Contains(networkTarget, string(m[1]))
			network = &isNetwork
		}
		if *network {
			return errorResponse(r, http.StatusBadRequest, "InvalidConfigurationRequest",
				"The provided target group attribute is not supported")
		}
	}
	return nil
}
