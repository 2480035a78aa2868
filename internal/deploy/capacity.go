package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// ensureCapacityReservation gives the load balancer the capacity units
// want asks for (0: no reservation), as LBC does: read, and modify only
// when they differ. want nil (no annotation) leaves the reservation as it
// is, unread: a Service that never asks costs no call. The reservation is
// read once, then known from kelb's writes until the drift period makes
// the load balancer's details stale, like its attributes.
func (d *Deployer) ensureCapacityReservation(ctx context.Context, lb *LoadBalancerState, want *int32) error {
	if want == nil {
		return nil
	}
	arn := aws.String(lb.ARN)
	if !lb.CapacityKnown {
		out, err := d.elb.DescribeCapacityReservation(ctx, &elbv2.DescribeCapacityReservationInput{LoadBalancerArn: arn})
		if err != nil {
			return fmt.Errorf("reading capacity reservation of load balancer %s: %w", lb.Name, err)
		}
		lb.CapacityUnits, lb.CapacityKnown = reservedUnits(out), true
	}
	if lb.CapacityUnits == *want {
		return nil
	}
	in := &elbv2.ModifyCapacityReservationInput{LoadBalancerArn: arn}
	if *want == 0 {
		in.ResetCapacityReservation = aws.Bool(true)
	} else {
		in.MinimumLoadBalancerCapacity = &elbtypes.MinimumLoadBalancerCapacity{CapacityUnits: aws.Int32(*want)}
	}
	if _, err := d.elb.ModifyCapacityReservation(ctx, in); err != nil {
		// What AWS holds now is unknown: read again next time.
		lb.CapacityKnown = false
		return fmt.Errorf("modifying capacity reservation of load balancer %s to %d units: %w", lb.Name, *want, err)
	}
	lb.CapacityUnits = *want
	return nil
}

// reservedUnits are the capacity units a DescribeCapacityReservation
// answer reserves, 0 when it shows no reservation.
func reservedUnits(out *elbv2.DescribeCapacityReservationOutput) int32 {
	if out.MinimumLoadBalancerCapacity == nil {
		return 0
	}
	return aws.ToInt32(out.MinimumLoadBalancerCapacity.CapacityUnits)
}
