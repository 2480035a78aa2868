package cloud

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"k8s.io/utils/clock"
)

// SSLPolicies answers which SSL policies AWS offers one type of load
// balancer (network or application), from one read cached for
// SSLPolicyTTL.
type SSLPolicies struct {
	elb    ELBV2
	clock  clock.PassiveClock
	lbType elbtypes.LoadBalancerTypeEnum

	mu     sync.Mutex
	names  []string
	readAt time.Time
}

// NewSSLPolicies returns the provider for network load balancers.
func NewSSLPolicies(api ELBV2, clk clock.PassiveClock) *SSLPolicies {
	return &SSLPolicies{elb: api, clock: clk, lbType: elbtypes.LoadBalancerTypeEnumNetwork}
}

// NewApplicationSSLPolicies returns the provider for application load
// balancers.
func NewApplicationSSLPolicies(api ELBV2, clk clock.PassiveClock) *SSLPolicies {
	return &SSLPolicies{elb: api, clock: clk, lbType: elbtypes.LoadBalancerTypeEnumApplication}
}

// Names returns the policies' names, sorted; the caller owns the slice.
func (p *SSLPolicies) Names(ctx context.Context) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.names == nil || p.clock.Since(p.readAt) >= SSLPolicyTTL {
		names, err := p.read(ctx)
		if err != nil {
			return nil, err
		}
		p.names, p.readAt = names, p.clock.Now()
	}
	return slices.Clone(p.names), nil
}

func (p *SSLPolicies) read(ctx context.Context) ([]string, error) {
	names := []string{}
	in := &elbv2.DescribeSSLPoliciesInput{LoadBalancerType: p.lbType}
	for {
		out, err := p.elb.DescribeSSLPolicies(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describing SSL policies: %w", err)
		}
		for _, sp := range out.SslPolicies {
			names = append(names, aws.ToString(sp.Name))
		}
		if aws.ToString(out.NextMarker) == "" {
			break
		}
		in.Marker = out.NextMarker
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
