// Package targetgroupbinding is the controller of TargetGroupBindings
// (elbv2.k8s.aws/v1beta1, LBC's API): it keeps a target group's members
// equal to a Service's ready endpoints (ip targets) or suitable nodes
// (instance targets). Any binding is served, the user's, kelb's or one LBC
// made (taken over as it is: same finalizer, same multi-cluster record).
package targetgroupbinding

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// Name is the controller's name in logs, metrics and events.
const Name = "targetgroupbinding"

// Finalizer is LBC's: a binding LBC made already carries it.
const Finalizer = "elbv2.k8s.aws/resources"

// LBC's checkpoint annotations: LBC skips a reconcile whose inputs hash to
// the checkpoint. kelb does not use them, but removes them before it
// changes a target group's members, so that LBC, if it takes the binding
// back, reconciles it in full once.
const (
	AnnotationCheckpoint          = "elbv2.k8s.aws/checkpoint"
	AnnotationCheckpointTimestamp = "elbv2.k8s.aws/checkpoint-timestamp"
)

// DefaultResync: a binding at rest is compared with AWS this often (one
// DescribeTargetHealth); between, only a change of its inputs reads AWS.
const DefaultResync = 10 * time.Minute

// EventRecorder is the part of the events API the controller uses.
type EventRecorder interface {
	Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Config are the controller's settings.
type Config struct {
	ClusterName string
	// ClusterUID identifies the cluster (the kube-system Namespace's UID).
	ClusterUID string
	// Resync is how often a binding at rest is compared with AWS.
	Resync time.Duration
	// MaxConcurrent and MaxBackoff are LBC's
	// --targetgroupbinding-max-concurrent-reconciles (3) and
	// --targetgroupbinding-max-exponential-backoff-delay (1000 s).
	MaxConcurrent int
	MaxBackoff    time.Duration
	// GatePoll is how often a binding is looked at while a pod carrying its
	// readiness gate waits for its condition (DefaultGatePoll).
	GatePoll time.Duration
	// ClaimsService says whether the Service controller serves a Service
	// (nil: none is taken for one): a binding of a Service kelb serves
	// registers nothing while its networking lags its Service's ports.
	ClaimsService func(*corev1.Service) bool
}

// Deps are the controller's dependencies.
type Deps struct {
	Client client.Client
	// Reader reads straight from the API server: the multi-cluster targets
	// records (ConfigMaps, which the manager does not cache).
	Reader   client.Reader
	Recorder EventRecorder
	ELBV2    ELBV2
	Config   Config
	Clock    clock.PassiveClock
	// NodeRules is the node-rules writer: a binding's networking rules are
	// in before its targets are registered (nil: no rules are written).
	NodeRules NodeRules
	// Instances finds the targets' node security groups.
	Instances InstanceGroups
	// KnownTargetGroups, when set, spares the AWS read of a target group
	// kelb already holds.
	KnownTargetGroups KnownTargetGroups
}

// The permissions the controller needs:
// +kubebuilder:rbac:groups=elbv2.k8s.aws,resources=targetgroupbindings,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=elbv2.k8s.aws,resources=targetgroupbindings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=services;nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get
// +kubebuilder:rbac:groups="",resources=pods/status,verbs=patch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create;update;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Controller reconciles TargetGroupBindings.
type Controller struct {
	Deps
	targetGroups *targetGroups
	members      *members
	tracked      *tracked
	sweeps       *sweeps
	claims       *claims
}

// NewController returns the controller.
func NewController(deps Deps) *Controller {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	if deps.Reader == nil {
		deps.Reader = deps.Client
	}
	if deps.Config.Resync <= 0 {
		deps.Config.Resync = DefaultResync
	}
	if deps.Config.GatePoll <= 0 {
		deps.Config.GatePoll = DefaultGatePoll
	}
	if deps.Config.MaxConcurrent <= 0 {
		deps.Config.MaxConcurrent = 3
	}
	if deps.Config.MaxBackoff <= 0 {
		deps.Config.MaxBackoff = 1000 * time.Second
	}
	tgs := newTargetGroups(deps.ELBV2, deps.Clock, deps.Config.Resync)
	tgs.known = deps.KnownTargetGroups
	return &Controller{Deps: deps,
		targetGroups: tgs,
		members:      newMembers(deps.Clock, deps.Config.Resync),
		tracked:      newTracked(deps.Reader, deps.Client),
		sweeps:       newSweeps(deps.Clock, deps.Config.Resync),
		claims:       &claims{},
	}
}

// Name implements the controllers list's interface.
func (c *Controller) Name() string { return Name }

func (c *Controller) reconcileRequest(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var tgb elbv2api.TargetGroupBinding
	if err := c.Client.Get(ctx, req.NamespacedName, &tgb); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	return c.Reconcile(ctx, &tgb)
}

// Reconcile keeps one binding's target group members.
func (c *Controller) Reconcile(ctx context.Context, tgb *elbv2api.TargetGroupBinding) (reconcile.Result, error) {
	if !tgb.DeletionTimestamp.IsZero() {
		return c.finalize(ctx, tgb)
	}
	if err := c.ensureFinalizer(ctx, tgb); err != nil {
		return reconcile.Result{}, err
	}
	return c.report(ctx, tgb, c.sync(ctx, tgb))
}

// sync checks the binding against its target group, then brings the
// members to the wanted targets. Every check comes before the first AWS
// write.
func (c *Controller) sync(ctx context.Context, tgb *elbv2api.TargetGroupBinding) outcome {
	if err := validSpec(tgb); err != nil {
		return outcomeOf(err)
	}
	tg, err := c.targetGroups.get(ctx, tgb.Spec.TargetGroupARN, tgb.Spec.TargetGroupName)
	if err != nil {
		return outcomeOf(err)
	}
	targetType, ipType, err := matchTargetGroup(tgb, tg)
	if err != nil {
		return outcomeOf(err)
	}
	if o, leave := c.notOurs(tgb, tg); leave {
		return o
	}
	want, pods, where, err := c.desired(ctx, tgb, targetType, ipType)
	var missing *backendMissingError
	if err != nil && !asBackendMissing(err, &missing) {
		return outcomeOf(err)
	}
	// The node groups let in what the targets are about to receive before
	// any of them is registered.
	claim, stop := c.ensureNodeRules(ctx, tgb, want, where)
	if stop != nil {
		return *stop
	}
	res, syncErr := c.syncMembers(ctx, tgb, tg, want)
	c.changeEvents(tgb, tg, res)
	if syncErr == nil {
		c.nodeRulesDone(tgb, claim)
	}
	if syncErr != nil {
		if isTargetGroupNotFound(syncErr) {
			c.targetGroups.forget(tg.ARN)
		}
		return outcomeOf(syncErr)
	}
	if missing != nil {
		// As LBC: no Service (or port), no targets; looked at again when
		// the Service appears.
		o := outcomeOf(missing)
		o.after = c.Config.Resync
		return o
	}
	o := registered(tg, res.total, c.Config.Resync)
	allTrue, err := c.reportGates(ctx, tgb, tg, pods)
	if err != nil {
		c.sweeps.forget(client.ObjectKeyFromObject(tgb))
		return outcomeOf(err)
	}
	if !allTrue || pods.waiting {
		o.after = c.Config.GatePoll
	}
	return o
}

// notOurs says when the binding's target group must be left alone:
// another cluster's stack without multiClusterTargetGroup.
func (c *Controller) notOurs(tgb *elbv2api.TargetGroupBinding, tg targetGroup) (outcome, bool) {
	if ownerOf(tg.Tags, c.Config.ClusterName, c.Config.ClusterUID) == ownerOtherCluster && !tgb.Spec.MultiClusterTargetGroup {
		return outcome{reason: ReasonForeignTargetGroup, message: fmt.Sprintf("target group %s belongs to "+
			"another cluster's stack; set spec.multiClusterTargetGroup to true to share it", tg.Name)}, true
	}
	return outcome{}, false
}

func (c *Controller) ensureFinalizer(ctx context.Context, tgb *elbv2api.TargetGroupBinding) error {
	if slices.Contains(tgb.Finalizers, Finalizer) {
		return nil
	}
	before := tgb.DeepCopy()
	tgb.Finalizers = append(tgb.Finalizers, Finalizer)
	if err := c.Client.Patch(ctx, tgb, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adding finalizer to TargetGroupBinding %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	return nil
}

// clearCheckpoint removes LBC's checkpoint before a membership change.
func (c *Controller) clearCheckpoint(ctx context.Context, tgb *elbv2api.TargetGroupBinding) error {
	_, a := tgb.Annotations[AnnotationCheckpoint]
	_, b := tgb.Annotations[AnnotationCheckpointTimestamp]
	if !a && !b {
		return nil
	}
	before := tgb.DeepCopy()
	delete(tgb.Annotations, AnnotationCheckpoint)
	delete(tgb.Annotations, AnnotationCheckpointTimestamp)
	if err := c.Client.Patch(ctx, tgb, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing LBC's checkpoint from TargetGroupBinding %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	return nil
}
