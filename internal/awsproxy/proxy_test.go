package awsproxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFaultsMatchAccountServiceAction(t *testing.T) {
	f := NewFaults()
	f.Set(FaultRule{Caller: "111111111111", Service: "ec2", Action: "DescribeSubnets", Rate: 1, Code: CodeRequestLimitExceeded})
	served := 0
	h := f.Wrap(func(*Request) *Response { served++; return &Response{Status: 200} })
	for _, tc := range []struct {
		req     Request
		faulted bool
	}{
		{Request{Caller: "111111111111", Service: "ec2", Action: "DescribeSubnets", Header: http.Header{}}, true},
		{Request{Caller: "111111111111observer", Service: "ec2", Action: "DescribeSubnets", Header: http.Header{}}, false},
		{Request{Caller: "111111111111", Service: "ec2", Action: "DescribeVpcs", Header: http.Header{}}, false},
	} {
		r := tc.req
		resp := h(&r)
		if got := resp.Status == http.StatusServiceUnavailable; got != tc.faulted {
			t.Errorf("%+v: faulted %v, want %v", tc.req, got, tc.faulted)
		}
		if tc.faulted && !strings.Contains(string(resp.Body), "<Code>RequestLimitExceeded</Code>") {
			t.Errorf("EC2 error body %s", resp.Body)
		}
	}
	if served != 2 {
		t.Errorf("served %d, want 2", served)
	}
}

func TestFaultRateIsApproximate(t *testing.T) {
	f := NewFaults()
	f.Set(Throttle("", 0.3)...)
	h := f.Wrap(func(*Request) *Response { return &Response{Status: 200} })
	throttled := 0
	for i := 0; i < 1000; i++ {
		if h(&Request{Service: "elasticloadbalancing", Header: http.Header{}}).Status != 200 {
			throttled++
		}
	}
	if throttled < 250 || throttled > 350 {
		t.Errorf("throttled %d of 1000 at rate 0.3", throttled)
	}
}

func TestProvisioningRewritesYoungLoadBalancersOnly(t *testing.T) {
	p := NewProvisioning(time.Minute)
	create := `<CreateLoadBalancerResponse><LoadBalancers><member><LoadBalancerArn>arn:young</LoadBalancerArn>` +
		`<State><Code>active</Code></State></member></LoadBalancers></CreateLoadBalancerResponse>`
	describe := `<LoadBalancers><member><LoadBalancerArn>arn:old</LoadBalancerArn><State><Code>active</Code></State>` +
		`</member><member><LoadBalancerArn>arn:young</LoadBalancerArn><AvailabilityZones><member><ZoneName>a</ZoneName>` +
		`</member></AvailabilityZones><State><Code>active</Code></State></member></LoadBalancers>`
	answer := create
	h := p.Wrap(func(*Request) *Response { return &Response{Status: 200, Body: []byte(answer)} })
	h(&Request{Service: "elasticloadbalancing", Action: "CreateLoadBalancer"})
	answer = describe
	got := string(h(&Request{Service: "elasticloadbalancing", Action: "DescribeLoadBalancers"}).Body)
	want := strings.Replace(describe, `arn:young</LoadBalancerArn><AvailabilityZones><member><ZoneName>a</ZoneName>`+
		`</member></AvailabilityZones><State><Code>active`, `arn:young</LoadBalancerArn><AvailabilityZones><member>`+
		`<ZoneName>a</ZoneName></member></AvailabilityZones><State><Code>provisioning`, 1)
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestCallLogKeepsKeyParamsAndErrorCodes(t *testing.T) {
	l := NewCallLog()
	h := l.Wrap(func(*Request) *Response {
		return &Response{Status: 400, Body: []byte(`<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>`)}
	})
	h(&Request{Service: "elasticloadbalancing", Action: "CreateListener",
		Params: url.Values{"Action": {"CreateListener"}, "Port": {"80"}, "LoadBalancerArn": {"arn:x"}, "Certificates.member.1.CertificateArn": {"c"}}})
	calls := l.Calls()
	if len(calls) != 1 || calls[0].ErrorCode != "Throttling" || calls[0].Params["Port"] != "80" ||
		calls[0].Params["LoadBalancerArn"] != "arn:x" || !calls[0].Mutating() {
		t.Errorf("%+v", calls)
	}
}

func TestParseRequest(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-west-2/ec2/aws4_request, SignedHeaders=host")
	req := parseRequest(r, []byte("Action=DescribeSubnets&Version=2016-11-15"))
	if req.Service != "ec2" || req.Action != "DescribeSubnets" || accessKey(req) != "123456789012" {
		t.Errorf("%+v", req)
	}
	r.Header.Set("X-Amz-Target", "ResourceGroupsTaggingAPI_20170126.GetResources")
	if req := parseRequest(r, []byte("{}")); req.Action != "GetResources" {
		t.Errorf("%+v", req)
	}
}

func TestCallLogKeepsWhatACreateMade(t *testing.T) {
	l := NewCallLog()
	answer := &Response{Status: 200, Body: []byte(`<CreateListenerResponse><CreateListenerResult><Listeners><member>` +
		`<LoadBalancerArn>arn:lb</LoadBalancerArn><ListenerArn>arn:listener</ListenerArn></member></Listeners>` +
		`</CreateListenerResult></CreateListenerResponse>`)}
	h := l.Wrap(func(*Request) *Response { return answer })
	h(&Request{Service: "elasticloadbalancing", Action: "CreateListener",
		Params: url.Values{"Action": {"CreateListener"}, "LoadBalancerArn": {"arn:lb"}, "Port": {"80"}}})
	answer = &Response{Status: 400, Body: []byte(`<ErrorResponse><Error><Code>DuplicateListener</Code></Error></ErrorResponse>`)}
	h(&Request{Service: "elasticloadbalancing", Action: "CreateListener",
		Params: url.Values{"Action": {"CreateListener"}, "LoadBalancerArn": {"arn:lb"}, "Port": {"80"}}})
	want := []Call{
		{Service: "elasticloadbalancing", Action: "CreateListener", Status: 200, Created: "arn:listener",
			Params: map[string]string{"LoadBalancerArn": "arn:lb", "Port": "80"}},
		{Service: "elasticloadbalancing", Action: "CreateListener", Status: 400, ErrorCode: "DuplicateListener",
			Params: map[string]string{"LoadBalancerArn": "arn:lb", "Port": "80"}},
	}
	if diff := cmp.Diff(want, l.Calls(), cmpopts.IgnoreFields(Call{}, "Time", "Duration")); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
