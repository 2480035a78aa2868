package ingress

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
)

// stackID is the stack of an Ingress in an implicit group, as LBC tags it.
func stackID(ing *networkingv1.Ingress) model.StackID {
	return model.StackID{Kind: model.IngressKind, Name: ing.Namespace + "/" + ing.Name}
}

// ensureFinalizer puts kelb's finalizer on the Ingress before anything is
// made in AWS. A kelb with a class of its own also records that class, in
// the same write, so that it knows the Ingress as its own once it leaves the
// class.
func (c *Controller) ensureFinalizer(ctx context.Context, ing *networkingv1.Ingress) error {
	return c.ensureFinalizerNamed(ctx, ing, Finalizer)
}

// ensureFinalizerNamed is ensureFinalizer with the finalizer given (an
// explicit group's).
func (c *Controller) ensureFinalizerNamed(ctx context.Context, ing *networkingv1.Ingress, finalizer string) error {
	changed := controllerutil.AddFinalizer(ing, finalizer)
	if !standsInForLBC(c.IngressClass) && ing.Annotations[AnnClaimedClass] != c.IngressClass {
		if ing.Annotations == nil {
			ing.Annotations = map[string]string{}
		}
		ing.Annotations[AnnClaimedClass] = c.IngressClass
		changed = true
	}
	if !changed {
		return nil
	}
	if err := c.Client.Update(ctx, ing); err != nil {
		return fmt.Errorf("adding finalizer %s: %w", finalizer, err)
	}
	return nil
}

// finalize deletes the Ingress's stack when it is deleted or left the
// class, then releases the finalizer (and kelb's class record).
func (c *Controller) finalize(ctx context.Context, ing *networkingv1.Ingress) (reconcile.Result, error) {
	key := client.ObjectKeyFromObject(ing)
	if !controllerutil.ContainsFinalizer(ing, Finalizer) {
		c.health.forget(key)
		return reconcile.Result{}, nil
	}
	if err := c.Deployer.Delete(ctx, stackID(ing)); err != nil {
		if errors.Is(err, deploy.ErrPending) {
			log.FromContext(ctx).V(1).Info("deletion waits for AWS", "reason", err.Error())
			return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
		}
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedCleanup, "Delete",
			"Failed to delete the load balancer due to %v", err)
		if f := classifyFailure(err); f.reason == ReasonDeletionProtected {
			wait, _ := c.retries.Next(key.String(), contentVersion(ing))
			return reconcile.Result{RequeueAfter: wait}, nil
		}
		return reconcile.Result{}, err
	}
	controllerutil.RemoveFinalizer(ing, Finalizer)
	delete(ing.Annotations, AnnClaimedClass)
	if err := c.Client.Update(ctx, ing); err != nil && !apierrors.IsNotFound(err) {
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedRemoveFinalizer, "Delete",
			"Failed remove finalizer due to %v", err)
		return reconcile.Result{}, fmt.Errorf("removing finalizer %s: %w", Finalizer, err)
	}
	c.health.forget(key)
	c.retries.Reset(key.String())
	return reconcile.Result{}, nil
}
