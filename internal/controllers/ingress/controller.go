// Package ingress is the controller that gives each Ingress kelb serves an
// application load balancer, its own (an implicit group of one) or its
// explicit IngressGroup's (group.go): class check, finalizer, gather facts,
// build the desired stack purely, hand it to the deployer, write the
// hostname; delete the stack when the Ingress (or the group's last member)
// goes or leaves the class.
package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// Name is the controller's name in logs, metrics and events.
const Name = "ingress"

// The permissions the controller needs:
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses/status,verbs=update;patch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingressclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=elbv2.k8s.aws,resources=ingressclassparams,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// OIDC Secrets are read one at a time and watched by name (SecretWatch):
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

// Deps are the controller's dependencies.
type Deps struct {
	Client   client.Client
	Recorder EventRecorder
	Deployer Deployer

	Subnets      Subnets
	Certificates Certificates
	// CertificateStatuses reads the certificates the Ingress names.
	CertificateStatuses CertificateStatuses
	SecurityGroupNames  SecurityGroupNames
	SSLPolicies         SSLPolicies
	// TargetGroups checks the target groups custom actions name by ARN
	// (optional: unchecked without).
	TargetGroups TargetGroups
	// WebACLNames resolves wafv2-acl-name; WebACLs checks wafv2-acl-arn
	// and ClassicWebACLs waf-acl-id (optional: unchecked without).
	WebACLNames    WebACLNames
	WebACLs        WebACLs
	ClassicWebACLs ClassicWebACLs
	Config         ingress.Config
	// IngressClass is --ingress-class.
	IngressClass string
	// AddOns are --enable-wafv2, --enable-waf and --enable-shield.
	AddOns ingress.AddOns
	// DisableIngressClassAnnotation is --disable-ingress-class-annotation:
	// an Ingress not served yet that would be ours by the
	// kubernetes.io/ingress.class annotation alone is refused.
	DisableIngressClassAnnotation bool
	// DisableIngressGroupNameAnnotation is
	// --disable-ingress-group-name-annotation: a new use of group.name is
	// refused (a member already served stays).
	DisableIngressGroupNameAnnotation bool
	// AllowedCertificateAuthorities is
	// --allowed-certificate-authority-arns: discovery picks only
	// certificates these CAs issued (empty: any).
	AllowedCertificateAuthorities []string
	// DriftPeriod is how often a converged Ingress is built and deployed
	// again, which compares AWS with it.
	DriftPeriod             time.Duration
	MaxConcurrentReconciles int
	Clock                   clock.PassiveClock
	// Changed receives Ingresses whose AWS resources changed outside kelb
	// (optional).
	Changed <-chan event.GenericEvent
	// Secrets reads the OIDC Secrets Ingresses name, from the API server:
	// kelb keeps no Secret cache.
	Secrets client.Reader
	// SecretWatch re-queues the Ingresses naming a Secret that changed
	// (optional).
	SecretWatch *SecretWatch
}

