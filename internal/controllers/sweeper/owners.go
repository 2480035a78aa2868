package sweeper

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Verdict is what a kind's owner check says of a stack.
type Verdict string

const (
	// Owned: its object exists and will clean it up (or is another
	// controller's): not an orphan.
	Owned Verdict = "owned"
	// Orphan: nothing in the cluster will clean it up; swept after the
	// grace period, given proof of ownership.
	Orphan Verdict = "orphan"
	// NotServed: a kind kelb does not serve (Ingress groups without the
	// Ingress controller; explicit Ingress groups with --watch-namespace):
	// left alone whatever exists, never an orphan.
	NotServed Verdict = "not-served"
)

// ownerCheck judges the stacks of one kind.
type ownerCheck func(ctx context.Context, id model.StackID) (Verdict, error)

// verdict asks the owner check of the stack's kind; a kind without one is
// not served, nor is a stack of a namespace outside --watch-namespace (its
// owner is not kelb's to judge, and the cache cannot read it).
func (c *Controller) verdict(ctx context.Context, id model.StackID) (Verdict, error) {
	if ns, _, ok := id.NamespacedName(); ok && c.WatchNamespace != "" && ns != c.WatchNamespace {
		return NotServed, nil
	}
	checks := map[model.StackKind]ownerCheck{model.ServiceKind: c.serviceVerdict}
	if c.Ingress != nil {
		checks[model.IngressKind] = c.ingressVerdict
	}
	check, ok := checks[id.Kind]
	if !ok {
		return NotServed, nil
	}
	return check(ctx, id)
}

// serviceVerdict: a Service stack is an orphan when its Service is gone, or
// is no longer kelb's and holds no finalizer, by the cache and then by the
// API server, so that a Service the cache has not seen yet is never taken
// for gone.
func (c *Controller) serviceVerdict(ctx context.Context, id model.StackID) (Verdict, error) {
	ns, name, ok := id.NamespacedName()
	if !ok {
		return Owned, nil // not a Service's name: nothing to ask, nothing to sweep
	}
	for _, r := range []client.Reader{c.Cache, c.Reader} {
		var svc corev1.Service
		err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &svc)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return "", fmt.Errorf("reading Service %s: %w", id.Name, err)
		case service.OwnershipOf(&svc, c.LoadBalancerClass) != service.Released ||
			controllerutil.ContainsFinalizer(&svc, service.Finalizer):
			return Owned, nil // served, someone else's, or to be cleaned up by its finalizer
		}
	}
	return Orphan, nil // both the cache and the API server say so
}

// ingressVerdict: an implicit group's stack ("<namespace>/<name>") is an
// orphan when its Ingress is gone, or holds nothing (another controller's
// class, no implicit group's finalizer), by the cache and then by the API
// server, classified as the Ingress controller classifies it. An explicit
// group's stack: groupVerdict.
func (c *Controller) ingressVerdict(ctx context.Context, id model.StackID) (Verdict, error) {
	ns, name, ok := id.NamespacedName()
	if !ok {
		return c.groupVerdict(ctx, id) // an explicit group (its name has no "/")
	}
	for _, r := range []client.Reader{c.Cache, c.Reader} {
		var ing networkingv1.Ingress
		err := r.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &ing)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return "", fmt.Errorf("reading Ingress %s: %w", id.Name, err)
		}
		hold, err := ingresscontroller.StackHoldOf(ctx, r, *c.Ingress, &ing)
		if err != nil {
			return "", fmt.Errorf("classifying Ingress %s: %w", id.Name, err)
		}
		if hold != ingresscontroller.HoldNone {
			return Owned, nil // served (even if its build fails), being cleaned up, or someone else's
		}
	}
	return Orphan, nil // both the cache and the API server say so
}

// groupVerdict: an explicit group's stack is an orphan when no Ingress, by
// the cache and then by the API server, names the group or carries its
// finalizer (GroupHoldOf). With --watch-namespace it is not served: its
// members may be in any namespace, which the cache cannot read.
func (c *Controller) groupVerdict(ctx context.Context, id model.StackID) (Verdict, error) {
	if c.WatchNamespace != "" {
		return NotServed, nil
	}
	for _, r := range []client.Reader{c.Cache, c.Reader} {
		var list networkingv1.IngressList
		if err := r.List(ctx, &list); err != nil {
			return "", fmt.Errorf("listing Ingresses for group %s: %w", id.Name, err)
		}
		for i := range list.Items {
			hold, err := ingresscontroller.GroupHoldOf(ctx, r, *c.Ingress, &list.Items[i], id.Name)
			if err != nil {
				return "", fmt.Errorf("classifying Ingress %s/%s: %w", list.Items[i].Namespace, list.Items[i].Name, err)
			}
			if hold != ingresscontroller.HoldNone {
				return Owned, nil
			}
		}
	}
	return Orphan, nil
}
