package aws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestAccessDeniedReported checks that a refused call comes back as an
// AccessDeniedError naming the permission, counts in the metric every
// time, and reaches the hook once per operation.
func TestAccessDeniedReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		if strings.Contains(r.Header.Get("Authorization"), "/ec2/") {
			_, _ = w.Write([]byte(`<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>1</RequestID></Response>`))
			return
		}
		if strings.Contains(string(body), "Action=CreateTargetGroup") {
			// A create whose tagging was refused: AWS names the tagging action.
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: u is not authorized to perform: elasticloadbalancing:AddTags on resource: arn because no identity-based policy allows the elasticloadbalancing:AddTags action</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
			return
		}
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: u is not authorized</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
	}))
	defer srv.Close()
	ctx := context.Background()
	c, err := NewClients(ctx, Config{Region: "us-west-2", Endpoints: EndpointsFor(srv.URL), MaxRetries: 3,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	if err != nil {
		t.Fatal(err)
	}
	var hooked []string
	c.OnAccessDenied(func(d AccessDenied) { hooked = append(hooked, d.Permission) })
	counter := accessDenied.WithLabelValues(elbv2.ServiceID, "AddTags", "elasticloadbalancing:AddTags")
	before := testutil.ToFloat64(counter)
	for range 2 {
		_, err = c.ELBV2.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{"arn"}, Tags: []elbv2types.Tag{{Key: aws.String("k")}}})
		var denied *AccessDeniedError
		if !errors.As(err, &denied) || denied.Permission != "elasticloadbalancing:AddTags" {
			t.Fatalf("error %v is not an AccessDeniedError for elasticloadbalancing:AddTags", err)
		}
		if !strings.Contains(err.Error(), "missing IAM permission elasticloadbalancing:AddTags") || ErrorCode(err) != "AccessDenied" {
			t.Errorf("error %q: want the permission named and code AccessDenied (got %s)", err, ErrorCode(err))
		}
		if Classify(err) != External {
			t.Errorf("class %v, want External (retried with backoff)", Classify(err))
		}
	}
	_, err = c.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"sg-1"}, Tags: []ec2types.Tag{{Key: aws.String("k")}}})
	if !strings.Contains(err.Error(), "missing IAM permission ec2:CreateTags") {
		t.Errorf("EC2 error %q does not name ec2:CreateTags", err)
	}
	_, err = c.ELBV2.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("tg")})
	if !strings.Contains(err.Error(), "missing IAM permission elasticloadbalancing:AddTags") {
		t.Errorf("error %q does not name the tagging permission AWS refused", err)
	}
	if got := testutil.ToFloat64(counter) - before; got != 2 {
		t.Errorf("counter rose by %v, want 2 (refusals are not retried)", got)
	}
	if diff := cmp.Diff([]string{"elasticloadbalancing:AddTags", "ec2:CreateTags", "elasticloadbalancing:AddTags"}, hooked); diff != "" {
		t.Errorf("first refusals reported (-want +got):\n%s", diff)
	}
}
