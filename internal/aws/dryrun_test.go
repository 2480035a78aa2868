package aws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
)

// queryAWS answers the query protocol's reads with an empty result and
// fails the test on any other action: a dry run must never send one.
func queryAWS(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		mu.Lock()
		seen = append(seen, action)
		mu.Unlock()
		if !isRead(action) {
			t.Errorf("the dry run sent %s to AWS", action)
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, "<"+action+"Response><"+action+"Result></"+action+"Result></"+action+"Response>")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func dryRunClients(t *testing.T, url string, rec *DryRun) *Clients {
	t.Helper()
	c, err := NewClients(context.Background(), Config{Region: "us-west-2", MaxRetries: 0,
		Endpoints:   map[string]string{ec2.ServiceID: url, elbv2.ServiceID: url},
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		APIOptions:  []func(*middleware.Stack) error{rec.Middleware}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDryRunRecordsMutationsAndSendsReads(t *testing.T) {
	srv, seen := queryAWS(t)
	rec := NewDryRun("us-west-2")
	c := dryRunClients(t, srv.URL, rec)
	ctx := WithPlanScope(context.Background(), "Service default/web")

	if _, err := c.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{}); err != nil {
		t.Fatalf("a read must reach AWS: %v", err)
	}
	out, err := c.ELBV2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("k8s-default-web-1"),
		Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: []string{"subnet-1"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	if !strings.Contains(arn, PlannedMarker) || !strings.Contains(arn, ":loadbalancer/net/k8s-default-web-1/") {
		t.Errorf("made-up ARN %q", arn)
	}
	// A later read of the made-up load balancer is answered here.
	if _, err := c.ELBV2.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(arn)}); err != nil {
		t.Fatalf("read of a planned resource: %v", err)
	}
	sg, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("g"),
		Description: aws.String("d"), VpcId: aws.String("vpc-1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId}); err != nil {
		t.Fatal(err)
	}

	if diff := cmp.Diff([]string{"DescribeLoadBalancers"}, seen()); diff != "" {
		t.Errorf("actions AWS received (-want +got):\n%s", diff)
	}
	var got []string
	for _, call := range rec.Calls() {
		got = append(got, call.Service+" "+call.Operation+" "+call.Scope)
	}
	want := []string{
		"Elastic Load Balancing v2 CreateLoadBalancer Service default/web",
		"EC2 CreateSecurityGroup Service default/web",
		"EC2 AuthorizeSecurityGroupIngress Service default/web",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded calls (-want +got):\n%s", diff)
	}
}

func TestDryRunRefusesUnknownOperations(t *testing.T) {
	srv, seen := queryAWS(t)
	rec := NewDryRun("us-west-2")
	c := dryRunClients(t, srv.URL, rec)
	ctx := context.Background()
	cases := map[string]func() error{
		// Mutations the recorder does not know: never sent, refused.
		"CreateTrustStore": func() error {
			_, err := c.ELBV2.CreateTrustStore(ctx, &elbv2.CreateTrustStoreInput{Name: aws.String("t"),
				CaCertificatesBundleS3Bucket: aws.String("b"), CaCertificatesBundleS3Key: aws.String("k")})
			return err
		},
		"RunInstances": func() error {
			_, err := c.EC2.RunInstances(ctx, &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
			return err
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			var refused *RefusedOperationError
			if err := call(); !errors.As(err, &refused) || refused.Operation != name {
				t.Errorf("want a refusal of %s, got %v", name, err)
			}
		})
	}
	if len(seen()) != 0 || len(rec.Calls()) != 0 {
		t.Errorf("refused calls reached AWS (%v) or were recorded (%d)", seen(), len(rec.Calls()))
	}
}

func TestDryRunModifyListenerAnswersTheWholeListener(t *testing.T) {
	srv, _ := queryAWS(t)
	rec := NewDryRun("us-west-2")
	rec.Listeners = func(_ context.Context, arn string) (*elbtypes.Listener, error) {
		return &elbtypes.Listener{ListenerArn: aws.String(arn), Port: aws.Int32(443), Protocol: elbtypes.ProtocolEnumTls,
			SslPolicy: aws.String("old")}, nil
	}
	c := dryRunClients(t, srv.URL, rec)
	out, err := c.ELBV2.ModifyListener(context.Background(), &elbv2.ModifyListenerInput{ListenerArn: aws.String("arn:l"),
		SslPolicy: aws.String("new")})
	if err != nil {
		t.Fatal(err)
	}
	got := out.Listeners[0]
	if aws.ToInt32(got.Port) != 443 || got.Protocol != elbtypes.ProtocolEnumTls || aws.ToString(got.SslPolicy) != "new" {
		t.Errorf("listener answered: port %d protocol %s policy %s", aws.ToInt32(got.Port), got.Protocol,
			aws.ToString(got.SslPolicy))
	}
}
