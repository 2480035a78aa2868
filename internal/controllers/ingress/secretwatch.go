package ingress

import (
	"context"
	"slices"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// SecretWatch re-queues the Ingresses whose authentication names an OIDC
// Secret when that Secret is created, changed or deleted. As LBC, it
// watches exactly the Secrets some Ingress names, one watch per Secret
// filtered by name, never every Secret of the cluster; unlike LBC it
// watches their metadata only, so the client secrets are never held in
// memory (the build reads a Secret from the API server when it needs it).
// A watch by name works with RBAC granted for those Secrets alone
// (resourceNames), as LBC's documentation sets it up.
type SecretWatch struct {
	client  metadata.Interface
	changed chan event.GenericEvent

	mu      sync.Mutex
	ctx     context.Context
	watches map[types.NamespacedName]*secretWatch
}

// secretWatch is one Secret's watch and the Ingresses that name it.
type secretWatch struct {
	stop  context.CancelFunc
	users map[types.NamespacedName]bool
}

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// NewSecretWatch returns a watch that reads through client.
func NewSecretWatch(client metadata.Interface) *SecretWatch {
	return &SecretWatch{client: client, changed: make(chan event.GenericEvent, 64),
		watches: map[types.NamespacedName]*secretWatch{}}
}

// start makes the watches run until ctx ends (the controller's life).
func (w *SecretWatch) start(ctx context.Context) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctx = ctx
}

// Track records that the Ingress user names the Secrets names of its
// namespace (and no others): watches start for new Secrets and stop for
// Secrets no Ingress names any more.
func (w *SecretWatch) Track(user types.NamespacedName, names []string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, sw := range w.watches {
		if sw.users[user] && (key.Namespace != user.Namespace || !slices.Contains(names, key.Name)) {
			delete(sw.users, user)
			if len(sw.users) == 0 {
				sw.stop()
				delete(w.watches, key)
			}
		}
	}
	if w.ctx == nil {
		return // not started: nothing is watched yet
	}
	for _, name := range names {
		key := types.NamespacedName{Namespace: user.Namespace, Name: name}
		sw := w.watches[key]
		if sw == nil {
			sw = &secretWatch{users: map[types.NamespacedName]bool{}}
			sw.stop = w.run(key)
			w.watches[key] = sw
		}
		sw.users[user] = true
	}
}

// Watched are the Secrets watched now, for tests.
func (w *SecretWatch) Watched() []types.NamespacedName {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []types.NamespacedName
	for key := range w.watches {
		out = append(out, key)
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int {
		if a.Namespace != b.Namespace {
			return compare(a.Namespace, b.Namespace)
		}
		return compare(a.Name, b.Name)
	})
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// run watches one Secret's metadata and re-queues its users on every
// change; the first listing re-queues them too, which is what a Secret
// created after the build failed needs.
func (w *SecretWatch) run(key types.NamespacedName) context.CancelFunc {
	ctx, cancel := context.WithCancel(w.ctx)
	selector := fields.OneTermEqualSelector("metadata.name", key.Name).String()
	secrets := w.client.Resource(secretsResource).Namespace(key.Namespace)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = selector
			return secrets.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = selector
			return secrets.Watch(ctx, o)
		},
	}
	notify := func(any) { w.notify(key) }
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		// The client says whether it streams the initial list (watch-list).
		ListerWatcher: cache.ToListWatcherWithWatchListSemantics(lw, w.client),
		ObjectType:    &metav1.PartialObjectMetadata{},
		Handler: cache.ResourceEventHandlerFuncs{AddFunc: notify, DeleteFunc: notify,
			UpdateFunc: func(oldObj, newObj any) {
				o, n := oldObj.(*metav1.PartialObjectMetadata), newObj.(*metav1.PartialObjectMetadata)
				if o.ResourceVersion != n.ResourceVersion {
					w.notify(key)
				}
			}}})
	go informer.RunWithContext(ctx)
	return cancel
}

// notify re-queues the Secret's users.
func (w *SecretWatch) notify(key types.NamespacedName) {
	w.mu.Lock()
	var users []types.NamespacedName
	var done <-chan struct{}
	if sw := w.watches[key]; sw != nil {
		for u := range sw.users {
			users = append(users, u)
		}
	}
	if w.ctx != nil {
		done = w.ctx.Done()
	}
	w.mu.Unlock()
	for _, u := range users {
		ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: u.Namespace, Name: u.Name}}
		select {
		case w.changed <- event.GenericEvent{Object: ing}:
		case <-done:
			return
		}
	}
}
