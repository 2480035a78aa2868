package cloud

import (
	"context"
	"fmt"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

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
// the load balancer and its other parts were written. Not cached: a
// target group may be made at any moment, and an Ingress names few.
type TargetGroupLookup struct {
	elb TargetGroupReader
}

// NewTargetGroupLookup returns the lookup.
func NewTargetGroupLookup(api TargetGroupReader) *TargetGroupLookup {
	return &TargetGroupLookup{elb: api}
}

// Exist reports, for each ARN, whether AWS holds the target group. One
// call per ARN: AWS fails a whole call naming any missing one.
func (l *TargetGroupLookup) Exist(ctx context.Context, arns []string) (map[string]bool, error) {
	out := make(map[string]bool, len(arns))
	for _, arn := range arns {
		_, err := l.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		switch {
		case err == nil:
			out[arn] = true
		case awsclient.IsNotFound(err):
			out[arn] = false
		default:
			return nil, fmt.Errorf("describing target group %s: %w", arn, err)
		}
	}
	return out, nil
}
