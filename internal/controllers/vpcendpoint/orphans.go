package vpcendpoint

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// Orphan sweep modes (--orphan-sweep).
const (
	SweepDelete = "delete"
	SweepReport = "report"
	SweepOff    = "off"
)

var orphanEndpoints = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kelb_vpcendpoint_orphans_total",
	Help: "VPC endpoints tagged for an object of this cluster that is gone, by action: deleted, reported, " +
		"refused (mass-deletion guard), redeleted (back from deleting after kelb deleted it)."}, []string{"action"})

func init() { metrics.Registry.MustRegister(orphanEndpoints) }

// orphanLog remembers since when an orphan has been seen, for the grace
// period, and which were reported.
type orphanLog struct {
	mu        sync.Mutex
	firstSeen map[string]time.Time
}

func (l *orphanLog) seen(id string, now time.Time) (first time.Time, isNew bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first, ok := l.firstSeen[id]
	if !ok {
		l.firstSeen[id] = now
		return now, true
	}
	return first, false
}

func (l *orphanLog) forget(id string) {
	l.mu.Lock()
	delete(l.firstSeen, id)
	l.mu.Unlock()
}

// finishReleased looks after the endpoints kelb deleted for the object key,
// which is gone: one AWS no longer has is forgotten, one still deleting is
// followed, and one AWS brought back (available, failed, ...) is deleted
// again when its tags, read now, still name the object and this cluster.
func (c *Controller) finishReleased(ctx context.Context, key types.NamespacedName) error {
	for _, r := range c.Tracker.ReleasedOf(key) {
		switch {
		case vpcendpoint.Gone(r.Obs):
			c.Tracker.Forget(r.ID)
		case string(r.Obs.State) == vpcendpoint.StateDeleting:
		default:
			if err := c.deleteOrphan(ctx, key, r.ID, "redeleted"); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepOrphans deletes (or, in report mode, reports) the endpoints tagged
// for an object of this cluster that no longer exists: left by a crash
// after kelb released an object, or by a finalizer someone else removed.
// An endpoint is taken only after the grace period, when a read from the
// API server right before shows the object gone and a read from AWS shows
// the endpoint's tags still naming it and this cluster.
func (c *Controller) sweepOrphans(ctx context.Context) {
	logger := log.FromContext(ctx).WithName(Name)
	if err := c.Tracker.Prime(ctx); err != nil {
		logger.Error(err, "loading VPC endpoints for the orphan sweep")
		return
	}
	now := c.Clock.Now()
	var due []dueOrphan
	for _, u := range c.Tracker.Unclaimed() {
		namespace, name, _ := vpcendpoint.OwnedBy(awsclient.EC2TagMap(u.Obs.Tags), c.Config.cluster())
		key := types.NamespacedName{Namespace: namespace, Name: name}
		err := c.Reader.Get(ctx, key, &v1alpha1.VPCEndpoint{})
		switch {
		case err == nil: // its object exists; its reconcile will claim it
			c.orphans.forget(u.ID)
			continue
		case !apierrors.IsNotFound(err):
			logger.Error(err, "reading the object of a VPC endpoint", "endpoint", u.ID, "object", key)
			continue
		}
		first, isNew := c.orphans.seen(u.ID, now)
		if c.Config.OrphanSweep == SweepReport {
			if isNew {
				orphanEndpoints.WithLabelValues("reported").Inc()
				logger.Info("VPC endpoint of an object that is gone (not deleted: --orphan-sweep=report)",
					"endpoint", u.ID, "object", key)
			}
			continue
		}
		if now.Sub(first) < c.Config.OrphanGrace {
			continue
		}
		due = append(due, dueOrphan{id: u.ID, key: key})
	}
	if tracked := c.Tracker.Len(); len(due) > massOrphans && 2*len(due) > tracked {
		orphanEndpoints.WithLabelValues("refused").Add(float64(len(due)))
		logger.Info("refusing to delete more than half of the cluster's VPC endpoints as orphans; deleting none",
			"orphans", len(due), "endpoints", tracked)
		return
	}
	for _, o := range due {
		if err := c.deleteOrphan(ctx, o.key, o.id, "deleted"); err != nil {
			logger.Error(err, "deleting an orphan VPC endpoint", "endpoint", o.id, "object", o.key)
		}
	}
}

// massOrphans: a sweep that would delete more than this many endpoints,
// and more than half of those kelb knows, refuses (as the load-balancer
// sweeper does): so many objects gone at once more likely means a wrong
// cluster or a restore under way than orphans.
const massOrphans = 5

type dueOrphan struct {
	id  string
	key types.NamespacedName
}

// deleteOrphan deletes the endpoint id of the gone object key when a read
// made now shows its tags naming that object and this cluster, and AWS is
// not deleting it already; it is then followed as released.
func (c *Controller) deleteOrphan(ctx context.Context, key types.NamespacedName, id, action string) error {
	obs, err := c.read(ctx, id, 0)
	if err != nil {
		return err
	}
	if vpcendpoint.Gone(obs) {
		c.Tracker.Forget(id)
		c.orphans.forget(id)
		return nil
	}
	o := vpcendpoint.OwnershipOf(awsclient.EC2TagMap(obs.Tags), key.Namespace, key.Name, c.Config.cluster())
	if o.Owner != vpcendpoint.OwnerThis {
		log.FromContext(ctx).WithName(Name).Info("leaving a VPC endpoint that is no longer the gone object's",
			"endpoint", id, "object", key, "reason", o.Why)
		c.Tracker.Forget(id)
		c.orphans.forget(id)
		return nil
	}
	if string(obs.State) != vpcendpoint.StateDeleting {
		if err := c.delete(ctx, id); err != nil {
			return fmt.Errorf("deleting VPC endpoint %s of %s, which is gone: %w", id, key, err)
		}
		orphanEndpoints.WithLabelValues(action).Inc()
		log.FromContext(ctx).WithName(Name).Info("deleted the VPC endpoint of an object that is gone",
			"endpoint", id, "object", key, "state", string(obs.State), "why", o.Why)
		obs = deletingCopy(obs)
	}
	c.Tracker.Release(id, key, obs)
	c.orphans.forget(id)
	return nil
}
