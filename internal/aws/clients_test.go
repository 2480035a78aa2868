package aws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/google/go-cmp/cmp"
)

// recorder is an endpoint that notes which service each request signed for
// (from the credential scope) and answers 400, which ends the call at once.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		scope := req.Header.Get("Authorization") // .../20060102/region/service/aws4_request
		parts := strings.Split(strings.SplitN(scope, "Credential=", 2)[len(strings.SplitN(scope, "Credential=", 2))-1], "/")
		service := "?"
		if len(parts) > 3 {
			service = parts[3]
		}
		r.mu.Lock()
		r.seen = append(r.seen, service)
		r.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) services() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.seen...)
	sort.Strings(out)
	return out
}

// callEach makes one call with every client; each fails at the recorder.
func callEach(ctx context.Context, c *Clients) {
	_, _ = c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	_, _ = c.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	_, _ = c.Tagging.GetResources(ctx, &tagging.GetResourcesInput{})
	_, _ = c.ACM.ListCertificates(ctx, &acm.ListCertificatesInput{})
	_, _ = c.IAM.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})
}

func clearAWSEnvironment(t *testing.T) {
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

var static = credentials.NewStaticCredentialsProvider("AKID", "secret", "")

// TestEndpointFromEnvironment: with no --aws-api-endpoints, the SDK's
// standard settings choose the endpoint (AWS_ENDPOINT_URL for all, a
// service's own variable for it); the flag wins over both.
func TestEndpointFromEnvironment(t *testing.T) {
	all := []string{"acm", "ec2", "elasticloadbalancing", "iam", "tagging"}
	for _, tc := range []struct {
		name     string
		env      map[string]string // values "all", "ec2", "flag" are replaced by the recorders' URLs
		flag     map[string]string
		wantAll  []string
		wantEC2  []string
		wantFlag []string
	}{
		{name: "AWS_ENDPOINT_URL alone", env: map[string]string{"AWS_ENDPOINT_URL": "all"}, wantAll: all},
		{name: "a service's own variable wins for it", env: map[string]string{"AWS_ENDPOINT_URL": "all",
			"AWS_ENDPOINT_URL_EC2": "ec2"}, wantAll: []string{"acm", "elasticloadbalancing", "iam", "tagging"},
			wantEC2: []string{"ec2"}},
		{name: "the flag wins over the environment", env: map[string]string{"AWS_ENDPOINT_URL": "all",
			"AWS_ENDPOINT_URL_EC2": "ec2"}, flag: map[string]string{"EC2": "flag", "Elastic Load Balancing v2": "flag"},
			wantAll: []string{"acm", "iam", "tagging"}, wantFlag: []string{"ec2", "elasticloadbalancing"}},
		{name: "the flag alone", flag: EndpointsFor("flag"), wantFlag: all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearAWSEnvironment(t)
			recorders := map[string]*recorder{"all": newRecorder(t), "ec2": newRecorder(t), "flag": newRecorder(t)}
			for k, v := range tc.env {
				t.Setenv(k, recorders[v].URL)
			}
			flag := map[string]string{}
			for k, v := range tc.flag {
				flag[k] = recorders[v].URL
			}
			c, err := NewClients(t.Context(), Config{Region: "eu-west-1", Endpoints: flag, Credentials: static})
			if err != nil {
				t.Fatal(err)
			}
			callEach(t.Context(), c)
			got := map[string][]string{"all": recorders["all"].services(), "ec2": recorders["ec2"].services(),
				"flag": recorders["flag"].services()}
			want := map[string][]string{"all": tc.wantAll, "ec2": tc.wantEC2, "flag": tc.wantFlag}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("services signed for at each endpoint (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRegion: the flag, then AWS_DEFAULT_REGION (LBC reads it first), then
// AWS_REGION; none of them is a start-up error.
func TestRegion(t *testing.T) {
	for _, tc := range []struct {
		name, flag, defaultRegion, region, want, err string
	}{
		{name: "flag wins", flag: "eu-west-1", defaultRegion: "us-east-1", region: "us-east-2", want: "eu-west-1"},
		{name: "AWS_DEFAULT_REGION before AWS_REGION", defaultRegion: "us-east-1", region: "us-east-2", want: "us-east-1"},
		{name: "AWS_REGION", region: "us-east-2", want: "us-east-2"},
		{name: "none", err: "no AWS region: set --aws-region, AWS_REGION or AWS_DEFAULT_REGION (the instance metadata " +
			"did not answer: operation error ec2imds: GetRegion, access disabled to EC2 IMDS via client option, or " +
			"\"AWS_EC2_METADATA_DISABLED\" environment variable)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearAWSEnvironment(t)
			t.Setenv("AWS_DEFAULT_REGION", tc.defaultRegion)
			t.Setenv("AWS_REGION", tc.region)
			c, err := NewClients(t.Context(), Config{Region: tc.flag, Credentials: static})
			var got, gotErr string
			if err != nil {
				gotErr = err.Error()
			} else {
				got = c.Region
			}
			if got != tc.want || gotErr != tc.err {
				t.Errorf("region %q, error %q; want %q, %q", got, gotErr, tc.want, tc.err)
			}
		})
	}
}
