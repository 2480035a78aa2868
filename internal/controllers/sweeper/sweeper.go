// Package sweeper finds AWS resources tagged for this cluster whose owner
// (a Service, or the Ingress of an implicit group while the Ingress
// controller runs) is gone (deleted while kelb was down, or its finalizer
// removed by another tool) and, after a grace period, deletes or reports
// them. It asks each kind of stack's owner check (owners.go) whether an
// owner exists: stacks of a kind kelb does not serve (Ingress groups without
// the Ingress controller, explicit groups) are left alone.
package sweeper

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/controllers/periodic"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
)

// Name of the controller.
const Name = "orphan-sweeper"

// Modes of --orphan-sweep.
const (
	ModeDelete = "delete"
	ModeReport = "report"
	ModeOff    = "off"
)

var (
	findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kelb_orphan_stacks_total",
		Help: "Stacks whose owner (Service, Ingress) is gone, by what the sweeper did: found, deleted, reported, " +
			"refused, unproven (nothing proves the resources are this cluster's: left in place), protected; " +
			"not-served counts, once per stack, stacks of a kind kelb does not serve (Ingress groups without the " +
			"Ingress controller, explicit groups), left alone whatever exists.",
	}, []string{"action"})
	passes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kelb_orphan_sweeps_total",
		Help: "Passes of the orphan sweeper over the loaded inventory.",
	})
	recorded = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kelb_ownership_record_stacks",
		Help: "Stacks in the ownership record (recorded), and live stacks the record had no room for (left-out).",
	}, []string{"state"})
)

func init() { crmetrics.Registry.MustRegister(findings, passes, recorded) }

// Deps are the sweeper's dependencies.
type Deps struct {
	// Cache answers first; Reader reads the API server directly to confirm
	// an orphan, so that a Service the cache has not seen yet is never
	// taken for gone.
	Cache    client.Reader
	Reader   client.Reader
	Deployer *deploy.Deployer
	// Record is the ownership record the deployer consults; Store keeps it
	// in the cluster. The sweeper loads it on its first pass and writes it
	// when a pass changes it.
	Record            *ownership.Record
	Store             *ownership.Store
	LoadBalancerClass string
	// WatchNamespace is --watch-namespace: stacks of other namespaces are
	// left alone ("" watches all).
	WatchNamespace string
	// Ingress holds the Ingress controller's class flags when it runs;
	// nil: Ingress stacks are not served (left alone).
	Ingress  *ingresscontroller.ClassFlags
	Mode     string
	Interval time.Duration
	Grace    time.Duration
	Clock    clock.PassiveClock
	// NodeRules is told when stacks are gone, so that their node rules are
	// revoked (and the backend group deleted when nothing uses it).
	NodeRules interface {
		Forget(ctx context.Context, stackID model.StackID) error
	}
}

// Controller sweeps orphans.
type Controller struct {
	Deps
	firstSeen map[model.StackID]time.Time
	// unproven holds the orphans already reported for lack of proof.
	unproven map[model.StackID]bool
	// notServed holds the stacks of kinds kelb does not serve already
	// logged and counted.
	notServed map[model.StackID]bool
	// recordLoaded is true once the record was read from the cluster; until
	// then it is never written, so that a failed read cannot erase it.
	recordLoaded bool
}

