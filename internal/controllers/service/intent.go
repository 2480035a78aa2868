package service

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Intent is what a reconcile of one Service would hand to the deployer,
// found with reads only (kelb plan): the same ownership decision, gather
// and build as Reconcile, without the finalizer, status or event writes.
type Intent struct {
	// Deploy is the desired stack (nil: nothing to deploy).
	Deploy *model.Stack
	// Delete is the stack to delete when the Service is deleted or no longer
	// kelb's; LiftDeletionProtection as the annotation says.
	Delete                 *model.StackID
	LiftDeletionProtection bool
	// Skip says why neither happens.
	Skip string
}

// Intent decides as Reconcile does. A build or annotation error is
// returned as Reconcile would report it; nothing is written either way.
func (c *Controller) Intent(ctx context.Context, svc *corev1.Service) (Intent, error) {
	own := service.OwnershipOf(svc, c.LoadBalancerClass)
	switch {
	case own == service.Foreign:
		return Intent{Skip: "not kelb's: another controller's Service, or not of type LoadBalancer"}, nil
	case own == service.Released || !svc.DeletionTimestamp.IsZero():
		if !controllerutil.ContainsFinalizer(svc, service.Finalizer) {
			return Intent{Skip: "not served (no finalizer): nothing of it in AWS to delete"}, nil
		}
		lift, err := service.Deletable(svc.Name, svc.Annotations)
		if err != nil {
			return Intent{}, err
		}
		id := model.ServiceStackID(svc.Namespace, svc.Name)
		return Intent{Delete: &id, LiftDeletionProtection: lift}, nil
	}
	v, err := c.view(ctx)
	if err != nil {
		return Intent{}, err
	}
	slices, err := c.endpointSlices(ctx, svc)
	if err != nil {
		return Intent{}, err
	}
	stack, err := c.build(ctx, svc, v, slices)
	if err != nil {
		return Intent{}, err
	}
	return Intent{Deploy: stack}, nil
}

// IndexEndpointSlices adds the index the controller reads endpoint slices
// by, to a cache that is not the manager's (kelb plan's).
func IndexEndpointSlices(ctx context.Context, idx client.FieldIndexer) error {
	return idx.IndexField(ctx, &discoveryv1.EndpointSlice{}, sliceServiceIndex, sliceServiceName)
}
