// Package service is the controller that gives each claimed Service of type
// LoadBalancer a network load balancer: gather facts, build the desired
// stack purely, deploy it, write status.
package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Name is the controller's name in logs, metrics and events.
const Name = "service"

// Deps are the controller's dependencies.
type Deps struct {
	Client    client.Client
	Recorder  recorder.EventRecorder
	Deployer  *deploy.Deployer
	Subnets   *cloud.Subnets
	Instances *cloud.Instances
	VPC       *cloud.VPC
	// SecurityGroupNames resolves Name tags in the security-groups
	// annotation.
	SecurityGroupNames *cloud.SecurityGroupNames
	// PrefixLists tells which prefix lists of security-group-prefix-lists
	// exist (nil: not checked).
	PrefixLists       *cloud.PrefixLists
	Certificates      CertificateStatuses
	SSLPolicies       SSLPolicyNames
	Config            service.Config
	LoadBalancerClass string
	// DriftPeriod is how often a converged Service is checked against AWS.
	DriftPeriod             time.Duration
	MaxConcurrentReconciles int
	Clock                   clock.PassiveClock
	// Changed receives Services whose AWS resources changed outside kelb
	// (from the periodic inventory refresh).
	Changed <-chan event.GenericEvent
	// NodeRules is the one writer of rules on node security groups.
	NodeRules NodeRules
}

// NodeRules is what the controller asks of the node-rules writer.
type NodeRules interface {
	// Ensure returns once the node groups let in what the stack is about
	// to use.
	Ensure(ctx context.Context, stackID model.StackID, rules []model.BackendRule) error
	// Forget says the stack is gone and returns once its rules are revoked.
	Forget(ctx context.Context, stackID model.StackID) error
	// Deployed says the stack's deploy is done: rules it no longer uses
	// may be revoked.
	Deployed(stackID model.StackID)
}

// The permissions the controller needs:
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups="",resources=services/status,verbs=update;patch
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// CertificateStatuses says what AWS holds of certificates.
type CertificateStatuses interface {
	Status(ctx context.Context, arns []string) (map[string]service.CertificateStatus, error)
}

// SSLPolicyNames lists the SSL policies AWS offers.
type SSLPolicyNames interface {
	Names(ctx context.Context) ([]string, error)
}

// Controller reconciles Services.
type Controller struct {
	Deps
	retries *conditions.Backoff // Services waiting on the outside world
	built   builtRules          // each Service's node-group needs, while nothing they come from changes
}

// NewController returns the controller.
func NewController(deps Deps) *Controller {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	return &Controller{Deps: deps, retries: conditions.NewBackoff(deps.Clock)}
}

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

// Register adds the controller to the manager.
func (c *Controller) Register(ctx context.Context, mgr ctrl.Manager) error {
	if err := IndexEndpointSlices(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("indexing endpoint slices by Service: %w", err)
	}
	// Services are watched with a handler of kelb's rather than For(), which
	// would put every Service of the first list at the same low priority.
	b := ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		Watches(&corev1.Service{}, newWorkFirst{class: c.LoadBalancerClass}.handler(), builder.WithPredicates(notStatusOnly())).
		WithOptions(controller.Options{MaxConcurrentReconciles: c.MaxConcurrentReconciles,
			LogConstructor: serviceLogger(mgr.GetLogger())})
	return c.watch(b).Complete(reconcile.AsReconciler(mgr.GetClient(), c))
}