// NewController returns the sweeper.
func NewController(deps Deps) *Controller {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	return &Controller{Deps: deps, firstSeen: map[model.StackID]time.Time{}, unproven: map[model.StackID]bool{},
		notServed: map[model.StackID]bool{}}
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

// Sweep runs one pass: it updates the ownership record, then deletes (or
// reports) the stacks whose owner has been gone for the grace period,
// those whose every resource is proven this cluster's.
func (c *Controller) Sweep(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName(Name)
	if !c.Deployer.Loaded() {
		return nil // the Service controller loads the inventory first
	}
	defer passes.Inc()
	if err := c.updateRecord(ctx); err != nil {
		// Deletions go on: without the record, fewer stacks are proven.
		logger.Error(err, "updating the ownership record")
	}
	// Only the stacks of kinds kelb serves count toward the mass-deletion
	// guard's total: the others can never be deleted.
	var stacks []model.StackID
	var due []model.StackID
	seen, present := map[model.StackID]bool{}, map[model.StackID]bool{}
	for _, id := range c.Deployer.Inventory().StackIDs() {
		present[id] = true
		v, err := c.verdict(ctx, id)
		if err != nil {
			return err
		}
		if v == NotServed {
			c.reportNotServed(ctx, id)
			continue
		}
		stacks = append(stacks, id)
		if v != Orphan {
			continue
		}
		seen[id] = true
		if _, ok := c.firstSeen[id]; !ok {
			c.firstSeen[id] = c.Clock.Now()
			findings.WithLabelValues("found").Inc()
			logger.Info("found AWS resources whose owner is gone", "stack", id, "kind", id.Kind, "mode", c.Mode, "grace", c.Grace)
		}
		if c.Clock.Since(c.firstSeen[id]) >= c.Grace {
			due = append(due, id)
		}
	}
	for id := range c.firstSeen {
		if !seen[id] {
			delete(c.firstSeen, id)
			delete(c.unproven, id)
		}
	}
	for id := range c.notServed {
		if !present[id] {
			delete(c.notServed, id)
		}
	}
	if len(due) == 0 {
		return nil
	}
	// Judged by the last bulk load; DeleteProven judges again what the
	// stack holds when it deletes (what kelb made since carries its tag).
	observed, _ := c.Deployer.Observed()
	deletable, unproven := judge(due, observed.Stacks, c.Deployer.Proven)
	for _, id := range due {
		if missing, ok := unproven[id]; ok {
			c.reportUnproven(ctx, id, missing)
		}
	}
	if c.Mode == ModeReport {
		for _, id := range deletable {
			findings.WithLabelValues("reported").Inc()
			logger.Info("orphaned AWS resources left in place (--orphan-sweep=report)", "stack", id)
		}
		return nil
	}
	if len(deletable) == 0 {
		return nil
	}
	// The guard counts every proven orphan known, due or not: orphans found
	// a pass apart must not slip under it in small batches.
	orphans := slices.Collect(maps.Keys(seen))
	deploy.SortStackIDs(orphans)
	all, _ := judge(orphans, observed.Stacks, c.Deployer.Proven)
	if tooMany(len(all), len(stacks)) {
		findings.WithLabelValues("refused").Add(float64(len(deletable)))
		return fmt.Errorf("refusing to delete %d of %d stacks at once: is another cluster using cluster name tag %q? "+
			"Delete them by hand or run with --orphan-sweep=report", len(all), len(stacks), "elbv2.k8s.aws/cluster")
	}
	var errs []error
	for _, id := range deletable {
		// Node rules it leaves are revoked by the node-rules writer, which
		// knows what the other Services need.
		missing, err := c.Deployer.DeleteProven(ctx, id)
		if err == nil && len(missing) == 0 && c.NodeRules != nil {
			err = c.NodeRules.Forget(ctx, id)
		}
		switch {
		case len(missing) > 0: // a resource appeared since it was judged
			c.reportUnproven(ctx, id, missing)
		case err == nil:
			findings.WithLabelValues("deleted").Inc()
			logger.Info("deleted orphaned AWS resources", "stack", id)
			delete(c.firstSeen, id)
		case errors.Is(err, deploy.ErrPending):
			logger.V(1).Info("orphan deletion waits for AWS", "stack", id, "reason", err.Error())
		case errors.As(err, new(*deploy.LoadBalancerProtectedError)):
			// Someone protected it on purpose: it stays, as anything else
			// of the stack, until the protection is turned off in AWS.
			findings.WithLabelValues("protected").Inc()
			logger.Info("orphan left in place: its load balancer has deletion protection enabled", "stack", id,
				"reason", err.Error())
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reportUnproven logs and counts an orphan left for lack of proof: once at
// info level, then at V(1) on every pass.
func (c *Controller) reportUnproven(ctx context.Context, id model.StackID, missing []deploy.Resource) {
	logger := log.FromContext(ctx).WithName(Name)
	msg := "orphaned AWS resources left in place: nothing proves they are this cluster's " +
		"(no identity tag of this cluster, never recorded in use by one of its Services or Ingresses); delete them by hand if they are"
	if c.unproven[id] {
		logger.V(1).Info(msg, "stack", id, "resources", resourceIDs(missing))
		return
	}
	c.unproven[id] = true
	findings.WithLabelValues("unproven").Inc()
	logger.Info(msg, "stack", id, "resources", resourceIDs(missing))
}

// reportNotServed logs and counts a stack of a kind kelb does not serve,
// once per stack while AWS has it.
func (c *Controller) reportNotServed(ctx context.Context, id model.StackID) {
	if c.notServed[id] {
		return
	}
	c.notServed[id] = true
	findings.WithLabelValues(string(NotServed)).Inc()
	log.FromContext(ctx).WithName(Name).Info("leaving a stack of a kind kelb does not serve yet alone: never changed, "+
		"deleted or swept", "stack", id, "kind", id.Kind)
}
