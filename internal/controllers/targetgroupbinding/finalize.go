package targetgroupbinding

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/targets"
)

// finalize deregisters the binding's targets (every member, as LBC, or
// with multiClusterTargetGroup only those its record names), then releases
// the finalizer. A target group that is gone, or that the binding may not
// change (a Service stack's still served by the deployer, another
// cluster's), releases it without an AWS write.
func (c *Controller) finalize(ctx context.Context, tgb *elbv2api.TargetGroupBinding) (reconcile.Result, error) {
	if !slices.Contains(tgb.Finalizers, Finalizer) {
		return reconcile.Result{}, nil
	}
	if err := c.cleanup(ctx, tgb); err != nil {
		o := outcomeOf(err)
		if o.err == nil {
			o.err = err
		}
		c.Recorder.Eventf(tgb, nil, corev1.EventTypeWarning, "CleanupFailed", "Delete", "%s", err.Error())
		reconcileErrors.WithLabelValues(o.reason).Inc()
		return reconcile.Result{}, o.err
	}
	c.sweeps.drop(client.ObjectKeyFromObject(tgb))
	// Its targets are gone: the rules only it needed may go.
	if err := c.forgetNodeRules(ctx, tgb); err != nil {
		return reconcile.Result{}, err
	}
	before := tgb.DeepCopy()
	tgb.Finalizers = slices.DeleteFunc(tgb.Finalizers, func(f string) bool { return f == Finalizer })
	if err := c.Client.Patch(ctx, tgb, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(fmt.Errorf("removing finalizer from TargetGroupBinding %s/%s: %w",
			tgb.Namespace, tgb.Name, err))
	}
	return reconcile.Result{}, nil
}

func (c *Controller) cleanup(ctx context.Context, tgb *elbv2api.TargetGroupBinding) error {
	if validSpec(tgb) != nil {
		return nil // it never named a target group kelb could have changed
	}
	tg, err := c.targetGroups.get(ctx, tgb.Spec.TargetGroupARN, tgb.Spec.TargetGroupName)
	if isTargetGroupNotFound(err) {
		return c.forgetBinding(ctx, tgb, "")
	}
	if err != nil {
		return err
	}
	if _, leave := c.notOurs(tgb, tg); leave {
		return c.forgetBinding(ctx, tgb, tg.ARN)
	}
	have, err := describeMembers(ctx, c.ELBV2, tg)
	if isTargetGroupNotFound(err) {
		c.targetGroups.forget(tg.ARN)
		return c.forgetBinding(ctx, tgb, tg.ARN)
	}
	if err != nil {
		return err
	}
	var owned targets.Set
	if tgb.Spec.MultiClusterTargetGroup {
		if owned, err = c.tracked.get(ctx, tgb); err != nil {
			return err
		}
		if owned == nil {
			owned = targets.Set{}
		}
	}
	var gone []model.Target
	for _, m := range have {
		if !m.Draining && (owned == nil || owned[m.Target]) {
			gone = append(gone, m.Target)
		}
	}
	targets.Sort(gone)
	if len(gone) > 0 {
		err := deregister(ctx, c.ELBV2, tg, gone)
		if isTargetGroupNotFound(err) {
			c.targetGroups.forget(tg.ARN)
			return c.forgetBinding(ctx, tgb, tg.ARN)
		}
		if err != nil {
			return err
		}
		deregisteredTargets.Add(float64(len(gone)))
		c.changeEvents(tgb, tg, syncResult{change: targets.Change{Deregister: gone}})
	}
	return c.forgetBinding(ctx, tgb, tg.ARN)
}

// forgetBinding drops what is kept for a binding being deleted, its
// multi-cluster record included.
func (c *Controller) forgetBinding(ctx context.Context, tgb *elbv2api.TargetGroupBinding, arn string) error {
	c.members.forget(membersKey(tgb, targetGroup{ARN: arn}))
	if tgb.Spec.MultiClusterTargetGroup {
		return c.tracked.remove(ctx, tgb)
	}
	return nil
}
