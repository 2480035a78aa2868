package awsproxy

import (
	"net/http"
	"net/url"
	"regexp"
)

// DeletionProtection makes DeleteLoadBalancer fail, as AWS does and moto
// does not, while the load balancer's deletion_protection.enabled attribute
// is true. The attribute is read from the emulator right before.
type DeletionProtection struct{}

var deletionProtectionOn = regexp.MustCompile(
	`<Key>deletion_protection\.enabled</Key>\s*<Value>true</Value>|<Value>true</Value>\s*<Key>deletion_protection\.enabled</Key>`)

// Wrap implements Middleware.
func (DeletionProtection) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" || r.Action != "DeleteLoadBalancer" {
			return next(r)
		}
		arn := r.Params.Get("LoadBalancerArn")
		attrs := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeLoadBalancerAttributes"},
			"Version": {"2015-12-01"}, "LoadBalancerArn": {arn}}))
		if attrs.Status == http.StatusOK && deletionProtectionOn.Match(attrs.Body) {
			return errorResponse(r, http.StatusBadRequest, "OperationNotPermitted",
				"Load balancer '"+arn+"' cannot be deleted because deletion protection is enabled")
		}
		return next(r)
	}
}
