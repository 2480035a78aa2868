// Package vpcendpoint is the controller of VPCEndpoint objects
// (ec2.services.k8s.aws/v1alpha1, ACK's API): it creates, updates, adopts,
// observes and deletes VPC endpoints, and keeps their status within seconds
// of AWS through a tracker that reads every changing endpoint in one call
// per tick.
package vpcendpoint

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/controllers/periodic"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// Name is the controller's name in logs, metrics and events.
const Name = "vpcendpoint"

// Defaults of the follow-up reads.
const (
	// DefaultPollInterval: an endpoint's transition shows in its status at
	// most this long (plus one reconcile) after AWS makes it. One batched
	// read per tick while any endpoint is transitional, none otherwise.
	DefaultPollInterval = 2 * time.Second
	// ObservationTTL is how old an observation may be for a reconcile that
	// is not about a spec change to use it instead of reading again.
	ObservationTTL = 30 * time.Second
	// modifyRetry is the least time between two identical modify requests
	// whose change AWS has not shown yet.
	modifyRetry = time.Minute
	// referenceRetry is how soon a reference to an ACK object that is not
	// there or not synced yet is looked at again.
	referenceRetry = 5 * time.Second
)

// Config are the controller's settings.
type Config struct {
	ClusterName string
	// ClusterUID identifies the cluster (the kube-system Namespace's UID);
	// endpoints carry it in vpcendpoint.TagClusterUID.
	ClusterUID string
	// VPCID is used for endpoints whose spec names no VPC.
	VPCID  string
	Region string
	// DefaultTags go on every endpoint, below the spec's tags.
	DefaultTags map[string]string
	// DeletionPolicy is the default of services.k8s.aws/deletion-policy.
	DeletionPolicy string
	PollInterval   time.Duration
	MaxConcurrent  int
	// OrphanSweep (delete, report, off), OrphanGrace and OrphanInterval
	// govern endpoints tagged for an object of this cluster that no longer
	// exists (--orphan-sweep, --orphan-grace-period,
	// --orphan-sweep-interval).
	OrphanSweep    string
	OrphanGrace    time.Duration
	OrphanInterval time.Duration
}

// cluster is the identity endpoints are tagged with.
func (c Config) cluster() vpcendpoint.Cluster {
	return vpcendpoint.Cluster{Name: c.ClusterName, UID: c.ClusterUID}
}

// Deps are the controller's dependencies.
type Deps struct {
	Client client.Client
	// Reader reads straight from the API server: referenced ACK objects
	// (whose kinds may not be served) and objects right before an orphan
	// is deleted.
	Reader   client.Reader
	Recorder recorder.EventRecorder
	EC2      EC2
	Tracker  *Tracker
	Config   Config
	Clock    clock.PassiveClock
}

// The permissions the controller needs:
// +kubebuilder:rbac:groups=ec2.services.k8s.aws,resources=vpcendpoints,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ec2.services.k8s.aws,resources=vpcendpoints/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Controller reconciles VPCEndpoints.
type Controller struct {
	Deps
	mu       sync.Mutex
	modified map[string]sentModify // endpoint id -> last modify kelb sent
	orphans  orphanLog
}

type sentModify struct {
	fields string
	at     time.Time
}

// NewController returns the controller.
func NewController(deps Deps) *Controller {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.Config.PollInterval == 0 {
		deps.Config.PollInterval = DefaultPollInterval
	}
	if deps.Config.MaxConcurrent == 0 {
		deps.Config.MaxConcurrent = 3
	}
	if deps.Reader == nil {
		deps.Reader = deps.Client
	}
	return &Controller{Deps: deps, modified: map[string]sentModify{}, orphans: orphanLog{firstSeen: map[string]time.Time{}}}
}

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

