// Package newwork enqueues a controller's objects so that new and changed
// ones go ahead of re-checks. After a restart every object comes from the
// informer's first list; controller-runtime's default gives all of them low
// priority, so an object created or edited while kelb was down would wait
// behind the re-check of every converged one. Here an object of the first
// list is new work unless reconciling it can only confirm what is there
// (RecheckOnly). Every later change is new work; resyncs stay low, as in the
// default.
package newwork

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// First is the event handler.
type First struct {
	// RecheckOnly reports whether reconciling an object of the first list
	// can only confirm what is there.
	RecheckOnly func(client.Object) bool
	// Gone, if set, hears of every object removed from the API.
	Gone func(types.NamespacedName)
}

var _ handler.TypedEventHandler[client.Object, reconcile.Request] = First{}

// Create enqueues an object of the first list low when it is a re-check.
func (h First) Create(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	add(q, e.Object, e.IsInInitialList && h.RecheckOnly(e.Object))
}

// Update enqueues a change as new work; a resync (same version) stays low.
func (First) Update(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	add(q, e.ObjectNew, e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion())
}

// Delete tells Gone and enqueues the object as new work.
func (h First) Delete(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if h.Gone != nil && e.Object != nil {
		h.Gone(client.ObjectKeyFromObject(e.Object))
	}
	add(q, e.Object, false)
}

// Generic enqueues the object as new work.
func (First) Generic(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
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
