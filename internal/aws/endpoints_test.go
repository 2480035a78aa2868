package aws

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const allowedIDs = "ACM, EC2, Elastic Load Balancing v2, Global Accelerator, IAM, Resource Groups Tagging API, STS, " +
	"Shield, WAF Regional, WAFV2"

func TestParseEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string
		errs []string
	}{
		{name: "empty", in: "", want: map[string]string{}},
		{name: "LBC's form", in: "EC2=https://ec2.example,Elastic Load Balancing v2=https://elb.example:8443/x",
			want: map[string]string{"EC2": "https://ec2.example", "Elastic Load Balancing v2": "https://elb.example:8443/x"}},
		{name: "every key LBC knows", in: "ACM=http://a,WAFV2=http://b,WAF Regional=http://c,Shield=http://d,STS=http://e," +
			"Resource Groups Tagging API=http://f,Global Accelerator=http://g,IAM=http://h",
			want: map[string]string{"ACM": "http://a", "WAFV2": "http://b", "WAF Regional": "http://c", "Shield": "http://d",
				"STS": "http://e", "Resource Groups Tagging API": "http://f", "Global Accelerator": "http://g", "IAM": "http://h"}},
		{name: "quoted value with a comma", in: `"EC2=http://h/a,b",ACM=http://a`,
			want: map[string]string{"EC2": "http://h/a,b", "ACM": "http://a"}},
		{name: "later pair wins", in: "EC2=http://one,EC2=http://two", want: map[string]string{"EC2": "http://two"}},
		{name: "one URL for all is not LBC's form", in: "http://127.0.0.1:4566",
			errs: []string{`--aws-api-endpoints: "http://127.0.0.1:4566" is not serviceID=URL (a single URL for every service is AWS_ENDPOINT_URL)`}},
		{name: "SDK v1 ids name the SDK v2 id", in: "ec2=http://a,elasticloadbalancing=http://b,tagging=http://c",
			errs: []string{
				`--aws-api-endpoints: unknown service id "ec2" (use "EC2"); allowed: ` + allowedIDs,
				`--aws-api-endpoints: unknown service id "elasticloadbalancing" (use "Elastic Load Balancing v2"); allowed: ` + allowedIDs,
				`--aws-api-endpoints: unknown service id "tagging" (use "Resource Groups Tagging API"); allowed: ` + allowedIDs}},
		{name: "wrong case", in: "Elastic Load Balancing V2=http://b",
			errs: []string{`--aws-api-endpoints: unknown service id "Elastic Load Balancing V2" (use "Elastic Load Balancing v2"); allowed: ` + allowedIDs}},
		{name: "unknown id", in: "S3=http://b", errs: []string{`--aws-api-endpoints: unknown service id "S3"; allowed: ` + allowedIDs}},
		{name: "not a URL", in: "EC2=ec2.example,ACM=ftp://a,IAM=http://",
			errs: []string{`--aws-api-endpoints: EC2="ec2.example": not an absolute http or https URL`,
				`--aws-api-endpoints: ACM="ftp://a": not an absolute http or https URL`,
				`--aws-api-endpoints: IAM="http://": no host`}},
		{name: "space around a key is not trimmed, as in LBC", in: "EC2=http://a, ACM=http://b",
			errs: []string{`--aws-api-endpoints: unknown service id " ACM" (use "ACM"); allowed: ` + allowedIDs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEndpoints(tc.in)
			var errs []string
			if err != nil {
				errs = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFormatEndpointsRoundTrip: what the test environment passes as the flag
// parses back to the same overrides.
func TestFormatEndpointsRoundTrip(t *testing.T) {
	want := EndpointsFor("http://127.0.0.1:1234")
	flag := FormatEndpoints(want)
	if flag != "ACM=http://127.0.0.1:1234,EC2=http://127.0.0.1:1234,Elastic Load Balancing v2=http://127.0.0.1:1234,"+
		"IAM=http://127.0.0.1:1234,Resource Groups Tagging API=http://127.0.0.1:1234,Shield=http://127.0.0.1:1234,"+
		"WAF Regional=http://127.0.0.1:1234,WAFV2=http://127.0.0.1:1234" {
		t.Errorf("flag %q", flag)
	}
	got, err := ParseEndpoints(flag)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	quoted := map[string]string{"EC2": "http://h/a,b"}
	if got, err := ParseEndpoints(FormatEndpoints(quoted)); err != nil || !cmp.Equal(got, quoted) {
		t.Errorf("comma in a URL: %v, %v", got, err)
	}
}
