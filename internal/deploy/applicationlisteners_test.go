package deploy

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestMutualAuthMatches: what the stack leaves unset matches whatever AWS
// has; a listener AWS reports nothing for is "off".
func TestMutualAuthMatches(t *testing.T) {
	verify := model.MutualAuthentication{Mode: "verify", TrustStore: "arn:ts"}
	yes := true
	for _, tt := range []struct {
		name string
		have *elbtypes.MutualAuthenticationAttributes
		want model.MutualAuthentication
		ok   bool
	}{
		{"off, AWS reports none", nil, model.MutualAuthentication{Mode: "off"}, true},
		{"passthrough asked, off in AWS", nil, model.MutualAuthentication{Mode: "passthrough"}, false},
		{"verify, same store, the rest AWS's", &elbtypes.MutualAuthenticationAttributes{Mode: aws.String("verify"),
			TrustStoreArn: aws.String("arn:ts"), IgnoreClientCertificateExpiry: aws.Bool(false),
			AdvertiseTrustStoreCaNames: elbtypes.AdvertiseTrustStoreCaNamesEnumOff}, verify, true},
		{"verify, another store", &elbtypes.MutualAuthenticationAttributes{Mode: aws.String("verify"),
			TrustStoreArn: aws.String("arn:other")}, verify, false},
		{"verify, expiry asked", &elbtypes.MutualAuthenticationAttributes{Mode: aws.String("verify"),
			TrustStoreArn: aws.String("arn:ts"), IgnoreClientCertificateExpiry: aws.Bool(false)},
			model.MutualAuthentication{Mode: "verify", TrustStore: "arn:ts", IgnoreClientCertificateExpiry: &yes}, false},
	} {
		if got := mutualAuthMatches(readMutualAuthentication(tt.have), tt.want); got != tt.ok {
			t.Errorf("%s: match %v, want %v", tt.name, got, tt.ok)
		}
	}
}

// TestApplicationTargetGroupOptions: a gRPC target group's matcher holds
// gRPC codes; the protocol version cannot change in place, but one side
// not naming it (an NLB's target group, an older read) is no change.
func TestApplicationTargetGroupOptions(t *testing.T) {
	hc := model.HealthCheck{Protocol: "HTTP", Port: "traffic-port", Path: "/AWS.ALB/healthcheck", Matcher: "12"}
	_, _, grpc := healthCheckInput(hc, model.ApplicationTargetGroup{ProtocolVersion: "GRPC", GRPCMatcher: true})
	_, _, http := healthCheckInput(hc, model.ApplicationTargetGroup{})
	if diff := cmp.Diff([]*elbtypes.Matcher{{GrpcCode: aws.String("12")}, {HttpCode: aws.String("12")}},
		[]*elbtypes.Matcher{grpc, http}, cmp.AllowUnexported(elbtypes.Matcher{})); diff != "" {
		t.Errorf("matchers (-want +got):\n%s", diff)
	}
	want := model.TargetGroup{Protocol: "HTTP", Port: 30080, TargetType: "instance", IPAddressType: "ipv4"}
	have := func(version string) *TargetGroupState {
		return &TargetGroupState{Protocol: "HTTP", Port: 30080, TargetType: "instance", IPAddressType: "ipv4",
			ProtocolVersion: version}
	}
	got := map[string]bool{
		"same version":    sameImmutable(have("GRPC"), want, model.ApplicationTargetGroup{ProtocolVersion: "GRPC"}),
		"another version": sameImmutable(have("HTTP1"), want, model.ApplicationTargetGroup{ProtocolVersion: "GRPC"}),
		"none wanted":     sameImmutable(have("HTTP1"), want, model.ApplicationTargetGroup{}),
		"none known":      sameImmutable(have(""), want, model.ApplicationTargetGroup{ProtocolVersion: "HTTP2"}),
	}
	if diff := cmp.Diff(map[string]bool{"same version": true, "another version": false, "none wanted": true,
		"none known": true}, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}

// TestApplicationListenerMatchesKeptDefault: no default actions given (the
// first pass over an existing listener, before its rules) compares only
// what ModifyListener sets besides, so a listener whose only change is its
// default action is left for the pass after the rules.
func TestApplicationListenerMatchesKeptDefault(t *testing.T) {
	notFound := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse,
		FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("404"),
			ContentType: aws.String("text/plain")}}}
	redirect := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect,
		RedirectConfig: &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"),
			StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}}
	have := &ListenerState{Port: 80, Protocol: "HTTP", DefaultActions: canonicalActions(redirect)}
	for _, tt := range []struct {
		name    string
		want    model.Listener
		actions []elbtypes.Action
		ok      bool
	}{
		{"same default", model.Listener{Port: 80, Protocol: "HTTP"}, redirect, true},
		{"another default", model.Listener{Port: 80, Protocol: "HTTP"}, notFound, false},
		{"default kept, nothing else changes", model.Listener{Port: 80, Protocol: "HTTP"}, nil, true},
		{"default kept, the protocol changes", model.Listener{Port: 80, Protocol: "HTTPS"}, nil, false},
	} {
		if got := applicationListenerMatches(have, tt.want, tt.actions); got != tt.ok {
			t.Errorf("%s: match %v, want %v", tt.name, got, tt.ok)
		}
	}
}
