package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// WriteRefusedError is a Kubernetes write a plan refused: a plan never
// writes to the cluster.
type WriteRefusedError struct {
	Verb string
	Obj  string
}

func (e *WriteRefusedError) Error() string {
	return fmt.Sprintf("kelb plan writes nothing to the cluster: %s %s refused", e.Verb, e.Obj)
}

func refused(verb string, obj runtime.Object) error {
	name := fmt.Sprintf("%T", obj)
	if o, ok := obj.(client.Object); ok {
		name += " " + o.GetNamespace() + "/" + o.GetName()
	}
	return &WriteRefusedError{Verb: verb, Obj: name}
}

// ReadOnly is a client whose reads go to Reader (with Files laid over the
// cluster's objects) and whose every write fails: the controllers' code
// the plan runs must never reach one, and a test catches it if it does.
type ReadOnly struct {
	client.Client
	Files *Files
}

// Get implements client.Reader, with the manifests' objects first.
func (c ReadOnly) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if c.Files.get(c.Scheme(), key, obj) {
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// List implements client.Reader: the cluster's objects with the
// manifests' laid over them.
func (c ReadOnly) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := c.Client.List(ctx, list, opts...); err != nil {
		return err
	}
	return c.Files.overlay(c.Scheme(), list, opts)
}

func (c ReadOnly) Create(_ context.Context, obj client.Object, _ ...client.CreateOption) error {
	return refused("create", obj)
}
func (c ReadOnly) Update(_ context.Context, obj client.Object, _ ...client.UpdateOption) error {
	return refused("update", obj)
}
func (c ReadOnly) Patch(_ context.Context, obj client.Object, _ client.Patch, _ ...client.PatchOption) error {
	return refused("patch", obj)
}
func (c ReadOnly) Delete(_ context.Context, obj client.Object, _ ...client.DeleteOption) error {
	return refused("delete", obj)
}
func (c ReadOnly) DeleteAllOf(_ context.Context, obj client.Object, _ ...client.DeleteAllOfOption) error {
	return refused("delete all of", obj)
}
func (c ReadOnly) Apply(_ context.Context, _ runtime.ApplyConfiguration, _ ...client.ApplyOption) error {
	return &WriteRefusedError{Verb: "apply", Obj: "object"}
}

// Status refuses every status write.
func (c ReadOnly) Status() client.SubResourceWriter { return refusingSubResource{name: "status"} }

// SubResource reads through and refuses writes.
func (c ReadOnly) SubResource(name string) client.SubResourceClient {
	return refusingSubResource{SubResourceReader: c.Client.SubResource(name), name: name}
}

type refusingSubResource struct {
	client.SubResourceReader
	name string
}

func (r refusingSubResource) Create(_ context.Context, obj client.Object, _ client.Object,
	_ ...client.SubResourceCreateOption) error {
	return refused("create "+r.name+" of", obj)
}
func (r refusingSubResource) Update(_ context.Context, obj client.Object, _ ...client.SubResourceUpdateOption) error {
	return refused("update "+r.name+" of", obj)
}
func (r refusingSubResource) Patch(_ context.Context, obj client.Object, _ client.Patch,
	_ ...client.SubResourcePatchOption) error {
	return refused("patch "+r.name+" of", obj)
}
func (r refusingSubResource) Apply(_ context.Context, _ runtime.ApplyConfiguration,
	_ ...client.SubResourceApplyOption) error {
	return &WriteRefusedError{Verb: "apply " + r.name, Obj: "object"}
}

// Bindings is the deployer's TargetGroupBinding client in a plan: reads go
// to the cluster, writes are recorded (in order with the AWS calls) and not
// sent. A binding the plan deleted is gone for later reads, so the
// deployer's wait for it ends at once.
type Bindings struct {
	client.Reader
	Recorder *awsclient.DryRun

	mu      sync.Mutex
	deleted map[client.ObjectKey]bool
	written []WrittenBinding
}

// WrittenBinding is a binding as a plan's deploy would create or patch it,
// and the scope (object) that wrote it.
type WrittenBinding struct {
	Binding *elbv2api.TargetGroupBinding
	Scope   string
}

// Written returns the bindings the plan created or patched, in order.
func (b *Bindings) Written() []WrittenBinding {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]WrittenBinding(nil), b.written...)
}

// Deleted reports whether the plan deleted the binding.
func (b *Bindings) Deleted(key client.ObjectKey) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.deleted[key]
}

func (b *Bindings) remember(ctx context.Context, obj client.Object) {
	tgb, ok := obj.(*elbv2api.TargetGroupBinding)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.written = append(b.written, WrittenBinding{Binding: tgb.DeepCopy(), Scope: awsclient.PlanScope(ctx)})
}

func (b *Bindings) Create(ctx context.Context, obj client.Object, _ ...client.CreateOption) error {
	b.Recorder.Note(ctx, KubernetesService, "CreateTargetGroupBinding", &KubernetesWrite{Verb: "create",
		Kind: "TargetGroupBinding", Namespace: obj.GetNamespace(), Name: obj.GetName(), Detail: bindingDetail(obj)})
	b.remember(ctx, obj)
	return nil
}

