package ingress

import (
	"context"

	"github.com/kelb-dev/kelb/internal/model"
)

// Deployer is what the controller asks of the stack deployer: make AWS
// match one Ingress's application stack, or delete every AWS resource of a
// stack. Delete returns an error wrapping deploy.ErrPending while AWS still
// holds a dependency back; the controller then looks again soon.
type Deployer interface {
	DeployApplication(ctx context.Context, stack *model.ApplicationStack) (Deployed, error)
	Delete(ctx context.Context, id model.StackID) error
}

// Deployed is what a deploy reports back.
type Deployed struct {
	// DNSName is the load balancer's, written to the Ingress's status.
	DNSName string
	// Provisioning: AWS still provisions the load balancer.
	Provisioning bool
	// CleanupPending says what AWS still holds back from deletion; the
	// stack serves, and the controller looks again soon.
	CleanupPending error
	// RulesHeld: some rules wait for a new target group's targets to be
	// registered before they move to it; the controller looks again in a
	// second.
	RulesHeld bool
}
