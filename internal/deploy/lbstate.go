package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// Load balancers are "provisioning" for a while after they are created. The
// deployer remembers which, and RefreshStates reads their states in as few
// calls as it can: by ARN (20 a call) while few are provisioning, else every
// load balancer in pages of 400. Reading every page while a handful are
// provisioning would cost AWS an answer the size of the whole account every
// poll, and at 1,000 load balancers that is most of what the API serves
// during a converge.

func (inv *Inventory) setProvisioning(stackID model.StackID, arn string, provisioning bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if provisioning {
		inv.provisioning[stackID] = arn
	} else {
		delete(inv.provisioning, stackID)
	}
}

// IsProvisioning reports whether the stack's load balancer is provisioning.
func (inv *Inventory) IsProvisioning(stackID model.StackID) bool {
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
func (d *Deployer) RefreshStates(ctx context.Context) ([]model.StackID, error) {
	d.inv.mu.Lock()
	waiting := make(map[string]model.StackID, len(d.inv.provisioning)) // arn -> stack
	for id, arn := range d.inv.provisioning {
		waiting[arn] = id
	}
	d.inv.mu.Unlock()
	if len(waiting) == 0 {
		return nil, nil
	}
	states, err := d.readStates(ctx, waiting)
	if err != nil {
		return nil, err
	}
	var done []model.StackID
	for arn, id := range waiting {
		if state, ok := states[arn]; !ok || state != elbtypes.LoadBalancerStateEnumProvisioning {
			d.inv.setProvisioning(id, arn, false)
			done = append(done, id)
		}
	}
	return done, nil
}

// Page sizes of DescribeLoadBalancers: by ARN, and every load balancer.
const (
	statesByARN   = 20
	statesPerPage = 400
)

// readStates returns the states of the waiting load balancers AWS still
// has; one it no longer has is left out.
func (d *Deployer) readStates(ctx context.Context, waiting map[string]model.StackID) (map[string]elbtypes.LoadBalancerStateEnum, error) {
	states := map[string]elbtypes.LoadBalancerStateEnum{}
	d.inv.mu.Lock()
	all := len(d.inv.summaries)
	d.inv.mu.Unlock()
	if byARN := (len(waiting) + statesByARN - 1) / statesByARN; byARN <= max(1, (all+statesPerPage-1)/statesPerPage) {
		arns := make([]string, 0, len(waiting))
		for arn := range waiting {
			arns = append(arns, arn)
		}
		sort.Strings(arns)
		for len(arns) > 0 {
			batch := arns[:min(statesByARN, len(arns))]
			arns = arns[len(batch):]
			out, err := d.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: batch})
			if awsclient.IsNotFound(err) {
				// One of them is gone, which fails the whole batch: read
				// them all page by page instead.
				return d.readAllStates(ctx, waiting)
			}
			if err != nil {
				return nil, fmt.Errorf("reading load balancer states: %w", err)
			}
			for _, lb := range out.LoadBalancers {
				if lb.State != nil {
					states[aws.ToString(lb.LoadBalancerArn)] = lb.State.Code
				}
			}
		}
		return states, nil
	}
	return d.readAllStates(ctx, waiting)
}

// readAllStates reads every load balancer, page by page.
func (d *Deployer) readAllStates(ctx context.Context, waiting map[string]model.StackID) (map[string]elbtypes.LoadBalancerStateEnum, error) {
	states := map[string]elbtypes.LoadBalancerStateEnum{}
	p := elbv2.NewDescribeLoadBalancersPaginator(d.elb, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(statesPerPage)})
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
	return states, nil
}
