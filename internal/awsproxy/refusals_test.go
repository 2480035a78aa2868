package awsproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// answer is what a test compares of a response: status and error code, or
// the body when the call went through.
type answer struct {
	Status int
	Code   string
	Body   string
}

func answerOf(resp *Response) answer {
	if resp.Status != http.StatusOK {
		return answer{Status: resp.Status, Code: errorCode(resp.Body)}
	}
	return answer{Status: resp.Status, Body: string(resp.Body)}
}

const heldARN = "arn:aws:acm:us-west-2:111111111111:certificate/held"

func elbCall(action string, params ...string) *Request {
	v := url.Values{"Action": {action}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return &Request{Service: "elasticloadbalancing", Action: action, Params: v, Header: http.Header{}, Account: "111111111111"}
}

func acmDescribe(arn string) *Request {
	return &Request{Service: "acm", Action: "DescribeCertificate", Account: "111111111111",
		Header: http.Header{"X-Amz-Target": {"CertificateManager.DescribeCertificate"}},
		Body:   []byte(fmt.Sprintf(`{"CertificateArn":%q}`, arn))}
}

// TestCertificatesHeldBack: a held certificate is missing or pending in
// ACM and refused on listeners with ELBv2's codes, until released.
func TestCertificatesHeldBack(t *testing.T) {
	c := NewCertificates()
	emulator := func(r *Request) *Response {
		if r.Service == "acm" {
			return &Response{Status: 200, Body: []byte(`{"Certificate":{"CertificateArn":"` + heldARN +
				`","Status":"ISSUED","IssuedAt":1}}`)}
		}
		return &Response{Status: 200, Body: []byte("created")}
	}
	h := c.Wrap(emulator)
	listener := func() *Request {
		return elbCall("CreateListener", "Port", "443", "Certificates.member.1.CertificateArn", heldARN)
	}
	var got []answer
	c.Hold(heldARN, CertificateMissing)
	got = append(got, answerOf(h(acmDescribe(heldARN))), answerOf(h(listener())))
	c.Hold(heldARN, "PENDING_VALIDATION")
	got = append(got, answerOf(h(acmDescribe(heldARN))), answerOf(h(listener())))
	c.Release(heldARN)
	got = append(got, answerOf(h(acmDescribe(heldARN))), answerOf(h(listener())))
	want := []answer{
		{Status: 400, Code: "ResourceNotFoundException"}, {Status: 400, Code: "CertificateNotFound"},
		{Status: 200, Body: `{"Certificate":{"CertificateArn":"` + heldARN + `","Status":"PENDING_VALIDATION"}}`},
		{Status: 400, Code: "UnsupportedCertificate"},
		{Status: 200, Body: `{"Certificate":{"CertificateArn":"` + heldARN + `","Status":"ISSUED","IssuedAt":1}}`},
		{Status: 200, Body: "created"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// fakeELB answers the look-ups the refusals make: two SSL policies, a
// load balancer with n listeners, a TCP target group "tcp" and an HTTP one.
func fakeELB(listeners int) Handler {
	return func(r *Request) *Response {
		switch r.Action {
		case "DescribeSSLPolicies":
			if r.Params.Get("Names.member.1") == "ELBSecurityPolicy-2016-08" {
				return &Response{Status: 200, Body: []byte(`<SslPolicies><member><Name>ELBSecurityPolicy-2016-08</Name></member></SslPolicies>`)}
			}
			return &Response{Status: 200, Body: []byte(`<SslPolicies/>`)}
		case "DescribeListeners":
			return &Response{Status: 200, Body: []byte(strings.Repeat("<member><ListenerArn>l</ListenerArn></member>", listeners))}
		case "DescribeTargetGroups":
			proto := "HTTP"
			if r.Params.Get("TargetGroupArns.member.1") == "tcp" {
				proto = "TCP"
			}
			return &Response{Status: 200, Body: []byte(`<HealthCheckProtocol>HTTP</HealthCheckProtocol><Protocol>` + proto + `</Protocol>`)}
		}
		return &Response{Status: 200, Body: []byte("done")}
	}
}

func TestELBRefusals(t *testing.T) {
	tests := []struct {
		name      string
		listeners int
		req       *Request
		want      answer
	}{
		{"known SSL policy", 0, elbCall("CreateListener", "SslPolicy", "ELBSecurityPolicy-2016-08"), answer{200, "", "done"}},
		{"unknown SSL policy", 0, elbCall("CreateListener", "SslPolicy", "ELBSecurityPolicy-2099"), answer{400, "SSLPolicyNotFound", ""}},
		{"unknown SSL policy on modify", 0, elbCall("ModifyListener", "SslPolicy", "x"), answer{400, "SSLPolicyNotFound", ""}},
		{"no SSL policy", 0, elbCall("CreateListener", "Port", "80"), answer{200, "", "done"}},
		{"the 50th listener", 49, elbCall("CreateListener", "Port", "80"), answer{200, "", "done"}},
		{"the 51st listener", 50, elbCall("CreateListener", "Port", "80"), answer{400, "TooManyListeners", ""}},
		{"NLB attribute on a TCP group", 0, elbCall("ModifyTargetGroupAttributes", "TargetGroupArn", "tcp",
			"Attributes.member.1.Key", "preserve_client_ip.enabled", "Attributes.member.1.Value", "true"), answer{200, "", "done"}},
		{"unknown attribute key", 0, elbCall("ModifyTargetGroupAttributes", "TargetGroupArn", "tcp",
			"Attributes.member.1.Key", "stickiness.bogus", "Attributes.member.1.Value", "true"), answer{400, "ValidationError", ""}},
		{"ALB attribute on a TCP group", 0, elbCall("ModifyTargetGroupAttributes", "TargetGroupArn", "tcp",
			"Attributes.member.1.Key", "slow_start.duration_seconds", "Attributes.member.1.Value", "30"),
			answer{400, "InvalidConfigurationRequest", ""}},
		{"ALB attribute on an HTTP group", 0, elbCall("ModifyTargetGroupAttributes", "TargetGroupArn", "http",
			"Attributes.member.1.Key", "slow_start.duration_seconds", "Attributes.member.1.Value", "30"), answer{200, "", "done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := answerOf(ELBRefusals{}.Wrap(fakeELB(tt.listeners))(tt.req))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