// Register adds the controller and its tracker to the manager.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	if err := mgr.Add(periodic.Runnable(c.Config.PollInterval, c.Tracker.Tick)); err != nil {
		return err
	}
	if c.Config.OrphanSweep != "" && c.Config.OrphanSweep != SweepOff && c.Config.OrphanInterval > 0 {
		if err := mgr.Add(periodic.Runnable(c.Config.OrphanInterval, c.sweepOrphans)); err != nil {
			return err
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		For(&v1alpha1.VPCEndpoint{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		WatchesRawSource(source.Channel(c.Tracker.changed, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: c.Config.MaxConcurrent}).
		Complete(reconcile.Func(c.reconcileRequest))
}

// reconcileRequest reads the object; when it is gone (released once AWS
// accepted the delete, or deleted without a finalizer, as read-only objects
// are), the tracker forgets its endpoint, except one kelb deleted, which is
// followed until AWS is done with it and deleted again if AWS brings it
// back.
func (c *Controller) reconcileRequest(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var ep v1alpha1.VPCEndpoint
	if err := c.Client.Get(ctx, req.NamespacedName, &ep); err != nil {
		if apierrors.IsNotFound(err) {
			if err := c.finishReleased(ctx, req.NamespacedName); err != nil {
				return reconcile.Result{}, err
			}
			for _, id := range c.Tracker.ForgetObject(req.NamespacedName) {
				c.mu.Lock()
				delete(c.modified, id)
				c.mu.Unlock()
			}
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	return c.Reconcile(ctx, &ep)
}

// Reconcile makes AWS match one VPCEndpoint, or only observes it.
func (c *Controller) Reconcile(ctx context.Context, ep *v1alpha1.VPCEndpoint) (reconcile.Result, error) {
	if err := c.Tracker.Prime(ctx); err != nil {
		return reconcile.Result{}, err
	}
	pol, err := vpcendpoint.PolicyOf(ep, c.namespaceDeletionPolicy(ctx, ep.Namespace), c.Config.DeletionPolicy)
	if err != nil {
		return c.report(ctx, ep, nil, outcomeOf(err)) // a bad annotation
	}
	if !ep.DeletionTimestamp.IsZero() {
		return c.finalize(ctx, ep, pol)
	}
	// desired is the object with the ids its references resolve to: what
	// AWS is asked for. The object itself keeps its spec as written.
	desired := ep
	if !pol.ReadOnly {
		spec, err := c.resolve(ctx, ep)
		if err != nil {
			return c.report(ctx, ep, nil, referencesOutcome(err))
		}
		if err := validSpec(&spec); err != nil {
			return c.report(ctx, ep, nil, outcomeOf(err))
		}
		if err := c.ensureFinalizer(ctx, ep); err != nil {
			return reconcile.Result{}, err
		}
		desired = ep.DeepCopy()
		desired.Spec = spec
	}
	obs, err := c.find(ctx, ep, pol)
	if err != nil {
		return c.report(ctx, ep, nil, outcomeOf(err))
	}
	if obs == nil || vpcendpoint.Gone(obs) {
		switch {
		case pol.ReadOnly:
			return c.report(ctx, ep, obs, vpcendpoint.Outcome{})
		case pol.Adoption == vpcendpoint.Adopt:
			return c.report(ctx, ep, nil, outcomeOf(&conditions.TerminalError{Reason: vpcendpoint.ReasonNotFound,
				Field: vpcendpoint.AnnotationAdoptionFields, Value: pol.AdoptID, Allowed: "an endpoint in AWS",
				Message: fmt.Sprintf("%s names %s, which is not in AWS", vpcendpoint.AnnotationAdoptionFields, pol.AdoptID)}))
		}
		if obs, err = c.create(ctx, desired); err != nil {
			return c.report(ctx, ep, nil, outcomeOf(err))
		}
	} else if err := c.mayTake(desired, obs, pol); err != nil {
		// Reported without the endpoint: its id must not reach the status,
		// and the tracker does not follow it for this object.
		return c.report(ctx, ep, nil, outcomeOf(err))
	} else {
		c.Tracker.Claim(aws.ToString(obs.VpcEndpointId), client.ObjectKeyFromObject(ep))
		if ep.Status.VPCEndpointID == nil && pol.Adoption == vpcendpoint.Adopt {
			if err := c.adopt(ctx, ep, obs); err != nil {
				return c.report(ctx, ep, obs, outcomeOf(err))
			}
			if desired, err = c.withReferences(ctx, ep); err != nil {
				return c.report(ctx, ep, obs, referencesOutcome(err))
			}
		}
	}
	out := vpcendpoint.Outcome{}
	if !pol.ReadOnly {
		if out, err = c.update(ctx, desired, obs); err != nil {
			return c.report(ctx, ep, obs, outcomeOf(err))
		}
	}
	return c.report(ctx, ep, obs, out)
}

// withReferences is the object with its references resolved, as AWS
// should have it.
func (c *Controller) withReferences(ctx context.Context, ep *v1alpha1.VPCEndpoint) (*v1alpha1.VPCEndpoint, error) {
	spec, err := c.resolve(ctx, ep)
	if err != nil {
		return nil, err
	}
	desired := ep.DeepCopy()
	desired.Spec = spec
	return desired, nil
}

// validSpec refuses what AWS would refuse whatever the rest says: an
// endpoint needs a service name, or a service network.
func validSpec(spec *v1alpha1.VPCEndpointSpec) error {
	if aws.ToString(spec.ServiceName) == "" && aws.ToString(spec.ServiceNetworkARN) == "" {
		return conditions.InvalidField("spec.serviceName", "",
			"an endpoint service name (or spec.serviceNetworkARN for an endpoint of type ServiceNetwork)")
	}
	return nil
}

// namespaceDeletionPolicy is the default the object's Namespace sets.
func (c *Controller) namespaceDeletionPolicy(ctx context.Context, namespace string) string {
	var ns corev1.Namespace
	if err := c.Client.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return ""
	}
	return ns.Annotations[vpcendpoint.NamespaceDeletionPolicy]
}
