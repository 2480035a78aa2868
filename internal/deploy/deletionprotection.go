package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// DeleteOptions change how a stack is deleted.
type DeleteOptions struct {
	// LiftDeletionProtection turns the load balancer's deletion protection
	// off when AWS refuses to delete it for that: the Service's annotation
	// says deletion_protection.enabled=false. Without it a protected load
	// balancer stays, and Delete returns a *LoadBalancerProtectedError.
	LiftDeletionProtection bool
}

// LoadBalancerProtectedError says AWS refuses to delete a stack's load
// balancer because its deletion protection is on. Nothing of the stack was
// deleted; someone must turn the protection off (in AWS, or with
// deletion_protection.enabled=false in the Service's annotation).
type LoadBalancerProtectedError struct {
	Name, ARN string
	Err       error
}

func (e *LoadBalancerProtectedError) Error() string {
	return fmt.Sprintf("load balancer %s has deletion protection enabled and was not deleted: %v", e.Name, e.Err)
}

func (e *LoadBalancerProtectedError) Unwrap() error { return e.Err }

// isDeletionProtected reports whether AWS refused DeleteLoadBalancer for
// the load balancer's deletion protection.
func isDeletionProtected(err error) bool {
	return awsclient.ErrorCode(err) == "OperationNotPermitted"
}

// liftDeletionProtection turns the load balancer's deletion protection off.
func (d *Deployer) liftDeletionProtection(ctx context.Context, lb *LoadBalancerState) error {
	if _, err := d.elb.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(lb.ARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String(attrDeletionProtection),
			Value: aws.String("false")}},
	}); err != nil {
		return fmt.Errorf("turning deletion protection of load balancer %s off: %w", lb.Name, err)
	}
	if lb.Attributes != nil {
		lb.Attributes[attrDeletionProtection] = "false"
	}
	return nil
}

const attrDeletionProtection = "deletion_protection.enabled"
