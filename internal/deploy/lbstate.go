package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Load balancers are "provisioning" for a while after they are created. The
// deployer remembers which, and RefreshStates reads all their states in one
// paginated call (400 load balancers a page), however many there are.

func (inv *Inventory) setProvisioning(stackID, arn string, provisioning bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if provisioning {
		inv.provisioning[stackID] = arn
	} else {
		delete(inv.provisioning, stackID)
	}
}

// IsProvisioning reports whether the stack's load balancer is provisioning.
func (inv *Inventory) IsProvisioning(stackID string) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	_, ok := inv.provisioning[stackID]
	return ok
}

// AnyProvisioning reports whether any load balancer is provisioning.
func (inv *Inventory) AnyProvisioning() bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return len(inv.provisioning) > 0
}

// RefreshStates reads the state of the provisioning load balancers and
// returns the stacks whose load balancer is no longer provisioning.
func (d *Deployer) RefreshStates(ctx context.Context) ([]string, error) {
	d.inv.mu.Lock()
	waiting := make(map[string]string, len(d.inv.provisioning)) // arn -> stack
	for id, arn := range d.inv.provisioning {
		waiting[arn] = id
	}
	d.inv.mu.Unlock()
	if len(waiting) == 0 {
		return nil, nil
	}
	states := map[string]elbtypes.LoadBalancerStateEnum{}
	p := elbv2.NewDescribeLoadBalancersPaginator(d.elb, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading load balancer states: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			if _, ok := waiting[aws.ToString(lb.LoadBalancerArn)]; ok && lb.State != nil {
				states[aws.ToString(lb.LoadBalancerArn)] = lb.State.Code
			}
		}
	}
	var done []string
	for arn, id := range waiting {
		if state, ok := states[arn]; !ok || state != elbtypes.LoadBalancerStateEnumProvisioning {
			d.inv.setProvisioning(id, arn, false)
			done = append(done, id)
		}
	}
	return done, nil
}
