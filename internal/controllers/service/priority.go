package service

import (
	"context"

	"github.com/go-logr/logr"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/internal/service"
)

// newWorkFirst enqueues Services so that new and changed ones go ahead of
// re-checks. After a restart every Service comes from the informer's first
// list; controller-runtime's default gives all of them low priority, so a
// Service created or edited while kelb was down would wait behind the
// re-check of every converged one. Here a Service of the first list is new
// work unless reconciling it can only confirm what is there: its status says
// its current spec is deployed (kelb's finalizer, Deployed=True for its
// generation, not being deleted), or kelb has nothing to do with it (not
// its own and no finalizer of kelb's: the cluster's other Services, which
// must not crowd out new work either). Every later change is new work;
// resyncs stay low, as in the default.
type newWorkFirst struct{ class string }

var _ handler.TypedEventHandler[client.Object, reconcile.Request] = newWorkFirst{}

func (h newWorkFirst) Create(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	add(q, e.Object, e.IsInInitialList && h.recheckOnly(e.Object))
}

func (newWorkFirst) Update(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	add(q, e.ObjectNew, e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion())
}

func (newWorkFirst) Delete(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	add(q, e.Object, false)
}

func (newWorkFirst) Generic(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	add(q, e.Object, false)
}

func add(q workqueue.TypedRateLimitingInterface[reconcile.Request], o client.Object, low bool) {
	if o == nil {
		return
	}
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)}
	pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request])
	if !ok {
		q.Add(req)
		return
	}
	var opts priorityqueue.AddOpts
	if low {
		opts.Priority = new(handler.LowPriority)
	}
	pq.AddWithOpts(opts, req)
}

// recheckOnly reports whether reconciling the Service can only confirm what
// is there.
func (h newWorkFirst) recheckOnly(o client.Object) bool {
	svc, ok := o.(*corev1.Service)
	if !ok {
		return false
	}
	finalizer := controllerutil.ContainsFinalizer(svc, service.Finalizer)
	if !finalizer {
		return service.OwnershipOf(svc, h.class) != service.Claimed || !svc.DeletionTimestamp.IsZero()
	}
	if !svc.DeletionTimestamp.IsZero() || service.OwnershipOf(svc, h.class) != service.Claimed {
		return false // clean-up to do
	}
	c := meta.FindStatusCondition(svc.Status.Conditions, ConditionDeployed)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == svc.Generation
}

// serviceLogger gives reconciles the log keys For() gives them.
func serviceLogger(base logr.Logger) func(*reconcile.Request) logr.Logger {
	log := base.WithValues("controller", Name, "controllerGroup", "", "controllerKind", "Service")
	return func(req *reconcile.Request) logr.Logger {
		if req == nil {
			return log
		}
		return log.WithValues("Service", objectRef{Name: req.Name, Namespace: req.Namespace},
			"namespace", req.Namespace, "name", req.Name)
	}
}

// objectRef logs as klog's object reference does.
type objectRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (r objectRef) String() string { return r.Namespace + "/" + r.Name }