// EventRecorder is the part of the events API the controller uses.
type EventRecorder interface {
	Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Controller reconciles Ingresses.
type Controller struct {
	Deps
	retries *conditions.Backoff
	health  *health
	groups  *groupLocks
}

// NewController returns the controller.
func NewController(deps Deps) *Controller {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.DriftPeriod <= 0 {
		deps.DriftPeriod = 10 * time.Minute
	}
	return &Controller{Deps: deps, retries: conditions.NewBackoff(deps.Clock), health: newHealth(deps.Clock),
		groups: &groupLocks{}}
}

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

// Register adds the controller to the manager.
func (c *Controller) Register(ctx context.Context, mgr ctrl.Manager) error {
	if err := indexBackends(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	c.SecretWatch.start(ctx)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		Watches(&networkingv1.Ingress{}, recheckLast(c.forget), ingressPredicates()).
		WithOptions(controller.Options{MaxConcurrentReconciles: c.MaxConcurrentReconciles})
	return c.watch(b).Complete(reconcile.AsReconciler(mgr.GetClient(), c))
}

// forget drops what the controller keeps in memory about an Ingress.
func (c *Controller) forget(key types.NamespacedName) {
	c.health.forget(key)
	c.retries.Reset(key.String())
	c.SecretWatch.Track(key, nil)
}

// Reconcile makes AWS match one Ingress.
func (c *Controller) Reconcile(ctx context.Context, ing *networkingv1.Ingress) (reconcile.Result, error) {
	class, err := c.classify(ctx, ing)
	if err != nil {
		return reconcile.Result{}, err
	}
	own := ownershipOf(ing, class, c.IngressClass)
	deleting := !ing.DeletionTimestamp.IsZero()
	switch {
	case own == Foreign:
		// Another controller's: never changed, never finalized; only what
		// kelb knew of it, if it once was kelb's to build, is forgotten.
		c.health.forget(client.ObjectKeyFromObject(ing))
		c.SecretWatch.Track(client.ObjectKeyFromObject(ing), nil)
		return reconcile.Result{}, nil
	case own == Released || deleting:
		// Out of its explicit groups first (their deploy drops its rules),
		// then its implicit group's stack, if any.
		if res, err := c.leaveGroups(ctx, ing, ""); err != nil || len(groupFinalizersOf(ing)) > 0 {
			return res, err
		}
		return c.finalize(ctx, ing)
	case own == Broken:
		// Kept as it is: fixing the class (a watched change) brings it back.
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedLoadGroupID, "Reconcile",
			"%s: %s; the load balancer is kept as it is until the class is fixed", class.Field, class.Reason)
		return reconcile.Result{}, nil
	}
	group, err := ingress.GroupOf(ing, class.Params)
	if err != nil {
		// A group name kelb cannot take: whatever the Ingress has in AWS
		// (in its implicit or former group) is kept as it is.
		return c.failed(ctx, ing, EventFailedLoadGroupID, "Failed load group ID due to ", err)
	}
	// An Ingress moving between load balancers is served by the new one
	// before it leaves the old ones (create before delete).
	if group != "" {
		res, built, err := c.reconcileGroupBuilt(ctx, group, ing)
		if err != nil || !built {
			return res, err
		}
		if r, err := c.leaveGroups(ctx, ing, group); err != nil || hasOtherGroup(ing, group) {
			return r, err
		}
		if controllerutil.ContainsFinalizer(ing, Finalizer) {
			// It moved from its implicit group: that load balancer goes.
			if r, err := c.releaseImplicit(ctx, ing); err != nil || r.RequeueAfter > 0 {
				return r, err
			}
		}
		return res, nil
	}
	res, deployed, err := c.reconcileImplicit(ctx, ing, class)
	if err != nil || !deployed || len(groupFinalizersOf(ing)) == 0 {
		return res, err
	}
	// Served by its own load balancer now: out of its former groups.
	if r, err := c.leaveGroups(ctx, ing, ""); err != nil || len(groupFinalizersOf(ing)) > 0 {
		return r, err
	}
	return res, nil
}

// reconcileImplicit makes AWS match the implicit group of one Ingress and
// says whether it deployed.
func (c *Controller) reconcileImplicit(ctx context.Context, ing *networkingv1.Ingress, class ingress.Class) (
	reconcile.Result, bool, error) {
	failed := func(res reconcile.Result, err error) (reconcile.Result, bool, error) { return res, false, err }
	served := controllerutil.ContainsFinalizer(ing, Finalizer)
	if err := ingress.CheckClassAnnotation(ing, class, c.DisableIngressClassAnnotation, served); err != nil {
		return failed(c.failed(ctx, ing, EventFailedBuildModel, "Failed build model due to ", err))
	}
	c.reportIgnored(ing)
	if why := ingress.Unserved(ing, class.Params); why != nil {
		// A setting kelb does not build yet would be taken away by the
		// diff: nothing is made or changed, and what LBC made stays as it
		// is.
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedBuildModel, "Reconcile",
			"Failed build model due to %s: %q is not served by kelb yet; allowed: %s; the load balancer is kept as it is",
			why.Field, why.Value, why.Allowed)
		c.health.update(client.ObjectKeyFromObject(ing), ing.Generation, markInvalid(ReasonNotServed, why.Field+" is not served by kelb yet"))
		return reconcile.Result{}, false, nil
	}
	stack, err := c.build(ctx, ing, class)
	if err != nil {
		return failed(c.failed(ctx, ing, EventFailedBuildModel, "Failed build model due to ", err))
	}
	c.reportAuthSkipped(ctx, ing, class)
	// The finalizer goes on before the first change in AWS, and only on an
	// Ingress whose build succeeded: bad input changes nothing, not even
	// the Ingress.
	if err := c.ensureFinalizer(ctx, ing); err != nil {
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedAddFinalizer, "Reconcile",
			"Failed add finalizer due to %v", err)
		return reconcile.Result{}, false, err
	}
	res, err := c.Deployer.DeployApplication(ctx, stack)
	if err != nil {
		return failed(c.failed(ctx, ing, EventFailedDeployModel, "Failed deploy model due to ", err))
	}
	r, err := c.succeeded(ctx, ing, res)
	return r, true, err
}

