package aws

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func apiErr(code string) error {
	return fmt.Errorf("creating x: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
}

func TestClassification(t *testing.T) {
	tests := []struct {
		code                                      string
		notFound, duplicate, dependency, terminal bool
	}{
		{"LoadBalancerNotFound", true, false, false, false},
		{"InvalidGroup.NotFound", true, false, false, false},
		{"ResourceNotFoundException", true, false, false, false},
		{"NoSuchEntity", true, false, false, false},
		{"WAFNonexistentItemException", true, false, false, false},
		{"ResourceAlreadyExistsException", false, true, false, false},
		{"WAFInvalidParameterException", false, false, false, true},
		{"WAFUnavailableEntityException", false, false, false, false},
		{"InvalidPermission.Duplicate", false, true, false, false},
		{"DuplicateTargetGroupName", false, true, false, false},
		{"DependencyViolation", false, false, true, false},
		{"ResourceInUse", false, false, true, false},
		{"ValidationError", false, false, false, true},
		{"TooManyLoadBalancers", false, false, false, false},
		{"RulesPerSecurityGroupLimitExceeded", false, false, false, false},
		{"RequestLimitExceeded", false, false, false, false},
		{"Throttling", false, false, false, false},
	}
	for _, tt := range tests {
		err := apiErr(tt.code)
		if IsNotFound(err) != tt.notFound || IsDuplicate(err) != tt.duplicate || IsDependency(err) != tt.dependency ||
			IsTerminal(err) != tt.terminal {
			t.Errorf("%s: notFound %v duplicate %v dependency %v terminal %v", tt.code, IsNotFound(err), IsDuplicate(err),
				IsDependency(err), IsTerminal(err))
		}
	}
	if ErrorCode(errors.New("plain")) != "Unknown" {
		t.Error("plain error code")
	}
}

// TestClassify: only what the object's author must fix is terminal; what
// AWS may accept once the world changes (a certificate issued, a subnet
// made, a quota raised, a permission granted) is external.
func TestClassify(t *testing.T) {
	codes := []string{"ValidationError", "InvalidConfigurationRequest", "SSLPolicyNotFound", "InvalidArnException",
		"CertificateNotFound", "UnsupportedCertificate", "SubnetNotFound",
		"InvalidSubnet", "AccessDenied", "UnauthorizedOperation", "TooManyListeners",
		"RulesPerSecurityGroupLimitExceeded", "RequestLimitExceeded", "Throttling", "InternalError",
		"WAFNonexistentItemException", "WAFUnavailableEntityException", "WAFInvalidParameterException"}
	want := map[string]Class{"ValidationError": Terminal, "InvalidConfigurationRequest": Terminal,
		"SSLPolicyNotFound": Terminal, "InvalidArnException": Terminal,
		"CertificateNotFound": External, "UnsupportedCertificate": External,
		"SubnetNotFound": External, "InvalidSubnet": External, "AccessDenied": External,
		"UnauthorizedOperation": External, "TooManyListeners": External, "RulesPerSecurityGroupLimitExceeded": External,
		"RequestLimitExceeded": Transient, "Throttling": Transient, "InternalError": Transient,
		// A web ACL may be created later; AWS asks to retry an entity it
		// is still setting up.
		"WAFNonexistentItemException": External, "WAFUnavailableEntityException": Transient,
		"WAFInvalidParameterException": Terminal}
	got := map[string]Class{}
	for _, code := range codes {
		got[code] = Classify(apiErr(code))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
}

func TestMessageDropsRequestID(t *testing.T) {
	err := errors.New("creating listener: operation error X: CreateListener, https response error StatusCode: 400, RequestID: abc-123, api error Bad: no")
	if got, want := Message(err), "creating listener: operation error X: CreateListener, https response error StatusCode: 400, api error Bad: no"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestParseThrottle(t *testing.T) {
	cfg, err := ParseThrottle("Elastic Load Balancing v2:RegisterTargets|DeregisterTargets=4:20,EC2:Describe.*=10:30")
	if err != nil || len(cfg) != 2 || !cfg[0].Operations.MatchString("DeregisterTargets") || cfg[0].Operations.MatchString("RegisterTargetsX") ||
		cfg[1].Rate != 10 || cfg[1].Burst != 30 {
		t.Errorf("%+v %v", cfg, err)
	}
	for _, bad := range []string{"EC2=1:2", "EC2:x=1", "EC2:(=1:2", "EC2:x=0:1"} {
		if _, err := ParseThrottle(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestThrottlerBucketPerOperation(t *testing.T) {
	th, err := newThrottler(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := th.limiter("Elastic Load Balancing v2", "CreateListener"), th.limiter("Elastic Load Balancing v2", "RegisterTargets")
	if a == nil || b == nil || a == b || a != th.limiter("Elastic Load Balancing v2", "CreateListener") {
		t.Error("want one bucket per operation")
	}
	if th.limiter("Unknown", "X") != nil {
		t.Error("unknown services are not limited")
	}
}