// Reconcile makes AWS match one Service.
func (c *Controller) Reconcile(ctx context.Context, svc *corev1.Service) (reconcile.Result, error) {
	if err := c.Deployer.EnsureLoaded(ctx); err != nil {
		return reconcile.Result{}, fmt.Errorf("loading AWS inventory: %w", err)
	}
	own := service.OwnershipOf(svc, c.LoadBalancerClass)
	switch {
	case own == service.Foreign:
		return reconcile.Result{}, nil // another controller's: never changed, never finalized
	case own == service.Released || !svc.DeletionTimestamp.IsZero():
		return c.finalize(ctx, svc, own == service.Claimed)
	}
	if err := c.ensureFinalizer(ctx, svc); err != nil {
		return reconcile.Result{}, err
	}
	v, err := c.view(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	slices, err := c.endpointSlices(ctx, svc)
	if err != nil {
		return reconcile.Result{}, err
	}
	stack, err := c.build(ctx, svc, v, slices)
	if err != nil {
		return c.failed(ctx, svc, err)
	}
	// Node rules first, so the load balancer never sends where they do not
	// let traffic in; what the stack stops using is revoked after.
	if err := c.NodeRules.Ensure(ctx, stack.ID, stack.BackendRules); err != nil {
		return c.failed(ctx, svc, err)
	}
	res, err := c.Deployer.Deploy(ctx, stack)
	if err != nil {
		return c.failed(ctx, svc, err)
	}
	c.NodeRules.Deployed(stack.ID)
	if err := c.recordAppliedTags(ctx, svc); err != nil {
		return reconcile.Result{}, err
	}
	if err := c.setReady(ctx, svc, res); err != nil {
		return reconcile.Result{}, err
	}
	if res.RulesHeld {
		// A listener waits for its new target group's targets.
		return reconcile.Result{RequeueAfter: time.Second}, nil
	}
	if res.CleanupPending != nil {
		log.FromContext(ctx).V(1).Info("clean-up waits for AWS", "reason", res.CleanupPending.Error())
		return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
	}
	return reconcile.Result{RequeueAfter: c.driftDelay()}, nil
}

// driftDelay spreads drift checks so that Services converged together are
// not all checked in the same second.
func (c *Controller) driftDelay() time.Duration {
	return c.DriftPeriod + time.Duration(rand.Int64N(int64(c.DriftPeriod)/10+1))
}

// finalize deletes the Service's AWS resources when it is deleted or no
// longer ours, then releases the finalizer.
func (c *Controller) finalize(ctx context.Context, svc *corev1.Service, claimed bool) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(svc, service.Finalizer) {
		return reconcile.Result{}, nil
	}
	stackID := model.ServiceStackID(svc.Namespace, svc.Name)
	// As LBC: deletion protection in the annotation keeps everything, with
	// no AWS call; =false lets kelb lift a protection AWS holds.
	lift, err := service.Deletable(svc.Name, svc.Annotations)
	if err == nil {
		err = c.Deployer.Delete(ctx, stackID, deploy.DeleteOptions{LiftDeletionProtection: lift})
	}
	if err == nil {
		err = c.NodeRules.Forget(ctx, stackID)
	}
	if err != nil {
		if errors.Is(err, deploy.ErrPending) {
			log.FromContext(ctx).V(1).Info("deletion waits for AWS", "reason", err.Error())
			return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
		}
		if f := classifyFailure(err); f.reason == ReasonDeletionProtected || f.reason == ReasonInvalidConfiguration {
			return c.failed(ctx, svc, err)
		}
		c.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, ReasonDeleteFailed, "Delete", "%v", err)
		return reconcile.Result{}, err
	}
	if claimed {
		c.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ReasonDeleted, "Delete", "deleted load balancer resources")
	} else if err := c.clearStatus(ctx, svc); err != nil {
		return reconcile.Result{}, err
	}
	controllerutil.RemoveFinalizer(svc, service.Finalizer)
	delete(svc.Annotations, service.AnnClaimedClass)
	if err := c.Client.Update(ctx, svc); err != nil && !apierrors.IsNotFound(err) {
		return reconcile.Result{}, fmt.Errorf("removing finalizer: %w", err)
	}
	return reconcile.Result{}, nil
}

// ensureFinalizer puts kelb's finalizer on the Service before anything is
// made in AWS. A kelb with a class of its own also records that class, in
// the same write, so that it still knows the Service after a type change
// clears spec.loadBalancerClass.
func (c *Controller) ensureFinalizer(ctx context.Context, svc *corev1.Service) error {
	changed := controllerutil.AddFinalizer(svc, service.Finalizer)
	if c.LoadBalancerClass != service.DefaultLoadBalancerClass && svc.Annotations[service.AnnClaimedClass] != c.LoadBalancerClass {
		if svc.Annotations == nil {
			svc.Annotations = map[string]string{}
		}
		svc.Annotations[service.AnnClaimedClass] = c.LoadBalancerClass
		changed = true
	}
	if !changed {
		return nil
	}
	if err := c.Client.Update(ctx, svc); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}

