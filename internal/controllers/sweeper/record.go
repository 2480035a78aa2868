package sweeper

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
	"github.com/kelb-dev/kelb/internal/service"
)

// updateRecord brings the ownership record up to date with the last
// inventory load and the Services that exist now, and writes it when it
// changed: at most one write a pass.
func (c *Controller) updateRecord(ctx context.Context) error {
	if c.Record == nil || c.Store == nil {
		return nil
	}
	if !c.recordLoaded {
		e, err := c.Store.Load(ctx)
		if err != nil {
			return err
		}
		c.Record.Set(e)
		c.recordLoaded = true
	}
	observed, ok := c.Deployer.Observed()
	if !ok {
		return nil
	}
	live := make(map[model.StackID]bool, len(observed.Stacks))
	for id := range observed.Stacks {
		l, err := c.isLive(ctx, id)
		if err != nil {
			return err
		}
		live[id] = l
	}
	prev := c.Record.Entries()
	next, left := ownership.Fit(prev, nextRecord(prev, observed, live), ownership.MaxBytes)
	recorded.WithLabelValues("recorded").Set(float64(len(next)))
	recorded.WithLabelValues("left-out").Set(float64(len(left)))
	if len(left) > 0 {
		log.FromContext(ctx).WithName(Name).Error(nil, "the ownership record is full: these stacks' resources "+
			"made by LBC will be reported, not deleted, if their Service goes while kelb is down",
			"stacks", left, "limit", ownership.MaxBytes)
	}
	if next.Equal(prev) {
		return nil
	}
	if err := c.Store.Save(ctx, next); err != nil {
		c.recordLoaded = false // read it again before the next write
		return err
	}
	c.Record.Set(next)
	return nil
}

// isLive reports whether the stack's owner exists, is served by this kelb
// and carries its finalizer, by the cache: then what the stack holds in AWS
// is this cluster's. A Service stack's Service; an implicit Ingress group's
// Ingress, only while the Ingress controller runs. Stacks of kinds kelb
// does not serve are never live: kelb vouches for nothing it does not
// serve.
func (c *Controller) isLive(ctx context.Context, id model.StackID) (bool, error) {
	ns, name, ok := id.NamespacedName()
	if !ok || (c.WatchNamespace != "" && ns != c.WatchNamespace) {
		return false, nil
	}
	key := types.NamespacedName{Namespace: ns, Name: name}
	switch {
	case id.Kind == model.IngressKind && c.Ingress != nil:
		var ing networkingv1.Ingress
		if err := c.Cache.Get(ctx, key, &ing); err != nil {
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return false, fmt.Errorf("reading Ingress %s: %w", id, err)
		}
		hold, err := ingresscontroller.StackHoldOf(ctx, c.Cache, *c.Ingress, &ing)
		return hold == ingresscontroller.HoldServed, err
	case id.Kind != model.ServiceKind:
		return false, nil
	}
	var svc corev1.Service
	err := c.Cache.Get(ctx, key, &svc)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading Service %s: %w", id, err)
	}
	return service.IsClaimed(&svc, c.LoadBalancerClass) && controllerutil.ContainsFinalizer(&svc, service.Finalizer), nil
}
