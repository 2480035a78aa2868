package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakePolicies answers DescribeSSLPolicies in pages of one policy.
type fakePolicies struct {
	names []string
	calls []elbv2.DescribeSSLPoliciesInput
}

func (f *fakePolicies) DescribeSSLPolicies(_ context.Context, in *elbv2.DescribeSSLPoliciesInput,
	_ ...func(*elbv2.Options)) (*elbv2.DescribeSSLPoliciesOutput, error) {
	f.calls = append(f.calls, *in)
	i := 0
	if in.Marker != nil {
		i = int(aws.ToString(in.Marker)[0] - '0')
	}
	out := &elbv2.DescribeSSLPoliciesOutput{SslPolicies: []elbtypes.SslPolicy{{Name: aws.String(f.names[i])}}}
	if i+1 < len(f.names) {
		out.NextMarker = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

// TestSSLPolicies: every page is read once, for network load balancers, and
// the answer is kept for SSLPolicyTTL.
func TestSSLPolicies(t *testing.T) {
	f := &fakePolicies{names: []string{"ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-2016-08"}}
	clk := clocktesting.NewFakeClock(time.Now())
	p := NewSSLPolicies(f, clk)
	type step struct {
		Names []string
		Calls int
	}
	var got []step
	for _, after := range []time.Duration{0, SSLPolicyTTL - time.Second, time.Second} {
		clk.Step(after)
		names, err := p.Names(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, step{names, len(f.calls)})
	}
	sorted := []string{"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06"}
	want := []step{{sorted, 2}, {sorted, 2}, {sorted, 4}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, c := range f.calls {
		if c.LoadBalancerType != elbtypes.LoadBalancerTypeEnumNetwork {
			t.Errorf("asked for %q policies, want network", c.LoadBalancerType)
		}
	}
}

// TestApplicationSSLPolicies: the application provider asks for the
// policies of application load balancers.
func TestApplicationSSLPolicies(t *testing.T) {
	f := &fakePolicies{names: []string{"ELBSecurityPolicy-2016-08"}}
	p := NewApplicationSSLPolicies(f, clocktesting.NewFakeClock(time.Now()))
	if _, err := p.Names(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 || f.calls[0].LoadBalancerType != elbtypes.LoadBalancerTypeEnumApplication {
		t.Errorf("calls %+v, want one for application load balancers", f.calls)
	}
}
