// Package sweeper finds AWS resources tagged for this cluster whose Service
// is gone (deleted while kelb was down, or its finalizer removed by another
// tool) and, after a grace period, deletes or reports them.
package sweeper

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/internal/controllers/periodic"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/service"
)

// Name of the controller.
const Name = "orphan-sweeper"

// Modes of --orphan-sweep.
const (
	ModeDelete = "delete"
	ModeReport = "report"
	ModeOff    = "off"
)

// massDeletionFloor: a sweep that finds more orphans than this and more than
// half of all stacks only reports them. A cluster name shared by two clusters,
// or kelb pointed at the wrong cluster, looks exactly like that.
const massDeletionFloor = 5

var findings = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "kelb_orphan_stacks_total",
	Help: "Stacks whose Service is gone, by what the sweeper did: found, deleted, reported, refused.",
}, []string{"action"})

func init() { crmetrics.Registry.MustRegister(findings) }

// Deps are the sweeper's dependencies.
type Deps struct {
	// Cache answers first; Reader reads the API server directly to confirm
	// an orphan, so that a Service the cache has not seen yet is never
	// taken for gone.
	Cache             client.Reader
	Reader            client.Reader
	Deployer          *deploy.Deployer
	LoadBalancerClass string
	Mode              string
	Interval          time.Duration
	Grace             time.Duration
	Clock             clock.PassiveClock
	// NodeRules is told when stacks are gone, so that their node rules are
	// revoked (and the backend group deleted when nothing uses it).
	NodeRules interface {
		Forget(ctx context.Context, stackID string) error
	}
}

// Controller sweeps orphans.
type Controller struct {
	Deps
	firstSeen map[string]time.Time
}

// NewController returns the sweeper.
func NewController(deps Deps) *Controller {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	return &Controller{Deps: deps, firstSeen: map[string]time.Time{}}
}

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

// Register adds the sweeper to the manager (leader only), unless it is off.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	if c.Mode == ModeOff {
		return nil
	}
	return mgr.Add(periodic.Runnable(c.Interval, func(ctx context.Context) {
		if err := c.Sweep(ctx); err != nil {
			log.FromContext(ctx).WithName(Name).Error(err, "sweeping orphaned AWS resources")
		}
	}))
}

// Sweep runs one pass.
func (c *Controller) Sweep(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName(Name)
	if !c.Deployer.Loaded() {
		return nil // the Service controller loads the inventory first
	}
	stacks := c.Deployer.Inventory().StackIDs()
	var orphans []string
	seen := map[string]bool{}
	for _, id := range stacks {
		orphan, err := c.isOrphan(ctx, id)
		if err != nil {
			return err
		}
		if !orphan {
			continue
		}
		seen[id] = true
		if _, ok := c.firstSeen[id]; !ok {
			c.firstSeen[id] = c.Clock.Now()
			findings.WithLabelValues("found").Inc()
			logger.Info("found AWS resources whose Service is gone", "stack", id, "mode", c.Mode, "grace", c.Grace)
		}
		if c.Clock.Since(c.firstSeen[id]) >= c.Grace {
			orphans = append(orphans, id)
		}
	}
	for id := range c.firstSeen {
		if !seen[id] {
			delete(c.firstSeen, id)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	if c.Mode == ModeReport {
		for _, id := range orphans {
			findings.WithLabelValues("reported").Inc()
			logger.Info("orphaned AWS resources left in place (--orphan-sweep=report)", "stack", id)
		}
		return nil
	}
	if len(orphans) > massDeletionFloor && 2*len(orphans) > len(stacks) {
		findings.WithLabelValues("refused").Add(float64(len(orphans)))
		return fmt.Errorf("refusing to delete %d of %d stacks at once: is another cluster using cluster name tag %q? "+
			"Delete them by hand or run with --orphan-sweep=report", len(orphans), len(stacks), "elbv2.k8s.aws/cluster")
	}
	var errs []error
	for _, id := range orphans {
		// Node rules it leaves are revoked by the node-rules writer, which
		// knows what the other Services need.
		err := c.Deployer.Delete(ctx, id)
		if err == nil && c.NodeRules != nil {
			err = c.NodeRules.Forget(ctx, id)
		}
		switch {
		case err == nil:
			findings.WithLabelValues("deleted").Inc()
			logger.Info("deleted orphaned AWS resources", "stack", id)
			delete(c.firstSeen, id)
		case errors.Is(err, deploy.ErrPending):
			logger.V(1).Info("orphan deletion waits for AWS", "stack", id, "reason", err.Error())
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isOrphan reports whether nothing in the cluster will clean the stack up:
// its Service is gone, or it is no longer ours and holds no finalizer.
func (c *Controller) isOrphan(ctx context.Context, id string) (bool, error) {
	ns, name, ok := strings.Cut(id, "/")
	if !ok {
		return false, nil
	}
	key := types.NamespacedName{Namespace: ns, Name: name}
	for _, r := range []client.Reader{c.Cache, c.Reader} {
		var svc corev1.Service
		err := r.Get(ctx, key, &svc)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return false, fmt.Errorf("reading Service %s: %w", id, err)
		case service.OwnershipOf(&svc, c.LoadBalancerClass) != service.Released ||
			controllerutil.ContainsFinalizer(&svc, service.Finalizer):
			return false, nil // served, someone else's, or to be cleaned up by its finalizer
		}
	}
	return true, nil // both the cache and the API server say so
}
