package awsproxy

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeletionProtection: DeleteLoadBalancer is refused with AWS's code and
// words while the attribute is true, and goes through once it is false.
func TestDeletionProtection(t *testing.T) {
	protected := "true"
	var deletes int
	emulator := func(r *Request) *Response {
		switch r.Action {
		case "DescribeLoadBalancerAttributes":
			return &Response{Status: 200, Body: []byte(`<DescribeLoadBalancerAttributesResponse><DescribeLoadBalancerAttributesResult>` +
				`<Attributes><member><Key>access_logs.s3.enabled</Key><Value>true</Value></member>` +
				`<member><Key>deletion_protection.enabled</Key><Value>` + protected + `</Value></member></Attributes>` +
				`</DescribeLoadBalancerAttributesResult></DescribeLoadBalancerAttributesResponse>`)}
		case "DeleteLoadBalancer":
			deletes++
			return &Response{Status: 200, Body: []byte("deleted")}
		}
		return &Response{Status: 200}
	}
	h := DeletionProtection{}.Wrap(emulator)
	arn := "arn:aws:elasticloadbalancing:us-west-2:111111111111:loadbalancer/net/lb/1"
	resp := h(elbCall("DeleteLoadBalancer", "LoadBalancerArn", arn))
	want := errorResponse(elbCall("DeleteLoadBalancer"), http.StatusBadRequest, "OperationNotPermitted",
		"Load balancer '"+arn+"' cannot be deleted because deletion protection is enabled")
	if diff := cmp.Diff(string(want.Body), string(resp.Body)); diff != "" || resp.Status != http.StatusBadRequest || deletes != 0 {
		t.Errorf("protected: status %d, deletes %d, body (-want +got):\n%s", resp.Status, deletes, diff)
	}
	protected = "false"
	if resp := h(elbCall("DeleteLoadBalancer", "LoadBalancerArn", arn)); resp.Status != 200 || deletes != 1 {
		t.Errorf("unprotected: status %d, deletes %d", resp.Status, deletes)
	}
}
