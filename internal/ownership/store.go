package ownership

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The record's ConfigMap is read and written directly (kelb does not watch
// ConfigMaps, and caching every ConfigMap of the cluster to read one would
// cost more than the record):
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create;update

const (
	// DefaultName is the ConfigMap's name.
	DefaultName = "kelb-owned-stacks"
	dataKey     = "stacks"
	// MaxBytes bounds the encoded record, with room to spare under the API
	// server's 1 MiB limit on a ConfigMap. A stack with a load balancer,
	// one target group and its frontend group takes about 180 bytes
	// (1,000 stacks: 176 kB): some 5,000 such stacks fit. Beyond, stacks
	// are left out of the record (and reported if they become orphans).
	MaxBytes = 900 << 10
)

// Store reads and writes the record's ConfigMap.
type Store struct {
	// Reader reads the API server directly.
	Reader client.Reader
	Writer client.Writer
	Key    types.NamespacedName

	resourceVersion string // of the last read or write; "" when there is no ConfigMap
}

// Load reads the record; an absent ConfigMap is an empty record.
func (s *Store) Load(ctx context.Context) (Entries, error) {
	var cm corev1.ConfigMap
	err := s.Reader.Get(ctx, s.Key, &cm)
	if apierrors.IsNotFound(err) {
		s.resourceVersion = ""
		return Entries{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s: %w", s.Key, err)
	}
	s.resourceVersion = cm.ResourceVersion
	return Decode(cm.Data[dataKey]), nil
}

// Save writes the record: it creates the ConfigMap, or updates the version
// Load or the last Save saw (a conflict means someone else wrote it: Load
// again before the next Save).
func (s *Store) Save(ctx context.Context, e Entries) error {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Key.Namespace, Name: s.Key.Name,
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "kelb"},
			Annotations: map[string]string{"kelb.dev/description": "AWS resources without kelb's identity tag seen claimed by a live Service of this cluster: proof for the orphan sweeper. Edit only to revoke."}},
		Data: map[string]string{dataKey: Encode(e)},
	}
	var err error
	if s.resourceVersion == "" {
		err = s.Writer.Create(ctx, cm)
	} else {
		cm.ResourceVersion = s.resourceVersion
		err = s.Writer.Update(ctx, cm)
	}
	if err != nil {
		return fmt.Errorf("writing ConfigMap %s: %w", s.Key, err)
	}
	s.resourceVersion = cm.ResourceVersion
	return nil
}
