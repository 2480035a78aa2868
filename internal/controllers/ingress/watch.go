package ingress

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/controllers/newwork"
)

// backendIndex indexes Ingresses by the names of their backend Services, so
// that a Service's change reaches the Ingresses routing to it alone.
const backendIndex = "kelb.dev/ingress-backend-service"

func indexBackends(ctx context.Context, idx client.FieldIndexer) error {
	if err := idx.IndexField(ctx, &networkingv1.Ingress{}, backendIndex, func(o client.Object) []string {
		return backendNames(o.(*networkingv1.Ingress))
	}); err != nil {
		return fmt.Errorf("indexing Ingresses by backend Service: %w", err)
	}
	return nil
}

// watch adds the secondary watches: backend Services (by the index),
// IngressClasses and IngressClassParams (every Ingress: which are ours may
// change), namespaces' labels (a params namespaceSelector decides by them),
// and the inventory's changes. Targets are not watched: they are the
// TargetGroupBinding controller's.
func (c *Controller) watch(b *builder.Builder) *builder.Builder {
	b = b.Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(c.routingTo),
		builder.WithPredicates(serviceChanged())).
		Watches(&networkingv1.IngressClass{}, handler.EnqueueRequestsFromMapFunc(c.allIngresses)).
		Watches(&elbv2.IngressClassParams{}, handler.EnqueueRequestsFromMapFunc(c.allIngresses)).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(c.selectedIn),
			builder.WithPredicates(namespaceLabelsChanged()))
	if c.Changed != nil {
		b = b.WatchesRawSource(source.Channel(c.Changed, &handler.EnqueueRequestForObject{}))
	}
	if c.SecretWatch != nil {
		b = b.WatchesRawSource(source.Channel(c.SecretWatch.changed, &handler.EnqueueRequestForObject{}))
	}
	return b
}

// routingTo maps a Service to the Ingresses of its namespace that route to
// it.
func (c *Controller) routingTo(ctx context.Context, o client.Object) []reconcile.Request {
	var list networkingv1.IngressList
	if err := c.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{backendIndex: o.GetName()}); err != nil {
		return nil
	}
	return requests(list.Items)
}

// selectedIn maps a namespace whose labels changed to its Ingresses, when
// some IngressClassParams selects namespaces: then whether they are ours
// may have changed. Without a namespaceSelector, labels decide nothing.
func (c *Controller) selectedIn(ctx context.Context, o client.Object) []reconcile.Request {
	var params elbv2.IngressClassParamsList
	if err := c.Client.List(ctx, &params); err != nil || !selectsNamespaces(params.Items) {
		return nil
	}
	var list networkingv1.IngressList
	if err := c.Client.List(ctx, &list, client.InNamespace(o.GetName())); err != nil {
		return nil
	}
	return requests(list.Items)
}

// namespaceLabelsChanged passes only label changes of a namespace: a new
// namespace has no Ingress yet, and a deleted one takes its Ingresses with
// it (their own events follow).
func namespaceLabelsChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !maps.Equal(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
		},
	}
}

// allIngresses maps a class change to every Ingress.
func (c *Controller) allIngresses(ctx context.Context, _ client.Object) []reconcile.Request {
	var list networkingv1.IngressList
	if err := c.Client.List(ctx, &list); err != nil {
		return nil
	}
	return requests(list.Items)
}

func requests(items []networkingv1.Ingress) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(items))
	for i := range items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&items[i])})
	}
	return out
}

// serviceChanged passes Service events that can change a target group:
// creation, deletion, spec and annotations (the per-backend settings).
func serviceChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*corev1.Service), e.ObjectNew.(*corev1.Service)
			return !equality.Semantic.DeepEqual(o.Spec, n.Spec) || !maps.Equal(o.Annotations, n.Annotations)
		},
	}
}

// ingressPredicates drop Ingress updates that cannot change what AWS
// should hold: status alone (kelb's own hostname writes among them), or
// finalizers alone while kelb's stays (kelb's own addition: the reconcile
// that added it goes on to deploy, so a second one would only re-check).
func ingressPredicates() builder.Predicates {
	return builder.WithPredicates(predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return relevantUpdate(e.ObjectOld.(*networkingv1.Ingress), e.ObjectNew.(*networkingv1.Ingress))
	}})
}

func relevantUpdate(o, n *networkingv1.Ingress) bool {
	if !equality.Semantic.DeepEqual(o.Spec, n.Spec) || !maps.Equal(o.Annotations, n.Annotations) ||
		!o.DeletionTimestamp.Equal(n.DeletionTimestamp) {
		return true
	}
	if slices.Equal(o.Finalizers, n.Finalizers) {
		return false
	}
	// A group's finalizer added or removed moves the Ingress between
	// load balancers: its implicit stack may have to go.
	return !controllerutil.ContainsFinalizer(n, Finalizer) ||
		!slices.Equal(groupFinalizersOf(o), groupFinalizersOf(n))
}

// recheckLast enqueues Ingresses so that new work goes ahead of re-checks
// (newwork.First): an Ingress of the first list that already carries
// kelb's finalizer and a hostname, and is not being deleted, can only be
// confirmed. gone hears of every Ingress removed from the API (what kelb
// kept about it in memory is dropped).
func recheckLast(gone func(types.NamespacedName)) newwork.First {
	return newwork.First{RecheckOnly: converged, Gone: gone}
}

func converged(o client.Object) bool {
	ing, ok := o.(*networkingv1.Ingress)
	return ok && controllerutil.ContainsFinalizer(ing, Finalizer) && ing.DeletionTimestamp.IsZero() &&
		len(ing.Status.LoadBalancer.Ingress) > 0
}
