// Package refresh re-reads the cluster's AWS inventory in bulk on the drift
// period and asks the Service controller to reconcile every stack whose load
// balancer, target groups or security groups changed outside kelb.
package refresh

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

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
	return mgr.Add(manager.RunnableFunc(c.run))
}

func (c *Controller) run(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName(Name)
	t := time.NewTicker(c.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		changed, err := c.Deployer.Load(ctx)
		if err != nil {
			logger.Error(err, "refreshing AWS inventory")
			continue
		}
		for _, id := range changed {
			ns, name, _ := strings.Cut(id, "/")
			logger.Info("AWS resources changed outside kelb", "stack", id)
			select {
			case c.Changed <- event.GenericEvent{Object: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
