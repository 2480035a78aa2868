// Package periodic runs work on a ticker inside the manager (on the leader
// only) and tells the Service controller which stacks to look at again.
package periodic

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/kelb-dev/kelb/internal/model"
)

// Runnable calls tick every interval until the manager stops.
func Runnable(interval time.Duration, tick func(context.Context)) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				tick(ctx)
			}
		}
	})
}

// EnqueueStacks sends the Service of each Service stack to the channel the
// Service controller watches; stacks of other kinds have no Service.
func EnqueueStacks(ctx context.Context, ch chan<- event.GenericEvent, ids []model.StackID) {
	for _, id := range ids {
		ns, name, ok := id.NamespacedName()
		if id.Kind != model.ServiceKind || !ok {
			continue
		}
		select {
		case ch <- event.GenericEvent{Object: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}:
		case <-ctx.Done():
			return
		}
	}
}
