package awsproxy

import (
	"html"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeListenerEmulator answers as moto does: one listener whose answers
// list every certificate it was ever given, the first one first.
func fakeListenerEmulator(arn string, certs *[]string) Handler {
	listener := func() string {
		out := "<member><ListenerArn>" + arn + "</ListenerArn><Port>443</Port><Protocol>TLS</Protocol><Certificates>"
		for _, c := range *certs {
			out += "<member><CertificateArn>" + c + "</CertificateArn></member>"
		}
		return out + "</Certificates><SslPolicy>p</SslPolicy></member>"
	}
	return func(r *Request) *Response {
		switch r.Action {
		case "CreateListener", "ModifyListener":
			*certs = append(*certs, requestCertificates(r.Params)...)
			return &Response{Status: 200, Body: []byte("<" + r.Action + "Response><Listeners>" + listener() +
				"</Listeners></" + r.Action + "Response>")}
		case "DescribeListeners":
			if a := r.Params.Get("ListenerArns.member.1"); a != "" && a != arn {
				return errorResponse(r, http.StatusBadRequest, "ListenerNotFound", "The specified listener does not exist.")
			}
			return &Response{Status: 200, Body: []byte("<DescribeListenersResponse><Listeners>" + listener() +
				"</Listeners></DescribeListenersResponse>")}
		}
		return &Response{Status: 500, Body: []byte("unexpected " + r.Action)}
	}
}

var (
	certMember    = regexp.MustCompile(`<CertificateArn>([^<]+)</CertificateArn>(<IsDefault>(\w+)</IsDefault>)?`)
	errorCodeElem = regexp.MustCompile(`<Code>([^<]+)</Code><Message>([^<]*)</Message>`)
)

// certsOf lists an answer's certificates ("c1*" for a default one), or its
// error code and message.
func certsOf(resp *Response) []string {
	if m := errorCodeElem.FindSubmatch(resp.Body); m != nil {
		return []string{string(m[1]), html.UnescapeString(string(m[2]))}
	}
	out := []string{}
	for _, m := range certMember.FindAllSubmatch(resp.Body, -1) {
		c := string(m[1])
		if string(m[3]) == "true" {
			c += "*"
		}
		out = append(out, c)
	}
	return out
}

// TestListenerCertificates: one certificate per create or modify, as AWS
// takes them; the default alone in listener answers; the others added,
// listed and removed by the listener-certificate calls.
func TestListenerCertificates(t *testing.T) {
	arn := "arn:aws:elasticloadbalancing:us-west-2:111111111111:listener/net/lb/1/2"
	var emulated []string
	h := NewListenerCertificates().Wrap(fakeListenerEmulator(arn, &emulated))
	steps := []struct {
		name string
		req  *Request
		want []string
	}{
		{"two certificates at creation", elbCall("CreateListener", "Protocol", "TLS",
			"Certificates.member.1.CertificateArn", "c1", "Certificates.member.2.CertificateArn", "c2"),
			[]string{"ValidationError", "Up to '1' certificate ARNs can be specified, but '2' were specified"}},
		{"one at creation", elbCall("CreateListener", "Protocol", "TLS", "Certificates.member.1.CertificateArn", "c1"),
			[]string{"c1"}},
		{"add c2", elbCall("AddListenerCertificates", "ListenerArn", arn, "Certificates.member.1.CertificateArn", "c2"),
			[]string{"c2"}},
		{"add c3", elbCall("AddListenerCertificates", "ListenerArn", arn, "Certificates.member.1.CertificateArn", "c3"),
			[]string{"c2", "c3"}},
		{"listed", elbCall("DescribeListenerCertificates", "ListenerArn", arn), []string{"c1*", "c2", "c3"}},
		{"the listener shows its default only", elbCall("DescribeListeners", "ListenerArns.member.1", arn), []string{"c1"}},
		{"two certificates on modify", elbCall("ModifyListener", "ListenerArn", arn,
			"Certificates.member.1.CertificateArn", "c1", "Certificates.member.2.CertificateArn", "c4"),
			[]string{"ValidationError", "Up to '1' certificate ARNs can be specified, but '2' were specified"}},
		{"a new default", elbCall("ModifyListener", "ListenerArn", arn, "Certificates.member.1.CertificateArn", "c4"),
			[]string{"c4"}},
		{"the listener shows the new default", elbCall("DescribeListeners", "ListenerArns.member.1", arn), []string{"c4"}},
		{"remove c2", elbCall("RemoveListenerCertificates", "ListenerArn", arn, "Certificates.member.1.CertificateArn", "c2"),
			[]string{}},
		{"listed after", elbCall("DescribeListenerCertificates", "ListenerArn", arn), []string{"c4*", "c3"}},
		{"unknown listener", elbCall("DescribeListenerCertificates", "ListenerArn", arn+"x"),
			[]string{"ListenerNotFound", "The specified listener does not exist."}},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, certsOf(h(s.req))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}
