package cloud

import (
	"context"
	"fmt"
	"sync"
	"time"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"k8s.io/utils/clock"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// TargetGroupReader is the part of the ELBv2 API TargetGroupLookup calls.
type TargetGroupReader interface {
	DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (
		*elbv2.DescribeTargetGroupsOutput, error)
}

// TargetGroupLookup says which target groups exist, for the target groups
// an Ingress's custom forward action names by ARN: a missing one is
// refused before any change, where AWS would refuse only the rule, after
// the load balancer and its other parts were written. A group found is
// remembered for targetGroupSeenTTL, so that re-checks of a converged
// Ingress cost no read; a missing one is asked again each time (it may be
// made at any moment).
type TargetGroupLookup struct {
	elb   TargetGroupReader
	clock clock.PassiveClock
	mu    sync.Mutex
	seen  map[string]time.Time // ARN -> when AWS last said it exists
}

// targetGroupSeenTTL is how long a target group found stays known.
const targetGroupSeenTTL = 10 * time.Minute

// NewTargetGroupLookup returns the lookup.
func NewTargetGroupLookup(api TargetGroupReader, clk clock.PassiveClock) *TargetGroupLookup {
	return &TargetGroupLookup{elb: api, clock: clk, seen: map[string]time.Time{}}
}

// known says whether arn was found within the TTL.
func (l *TargetGroupLookup) known(arn string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.seen[arn]
	return ok && l.clock.Since(at) < targetGroupSeenTTL
}

// Exist reports, for each ARN, whether AWS holds the target group. One
// call per ARN: AWS fails a whole call naming any missing one.
func (l *TargetGroupLookup) Exist(ctx context.Context, arns []string) (map[string]bool, error) {
	out := make(map[string]bool, len(arns))
	for _, arn := range arns {
		if l.known(arn) {
			out[arn] = true
			continue
		}
		_, err := l.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		switch {
		case err == nil:
			out[arn] = true
			l.mu.Lock()
			l.seen[arn] = l.clock.Now()
			l.mu.Unlock()
		case awsclient.IsNotFound(err):
			out[arn] = false
		default:
			return nil, fmt.Errorf("describing target group %s: %w", arn, err)
		}
	}
	return out, nil
}
