// Package periodic runs work on a ticker inside the manager (on the leader
// only) and tells the Service controller which stacks to look at again.
package periodic

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"
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

// EnqueueStacks sends the Service of each stack id ("<namespace>/<name>") to
// the channel the Service controller watches.
func EnqueueStacks(ctx context.Context, ch chan<- event.GenericEvent, ids []string) {
	for _, id := range ids {
		ns, name, _ := strings.Cut(id, "/")
		select {
		case ch <- event.GenericEvent{Object: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}}:
		case <-ctx.Done():
			return
		}
	}
}