// recordAppliedTags notes on the Service which annotation tag keys are now
// in AWS, so that removing one from the annotation removes it from AWS (and
// nothing else: tags other tools add stay).
func (c *Controller) recordAppliedTags(ctx context.Context, svc *corev1.Service) error {
	want := service.AppliedTagKeys(svc)
	if svc.Annotations[service.AnnAppliedTags] == want {
		return nil
	}
	if want == "" {
		delete(svc.Annotations, service.AnnAppliedTags)
	} else {
		svc.Annotations[service.AnnAppliedTags] = want
	}
	if err := c.Client.Update(ctx, svc); err != nil {
		return fmt.Errorf("recording the applied tag keys: %w", err)
	}
	return nil
}

// failed records an error on the Service and says when to look again:
// what only the Service's author can fix waits for a change (the drift
// period still re-checks); what the outside world may fix (a certificate, a
// subnet, a quota, a permission) is retried with a backoff of its own, which
// the condition's message tells; the rest is retried by the work queue.
func (c *Controller) failed(ctx context.Context, svc *corev1.Service, err error) (reconcile.Result, error) {
	f := classifyFailure(err)
	msg := awsclient.Message(err)
	var res reconcile.Result
	var retErr error
	switch f.retry {
	case conditions.RetryOnChange:
		log.FromContext(ctx).Info("not retrying until the Service changes", "reason", f.reason, "error", err.Error())
		res.RequeueAfter = c.driftDelay()
	case conditions.RetryWithBackoff:
		wait, at := c.retries.Next(client.ObjectKeyFromObject(svc).String(), contentVersion(svc))
		msg = fmt.Sprintf("%s; retrying in %s (at %s)", msg, wait.Round(time.Second), at.UTC().Format(time.RFC3339))
		res.RequeueAfter = wait
	case conditions.RetryPeriodically: // a full security group
		res.RequeueAfter = RuleLimitRetry
	default:
		retErr = err
	}
	c.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, f.reason, "Reconcile", "%s", msg)
	if serr := c.setFailed(ctx, svc, f.reason, msg); serr != nil {
		return reconcile.Result{}, serr
	}
	return res, retErr
}

type failure struct {
	reason string
	retry  conditions.Retry
}

// classifyFailure says what a failed reconcile reports and when it is
// tried again.
func classifyFailure(err error) failure {
	var annErr *service.AnnotationError
	var certErr *service.CertificateError
	var limitErr *deploy.RuleLimitError
	var protectedErr *service.DeletionProtectedError
	var protectedLB *deploy.LoadBalancerProtectedError
	switch {
	case errors.As(err, &protectedErr):
		// Only an edit of the annotation lets it go.
		return failure{ReasonDeletionProtected, conditions.RetryOnChange}
	case errors.As(err, &protectedLB):
		// AWS holds the protection: whoever turned it on may turn it off.
		return failure{ReasonDeletionProtected, conditions.RetryWithBackoff}
	case errors.As(err, &certErr):
		return failure{ReasonCertificateNotReady, conditions.RetryWithBackoff}
	case errors.As(err, &annErr) && annErr.External:
		// A subnet may be created or tagged: retried.
		return failure{ReasonInvalidConfiguration, conditions.RetryWithBackoff}
	case conditions.IsTerminal(err):
		// A bad annotation or spec (service.AnnotationError, ErrInvalid).
		return failure{ReasonInvalidConfiguration, conditions.RetryOnChange}
	case errors.As(err, &limitErr):
		// Room can appear without the Service changing: a raised quota,
		// another Service gone.
		return failure{ReasonSecurityGroupRuleLimit, conditions.RetryPeriodically}
	case awsclient.IsCertificateUnusable(err):
		return failure{ReasonCertificateNotReady, conditions.RetryWithBackoff}
	}
	reason, retry := conditions.ReasonOf(err)
	return failure{reason, retry}
}

// contentVersion identifies what a user can change in a Service (its spec
// and annotations, as the watch's predicate does): a new version restarts
// the backoff.
func contentVersion(svc *corev1.Service) string {
	b, _ := json.Marshal(struct {
		Spec        corev1.ServiceSpec
		Annotations map[string]string
	}{svc.Spec, svc.Annotations})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// RuleLimitRetry is how often a Service waiting for room in a full security
// group tries again.
const RuleLimitRetry = 30 * time.Second
