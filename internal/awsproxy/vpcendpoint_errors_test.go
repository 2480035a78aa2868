package awsproxy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// TestVPCEndpointErrorsAsAWS: the errors the proxy adds for what moto lets
// through reach the SDK with AWS's code and message, word for word (the
// messages ACK's own tests match).
func TestVPCEndpointErrorsAsAWS(t *testing.T) {
	const s3 = "com.amazonaws.us-west-2.s3"
	v := NewVPCEndpoints()
	var created int
	h := v.Wrap(func(r *Request) *Response {
		switch r.Action {
		case "DescribeVpcEndpointServices":
			return &Response{Status: 200, Body: []byte(`<DescribeVpcEndpointServicesResponse><serviceNameSet>` +
				`<item>` + s3 + `</item></serviceNameSet><serviceDetailSet><item><serviceName>` + s3 +
				`</serviceName></item></serviceDetailSet></DescribeVpcEndpointServicesResponse>`)}
		case "CreateVpcEndpoint":
			created++
			return &Response{Status: 200, Body: []byte(`<CreateVpcEndpointResponse><vpcEndpoint><vpcEndpointId>vpce-0123` +
				`</vpcEndpointId><state>available</state></vpcEndpoint></CreateVpcEndpointResponse>`)}
		}
		return &Response{Status: 500}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			t.Error(err)
		}
		resp := h(&Request{Service: "ec2", Action: req.Form.Get("Action"), Params: req.Form, Header: req.Header})
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	}))
	defer srv.Close()
	api := ec2.NewFromConfig(aws.Config{Region: "us-west-2", Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1}, func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	tests := []struct {
		name, vpc, service string
		want               string // "code: message", "" for a create
	}{
		{"malformed VPC id", "MalformedVpcId", s3, "InvalidVpcId.Malformed: Invalid Id: 'MalformedVpcId' (expecting " +
			"'vpc-...; the Id may only contain lowercase alphanumeric characters and a single dash')"},
		{"VPC id with upper case", "vpc-0123ABCD", s3, "InvalidVpcId.Malformed: Invalid Id: 'vpc-0123ABCD' (expecting " +
			"'vpc-...; the Id may only contain lowercase alphanumeric characters and a single dash')"},
		{"unknown service", "vpc-0123abcd", "InvalidService",
			"InvalidServiceName: The Vpc Endpoint Service 'InvalidService' does not exist"},
		{"a service moto lists", "vpc-0123abcd", s3, ""},
	}
	var got, want []string
	for _, tt := range tests {
		_, err := api.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{VpcId: aws.String(tt.vpc),
			ServiceName: aws.String(tt.service)})
		var apiErr smithy.APIError
		msg := ""
		switch {
		case errors.As(err, &apiErr):
			msg = apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
		case err != nil:
			msg = err.Error()
		}
		got, want = append(got, tt.name+" -> "+msg), append(want, tt.name+" -> "+tt.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if created != 1 {
		t.Errorf("%d creates reached the emulator, want only the valid one", created)
	}
}
