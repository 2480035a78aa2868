package targetgroupbinding

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/targets"
)

// IndexServiceRefName indexes bindings by the Service they name (LBC's
// index name).
const IndexServiceRefName = "spec.serviceRef.name"

// Register adds the controller to the manager: bindings, and the
// EndpointSlices, Services and Nodes their targets come from. Pods are not
// watched: a pod being deleted shows as a terminating endpoint in its
// EndpointSlice, which is enough to deregister it at once.
func (c *Controller) Register(ctx context.Context, mgr ctrl.Manager) error {
	gvk := elbv2api.GroupVersion.WithKind("TargetGroupBinding")
	if _, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
		// Without the CRD there is nothing to serve; the Service and
		// VPCEndpoint controllers run on.
		log.FromContext(ctx).Info("TargetGroupBinding kind not served: its controller is not started", "error", err.Error())
		return nil
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &elbv2api.TargetGroupBinding{}, IndexServiceRefName,
		func(o client.Object) []string {
			return []string{o.(*elbv2api.TargetGroupBinding).Spec.ServiceRef.Name}
		}); err != nil {
		return fmt.Errorf("indexing TargetGroupBindings by service: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(Name).
		For(&elbv2api.TargetGroupBinding{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(c.bindingsOfSlice)).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(c.bindingsOfService),
			builder.WithPredicates(predicate.Funcs{UpdateFunc: serviceChanged})).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(c.instanceBindings),
			builder.WithPredicates(predicate.Funcs{UpdateFunc: nodeChanged})).
		WithOptions(controller.Options{MaxConcurrentReconciles: c.Config.MaxConcurrent,
			RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](5*time.Millisecond,
				c.Config.MaxBackoff)}).
		Complete(reconcile.Func(c.reconcileRequest))
}

func (c *Controller) bindingsNaming(ctx context.Context, namespace, service string) []reconcile.Request {
	if service == "" {
		return nil
	}
	var list elbv2api.TargetGroupBindingList
	if err := c.Client.List(ctx, &list, client.InNamespace(namespace),
		client.MatchingFields{IndexServiceRefName: service}); err != nil {
		log.FromContext(ctx).Error(err, "listing TargetGroupBindings of a service", "service", namespace+"/"+service)
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, b := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: b.Namespace, Name: b.Name}})
	}
	return out
}

func (c *Controller) bindingsOfSlice(ctx context.Context, o client.Object) []reconcile.Request {
	return c.bindingsNaming(ctx, o.GetNamespace(), o.GetLabels()[discoveryv1.LabelServiceName])
}

func (c *Controller) bindingsOfService(ctx context.Context, o client.Object) []reconcile.Request {
	return c.bindingsNaming(ctx, o.GetNamespace(), o.GetName())
}

// instanceBindings are every binding that may take instance targets (ip
// ones never depend on nodes).
func (c *Controller) instanceBindings(ctx context.Context, _ client.Object) []reconcile.Request {
	var list elbv2api.TargetGroupBindingList
	if err := c.Client.List(ctx, &list); err != nil {
		log.FromContext(ctx).Error(err, "listing TargetGroupBindings for a node change")
		return nil
	}
	var out []reconcile.Request
	for _, b := range list.Items {
		if b.Spec.TargetType == nil || *b.Spec.TargetType == elbv2api.TargetTypeInstance {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: b.Namespace, Name: b.Name}})
		}
	}
	return out
}

// serviceChanged: only the ports matter (node ports, names); status and
// annotation writes of the Service controller do not.
func serviceChanged(e event.UpdateEvent) bool {
	a, b := e.ObjectOld.(*corev1.Service), e.ObjectNew.(*corev1.Service)
	return a.Spec.Type != b.Spec.Type || !equality.Semantic.DeepEqual(a.Spec.Ports, b.Spec.Ports)
}

// nodeChanged: only what decides a node's membership; the kubelet's
// heartbeats (status updates every few seconds) do not.
func nodeChanged(e event.UpdateEvent) bool {
	a, b := e.ObjectOld.(*corev1.Node), e.ObjectNew.(*corev1.Node)
	return targets.NodeReady(a) != targets.NodeReady(b) || targets.InstanceID(a) != targets.InstanceID(b) ||
		a.Spec.Unschedulable != b.Spec.Unschedulable || (a.DeletionTimestamp == nil) != (b.DeletionTimestamp == nil) ||
		!equality.Semantic.DeepEqual(a.Labels, b.Labels) || !equality.Semantic.DeepEqual(a.Spec.Taints, b.Spec.Taints)
}
