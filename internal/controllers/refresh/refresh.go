// Package refresh re-reads the cluster's AWS inventory in bulk on the drift
// period and asks the Service controller to reconcile every stack whose load
// balancer, target groups or security groups changed outside kelb.
package refresh

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
const Name = "inventory-refresh"

// Deps are the refresher's dependencies.
type Deps struct {
	Deployer *deploy.Deployer
	Period   time.Duration
	Changed  chan<- event.GenericEvent
}

// Controller refreshes the inventory.
type Controller struct{ Deps }

// NewController returns the refresher.
func NewController(deps Deps) *Controller { return &Controller{Deps: deps} }

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

// Register adds the refresher to the manager; it runs on the leader only.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	return mgr.Add(periodic.Runnable(c.Period, c.refresh))
}

func (c *Controller) refresh(ctx context.Context) {
	logger := log.FromContext(ctx).WithName(Name)
	changed, err := c.Deployer.Load(ctx)
	if err != nil {
		logger.Error(err, "refreshing AWS inventory")
		return
	}
	if len(changed) > 0 {
		logger.Info("AWS resources changed outside kelb", "stacks", changed)
	}
	periodic.EnqueueStacks(ctx, c.Changed, changed)
}