func (b *Bindings) Patch(ctx context.Context, obj client.Object, _ client.Patch, _ ...client.PatchOption) error {
	b.Recorder.Note(ctx, KubernetesService, "PatchTargetGroupBinding", &KubernetesWrite{Verb: "modify",
		Kind: "TargetGroupBinding", Namespace: obj.GetNamespace(), Name: obj.GetName(), Detail: bindingDetail(obj)})
	b.remember(ctx, obj)
	return nil
}

func (b *Bindings) Delete(ctx context.Context, obj client.Object, _ ...client.DeleteOption) error {
	b.Recorder.Note(ctx, KubernetesService, "DeleteTargetGroupBinding", &KubernetesWrite{Verb: "delete",
		Kind: "TargetGroupBinding", Namespace: obj.GetNamespace(), Name: obj.GetName()})
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deleted == nil {
		b.deleted = map[client.ObjectKey]bool{}
	}
	b.deleted[client.ObjectKeyFromObject(obj)] = true
	return nil
}

// Get reads the cluster; a binding the plan deleted is not found.
func (b *Bindings) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	b.mu.Lock()
	gone := b.deleted[key]
	b.mu.Unlock()
	if gone {
		return apierrors.NewNotFound(schema.GroupResource{Group: "elbv2.k8s.aws", Resource: "targetgroupbindings"}, key.Name)
	}
	return b.Reader.Get(ctx, key, obj, opts...)
}

// List reads the cluster without the bindings the plan deleted.
func (b *Bindings) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if err := b.Reader.List(ctx, list, opts...); err != nil {
		return err
	}
	tgbs, ok := list.(*elbv2api.TargetGroupBindingList)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := tgbs.Items[:0]
	for _, t := range tgbs.Items {
		if !b.deleted[client.ObjectKeyFromObject(&t)] {
			kept = append(kept, t)
		}
	}
	tgbs.Items = kept
	return nil
}

func bindingDetail(obj client.Object) string {
	tgb, ok := obj.(*elbv2api.TargetGroupBinding)
	if !ok {
		return ""
	}
	return fmt.Sprintf("target group %s, %s targets, service port %s", tgb.Spec.TargetGroupARN,
		targetType(tgb), tgb.Spec.ServiceRef.Port.String())
}

func targetType(tgb *elbv2api.TargetGroupBinding) string {
	if tgb.Spec.TargetType == nil {
		return "?"
	}
	return string(*tgb.Spec.TargetType)
}

// copyInto copies src into dst (objects of the same type).
func copyInto(src, dst runtime.Object) error {
	b, err := json.Marshal(src)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// gvkOf is the object's kind as the scheme knows it.
func gvkOf(s *runtime.Scheme, obj runtime.Object) (schema.GroupVersionKind, bool) {
	gvks, _, err := s.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return schema.GroupVersionKind{}, false
	}
	return gvks[0], true
}

// BindingController is the TargetGroupBinding controller's client in a
// plan: as ReadOnly, except for the two writes its membership change makes
// along the way, which are recorded (in order with the AWS calls) and not
// sent: removing LBC's checkpoint from a binding, and a pod's
// readiness-gate condition. Everything else (finalizers, status) is
// refused, as the plan calls the controller past them.
type BindingController struct {
	ReadOnly
	Recorder *awsclient.DryRun
}

// Patch records a patch of a TargetGroupBinding (LBC's checkpoint going).
func (c BindingController) Patch(ctx context.Context, obj client.Object, patch client.Patch,
	opts ...client.PatchOption) error {
	if _, ok := obj.(*elbv2api.TargetGroupBinding); !ok {
		return c.ReadOnly.Patch(ctx, obj, patch, opts...)
	}
	c.Recorder.Note(ctx, KubernetesService, "PatchTargetGroupBinding", &KubernetesWrite{Verb: "modify",
		Kind: "TargetGroupBinding", Namespace: obj.GetNamespace(), Name: obj.GetName(),
		Detail: "annotations: LBC's checkpoint removed"})
	return nil
}

// Status records a pod's readiness-gate condition and refuses the rest.
func (c BindingController) Status() client.SubResourceWriter {
	return podStatus{refusingSubResource: refusingSubResource{name: "status"}, recorder: c.Recorder}
}

type podStatus struct {
	refusingSubResource
	recorder *awsclient.DryRun
}

func (p podStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch,
	opts ...client.SubResourcePatchOption) error {
	if _, ok := obj.(*corev1.Pod); !ok {
		return p.refusingSubResource.Patch(ctx, obj, patch, opts...)
	}
	p.recorder.Note(ctx, KubernetesService, "PatchPodStatus", &KubernetesWrite{Verb: "modify", Kind: "Pod",
		Namespace: obj.GetNamespace(), Name: obj.GetName(), Detail: "status: target-health readiness gate condition"})
	return nil
}
