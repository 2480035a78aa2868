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

// TestPrefixListRefusal: an authorize naming a prefix list the emulator
// lacks is refused as AWS refuses it; one naming an existing list goes on.
func TestPrefixListRefusal(t *testing.T) {
	const known = "pl-0123456789abcdef0"
	var forwarded []string
	next := func(r *Request) *Response {
		forwarded = append(forwarded, r.Action)
		if r.Action == "DescribeManagedPrefixLists" {
			body := "<DescribeManagedPrefixListsResponse><prefixListSet>"
			for k, v := range r.Params {
				if strings.HasPrefix(k, "Filter.1.Value.") && v[0] == known {
					body += "<item><prefixListId>" + known + "</prefixListId></item>"
				}
			}
			return &Response{Status: http.StatusOK, Body: []byte(body + "</prefixListSet></DescribeManagedPrefixListsResponse>")}
		}
		return &Response{Status: http.StatusOK}
	}
	h := prefixListRefusals{}.Wrap(next)
	authorize := func(id string) int {
		p := url.Values{"GroupId": {"sg-f"}, "IpPermissions.1.IpProtocol": {"tcp"},
			"IpPermissions.1.FromPort": {"80"}, "IpPermissions.1.ToPort": {"80"},
			"IpPermissions.1.PrefixListIds.1.PrefixListId": {id}}
		return h(&Request{Service: "ec2", Action: "AuthorizeSecurityGroupIngress", Params: p, Header: http.Header{}}).Status
	}
	got := []any{authorize("pl-00000000000000000"), authorize(known), forwarded}
	want := []any{http.StatusBadRequest, http.StatusOK,
		[]string{"DescribeManagedPrefixLists", "DescribeManagedPrefixLists", "AuthorizeSecurityGroupIngress"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
