package service

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/kelb-dev/kelb/internal/service"
)

// watch adds the secondary watches: endpoint slices (ip targets), nodes
// (instance targets and node security groups) and the inventory's changes.
func (c *Controller) watch(b *builder.Builder) *builder.Builder {
	b = b.Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(
		func(_ context.Context, o client.Object) []reconcile.Request {
			name := o.GetLabels()[discoveryv1.LabelServiceName]
			if name == "" {
				return nil
			}
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
		})).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(c.claimedServices),
			builder.WithPredicates(nodeTargetChanged()))
	if c.Changed != nil {
		b = b.WatchesRawSource(source.Channel(c.Changed, &handler.EnqueueRequestForObject{}))
	}
	return b
}

// claimedServices maps any event to every Service kelb serves.
func (c *Controller) claimedServices(ctx context.Context, _ client.Object) []reconcile.Request {
	var list corev1.ServiceList
	if err := c.Client.List(ctx, &list); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if service.IsClaimed(&list.Items[i], c.LoadBalancerClass) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// nodeTargetChanged passes node events that can change targets or rules:
// creation, deletion, readiness, labels, provider id. Heartbeats do not pass.
func nodeTargetChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*corev1.Node), e.ObjectNew.(*corev1.Node)
			return readyOf(o) != readyOf(n) || o.Spec.ProviderID != n.Spec.ProviderID ||
				!mapsEqual(o.Labels, n.Labels) || !slices.Equal(taintKeys(o), taintKeys(n))
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func readyOf(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

func taintKeys(n *corev1.Node) []string {
	var out []string
	for _, t := range n.Spec.Taints {
		out = append(out, t.Key)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// notStatusOnly drops Service updates that change only status (kelb's own
// writes among them): they cannot change what AWS should hold.
func notStatusOnly() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*corev1.Service), e.ObjectNew.(*corev1.Service)
			return !equality.Semantic.DeepEqual(o.Spec, n.Spec) || !mapsEqual(o.Annotations, n.Annotations) ||
				!slices.Equal(o.Finalizers, n.Finalizers) || !o.DeletionTimestamp.Equal(n.DeletionTimestamp)
		},
	}
}
