package awsproxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCapacityReservations(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/a/1"
	next := func(r *Request) *Response {
		if r.Action == "DescribeLoadBalancers" && r.Params.Get("LoadBalancerArns.member.1") != arn {
			return errorResponse(r, http.StatusBadRequest, "LoadBalancerNotFound", "no")
		}
		return &Response{Status: http.StatusOK}
	}
	h := NewCapacityReservations().Wrap(next)
	call := func(action string, kv ...string) *Response {
		p := url.Values{"Action": {action}, "LoadBalancerArn": {arn}}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Set(kv[i], kv[i+1])
		}
		return h(&Request{Service: "elasticloadbalancing", Action: action, Params: p, Header: http.Header{}})
	}
	type step struct {
		Status int
		Units  bool // the answer shows a reservation
		Text   string
	}
	summary := func(resp *Response) step {
		s := step{Status: resp.Status, Units: strings.Contains(string(resp.Body), "<CapacityUnits>")}
		if i := strings.Index(string(resp.Body), "<CapacityUnits>"); i >= 0 {
			s.Text = string(resp.Body[i : i+len("<CapacityUnits>")+4])
		}
		if resp.Status != http.StatusOK {
			s.Text = string(resp.Body)[strings.Index(string(resp.Body), "<Code>"):strings.Index(string(resp.Body), "</Code>")]
		}
		return s
	}
	got := []step{
		summary(call("DescribeCapacityReservation")),
		summary(call("ModifyCapacityReservation", "MinimumLoadBalancerCapacity.CapacityUnits", "1500")),
		summary(call("DescribeCapacityReservation")),
		summary(call("ModifyCapacityReservation")),
		summary(call("ModifyCapacityReservation", "MinimumLoadBalancerCapacity.CapacityUnits", "0")),
		summary(call("ModifyCapacityReservation", "ResetCapacityReservation", "true")),
		summary(call("DescribeCapacityReservation")),
		summary(h(&Request{Service: "elasticloadbalancing", Action: "DescribeCapacityReservation",
			Params: url.Values{"LoadBalancerArn": {arn + "9"}}, Header: http.Header{}})),
	}
	want := []step{
		{Status: 200},
		{Status: 200, Units: true, Text: "<CapacityUnits>1500"},
		{Status: 200, Units: true, Text: "<CapacityUnits>1500"},
		{Status: 400, Text: "<Code>ValidationError"},
		{Status: 400, Text: "<Code>ValidationError"},
		{Status: 200},
		{Status: 200},
		{Status: 400, Text: "<Code>LoadBalancerNotFound"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
