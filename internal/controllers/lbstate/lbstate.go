// Package lbstate follows load balancers that AWS is still provisioning and
// asks the Service controller to reconcile each one that became active, so
// that Ready turns True within seconds of AWS, at one paginated read per
// tick for all of them.
package lbstate

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kelb-dev/kelb/internal/controllers/periodic"
	"github.com/kelb-dev/kelb/internal/deploy"
)

// Name of the controller.
const Name = "load-balancer-state"

// PollInterval is how often provisioning load balancers are read; nothing is
// read while none is provisioning.
const PollInterval = 3 * time.Second

// Deps are the watcher's dependencies.
type Deps struct {
	Deployer *deploy.Deployer
	Changed  chan<- event.GenericEvent
}

// Controller follows provisioning load balancers.
type Controller struct{ Deps }

// NewController returns the watcher.
func NewController(deps Deps) *Controller { return &Controller{Deps: deps} }

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

// Register adds the watcher to the manager; it runs on the leader only.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	return mgr.Add(periodic.Runnable(PollInterval, c.poll))
}

func (c *Controller) poll(ctx context.Context) {
	if !c.Deployer.Inventory().AnyProvisioning() {
		return
	}
	done, err := c.Deployer.RefreshStates(ctx)
	if err != nil {
		log.FromContext(ctx).WithName(Name).Error(err, "reading load balancer states")
		return
	}
	periodic.EnqueueStacks(ctx, c.Changed, done)
}
