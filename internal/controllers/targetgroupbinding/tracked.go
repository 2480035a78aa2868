package targetgroupbinding

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/targets"
)

// LBC keeps the targets a multi-cluster binding registered in a ConfigMap
// of the binding's namespace; kelb reads and writes the same one, so either
// controller can take over from the other without deregistering another
// cluster's targets.
const (
	trackedConfigMapPrefix = "aws-lbc-targets-"
	trackedKey             = "targets"
)

func trackedName(tgb *elbv2api.TargetGroupBinding) string { return trackedConfigMapPrefix + tgb.Name }

// tracked reads and writes the record, through a copy kept in memory (the
// ConfigMaps are read straight from the API server, never cached: a
// cluster has many ConfigMaps and kelb needs only these).
type tracked struct {
	reader client.Reader
	writer client.Client

	mu    sync.Mutex
	known map[string]targets.Set // namespace/name -> record
}

func newTracked(reader client.Reader, writer client.Client) *tracked {
	return &tracked{reader: reader, writer: writer, known: map[string]targets.Set{}}
}

func trackedKeyOf(tgb *elbv2api.TargetGroupBinding) string { return tgb.Namespace + "/" + tgb.Name }

// get returns the record; nil when there is none yet (a new binding, or
// one just turned multi-cluster: nothing can be proven this binding's).
func (t *tracked) get(ctx context.Context, tgb *elbv2api.TargetGroupBinding) (targets.Set, error) {
	t.mu.Lock()
	s, ok := t.known[trackedKeyOf(tgb)]
	t.mu.Unlock()
	if ok {
		return s, nil
	}
	var cm corev1.ConfigMap
	err := t.reader.Get(ctx, client.ObjectKey{Namespace: tgb.Namespace, Name: trackedName(tgb)}, &cm)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the targets record %s/%s: %w", tgb.Namespace, trackedName(tgb), err)
	}
	s = targets.DecodeTracked(cm.Data[trackedKey])
	t.remember(tgb, s)
	return s, nil
}

// put writes the record when it differs from what is known.
func (t *tracked) put(ctx context.Context, tgb *elbv2api.TargetGroupBinding, s targets.Set) error {
	t.mu.Lock()
	old, ok := t.known[trackedKeyOf(tgb)]
	t.mu.Unlock()
	if ok && old.Equal(s) {
		return nil
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: tgb.Namespace, Name: trackedName(tgb)},
		Data: map[string]string{trackedKey: targets.EncodeTracked(s)}}
	err := t.writer.Update(ctx, cm)
	if apierrors.IsNotFound(err) {
		err = t.writer.Create(ctx, cm)
	}
	if err != nil {
		t.forget(tgb)
		return fmt.Errorf("writing the targets record %s/%s: %w", tgb.Namespace, trackedName(tgb), err)
	}
	t.remember(tgb, s)
	return nil
}

// remove deletes the record of a binding being deleted.
func (t *tracked) remove(ctx context.Context, tgb *elbv2api.TargetGroupBinding) error {
	t.forget(tgb)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: tgb.Namespace, Name: trackedName(tgb)}}
	if err := t.writer.Delete(ctx, cm); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the targets record %s/%s: %w", tgb.Namespace, trackedName(tgb), err)
	}
	return nil
}

func (t *tracked) remember(tgb *elbv2api.TargetGroupBinding, s targets.Set) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.known[trackedKeyOf(tgb)] = s
}

func (t *tracked) forget(tgb *elbv2api.TargetGroupBinding) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.known, trackedKeyOf(tgb))
}