// hasOtherGroup reports whether the Ingress still carries the finalizer of
// a group other than group.
func hasOtherGroup(ing *networkingv1.Ingress, group string) bool {
	for _, g := range groupFinalizersOf(ing) {
		if g != group {
			return true
		}
	}
	return false
}

// succeeded writes the hostname, records the conditions and says when to
// look again.
func (c *Controller) succeeded(ctx context.Context, ing *networkingv1.Ingress,
	res Deployed) (reconcile.Result, error) {
	key := client.ObjectKeyFromObject(ing)
	c.retries.Reset(key.String())
	if err := c.writeHostname(ctx, ing, res.DNSName); err != nil {
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedUpdateStatus, "Reconcile",
			"Failed update status due to %v", err)
		return reconcile.Result{}, err
	}
	changed := c.health.update(key, ing.Generation, markDeployed(res.DNSName), provisioningHold(res.Provisioning))
	if changed {
		// LBC says it after every reconcile; kelb when the state changes,
		// so that periodic re-checks do not repeat it.
		c.Recorder.Eventf(ing, nil, corev1.EventTypeNormal, EventSuccessfullyReconciled, "Reconcile", "Successfully reconciled")
	}
	switch {
	case res.RulesHeld:
		return reconcile.Result{RequeueAfter: RulesHeldRecheck}, nil
	case res.CleanupPending != nil:
		log.FromContext(ctx).V(1).Info("clean-up waits for AWS", "reason", res.CleanupPending.Error())
		return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
	case res.Provisioning:
		return reconcile.Result{RequeueAfter: ProvisioningRecheck}, nil
	}
	return reconcile.Result{RequeueAfter: c.driftDelay()}, nil
}

// ProvisioningRecheck is how soon an Ingress whose load balancer AWS still
// provisions is looked at again, to see it ready.
const ProvisioningRecheck = 15 * time.Second

// RulesHeldRecheck is how soon an Ingress whose rules wait for a new target
// group's targets is looked at again: the binding controller registers
// them within about a second.
const RulesHeldRecheck = time.Second

// failed reports an error as LBC's event (reason and message prefix) with
// kelb's message, which names the field and the allowed values, and says
// when to look again: what only the author can fix waits for an edit; what
// the outside world may fix is retried with a capped backoff; the rest by
// the work queue.
func (c *Controller) failed(ctx context.Context, ing *networkingv1.Ingress, reason, prefix string,
	err error) (reconcile.Result, error) {
	f := classifyFailure(err)
	msg := err.Error()
	var res reconcile.Result
	var retErr error
	switch f.retry {
	case conditions.RetryOnChange:
		log.FromContext(ctx).Info("not retrying until the Ingress changes", "reason", f.reason, "error", msg)
	case conditions.RetryWithBackoff:
		wait, _ := c.retries.Next(client.ObjectKeyFromObject(ing).String(), contentVersion(ing))
		msg += "; retrying in " + wait.Round(time.Second).String()
		res.RequeueAfter = wait
	default:
		retErr = err
	}
	c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, reason, "Reconcile", "%s%s", prefix, msg)
	edit := markFailed(f.reason, msg)
	if reason == EventFailedBuildModel && f.reason == ReasonInvalidConfiguration {
		edit = markInvalid(f.reason, msg)
	}
	c.health.update(client.ObjectKeyFromObject(ing), ing.Generation, edit)
	return res, retErr
}

// driftDelay spreads re-checks so that Ingresses converged together are
// not all checked in the same second.
func (c *Controller) driftDelay() time.Duration {
	return c.DriftPeriod + time.Duration(rand.Int64N(int64(c.DriftPeriod)/10+1))
}

// contentVersion identifies what a user can change in an Ingress (spec and
// annotations): a new version restarts the backoff.
func contentVersion(ing *networkingv1.Ingress) string {
	b, _ := json.Marshal(struct {
		Spec        networkingv1.IngressSpec
		Annotations map[string]string
	}{ing.Spec, ing.Annotations})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// reportIgnored says, in a Normal event, which annotations an add-on flag
// that is off makes kelb ignore, as LBC ignores them.
func (c *Controller) reportIgnored(ing *networkingv1.Ingress) {
	ignored := ingress.IgnoredAddOns(ing, c.AddOns)
	for _, key := range slices.Sorted(maps.Keys(ignored)) {
		c.Recorder.Eventf(ing, nil, corev1.EventTypeNormal, EventAnnotationIgnored, "Reconcile",
			"annotation %s ignored: %s=false", key, ignored[key])
	}
}
