package service

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/internal/controllers/newwork"
	"github.com/kelb-dev/kelb/internal/service"
)

func prioritySvc(mutate func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Generation: 2,
		ResourceVersion: "7", Finalizers: []string{service.Finalizer}}}
	s.Spec.Type = corev1.ServiceTypeLoadBalancer
	s.Spec.LoadBalancerClass = ptr.To(service.DefaultLoadBalancerClass)
	s.Status.Conditions = []metav1.Condition{{Type: ConditionDeployed, Status: metav1.ConditionTrue, ObservedGeneration: 2}}
	if mutate != nil {
		mutate(s)
	}
	return s
}

// TestNewWorkFirst: of the Services in the first list after a restart only
// those whose current spec is deployed are re-checks at low priority; new,
// changed, failing and deleted ones are new work, as is every later event.
func TestNewWorkFirst(t *testing.T) {
	deleted := metav1.Now()
	cases := []struct {
		name  string
		event func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request])
		want  int
	}{
		{"first list, deployed: re-check", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(nil), IsInInitialList: true}, q)
		}, handler.LowPriority},
		{"first list, never deployed", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(func(s *corev1.Service) {
				s.Finalizers, s.Status.Conditions = nil, nil
			}), IsInInitialList: true}, q)
		}, 0},
		{"first list, spec changed while kelb was down", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(func(s *corev1.Service) {
				s.Generation = 3
			}), IsInInitialList: true}, q)
		}, 0},
		{"first list, deploy failed", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(func(s *corev1.Service) {
				s.Status.Conditions[0].Status = metav1.ConditionFalse
			}), IsInInitialList: true}, q)
		}, 0},
		{"first list, being deleted", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(func(s *corev1.Service) {
				s.DeletionTimestamp = &deleted
			}), IsInInitialList: true}, q)
		}, 0},
		{"first list, not kelb's", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(func(s *corev1.Service) {
				s.Finalizers, s.Status.Conditions = nil, nil
				s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeClusterIP, nil
			}), IsInInitialList: true}, q)
		}, handler.LowPriority},
		{"first list, no longer kelb's: clean-up", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeClusterIP
			}), IsInInitialList: true}, q)
		}, 0},
		{"created later", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Create(context.Background(), event.CreateEvent{Object: prioritySvc(nil)}, q)
		}, 0},
		{"updated", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Update(context.Background(), event.UpdateEvent{ObjectOld: prioritySvc(nil),
				ObjectNew: prioritySvc(func(s *corev1.Service) { s.ResourceVersion = "8" })}, q)
		}, 0},
		{"resync", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Update(context.Background(), event.UpdateEvent{ObjectOld: prioritySvc(nil), ObjectNew: prioritySvc(nil)}, q)
		}, handler.LowPriority},
		{"deleted", func(h newwork.First, q priorityqueue.PriorityQueue[reconcile.Request]) {
			h.Delete(context.Background(), event.DeleteEvent{Object: prioritySvc(nil)}, q)
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := priorityqueue.New[reconcile.Request]("test")
			defer q.ShutDown()
			tc.event(newWorkFirst{class: service.DefaultLoadBalancerClass}.handler(), q)
			item, priority, _ := q.GetWithPriority()
			if diff := cmp.Diff(reconcile.Request{NamespacedName: client.ObjectKey{Namespace: "default", Name: "web"}}, item); diff != "" {
				t.Errorf("item (-want +got):\n%s", diff)
			}
			if priority != tc.want {
				t.Errorf("priority %d, want %d", priority, tc.want)
			}
		})
	}
}
