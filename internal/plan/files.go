package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Files are the objects of the manifests given with -f. They are planned
// instead of the cluster's Services and Ingresses, and are laid over the
// cluster's objects for every read (a Service of a file is the backend an
// Ingress of the cluster or of a file finds), so they are planned against
// the cluster as it is and live AWS.
type Files struct {
	Objects []client.Object
}

// LoadFiles reads YAML (several documents per file) or JSON manifests. A
// namespaced object without namespace goes to "default", as kubectl puts
// it; a kind the scheme does not know is an error naming the file.
func LoadFiles(s *runtime.Scheme, paths []string) (*Files, error) {
	f := &Files{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", path, err)
		}
		objs, err := decodeManifests(s, data)
		if err != nil {
			return nil, fmt.Errorf("-f %s: %w", path, err)
		}
		f.Objects = append(f.Objects, objs...)
	}
	return f, nil
}

func decodeManifests(s *runtime.Scheme, data []byte) ([]client.Object, error) {
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []client.Object
	for doc := 1; ; doc++ {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(u.Object) == 0 {
			continue // an empty document between separators
		}
		if u.GetKind() == "List" || strings.HasSuffix(u.GetKind(), "List") {
			items, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("document %d: %w", doc, err)
			}
			for i := range items.Items {
				obj, err := typed(s, &items.Items[i])
				if err != nil {
					return nil, fmt.Errorf("document %d item %d: %w", doc, i+1, err)
				}
				out = append(out, obj)
			}
			continue
		}
		obj, err := typed(s, &u)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		out = append(out, obj)
	}
}

// typed converts an object of a manifest to its Go type.
func typed(s *runtime.Scheme, u *unstructured.Unstructured) (client.Object, error) {
	gvk := u.GroupVersionKind()
	ro, err := s.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("kind %s is not one kelb reads: %w", gvk, err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, ro); err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	obj, ok := ro.(client.Object)
	if !ok {
		return nil, fmt.Errorf("kind %s is not an object", gvk)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	if obj.GetNamespace() == "" && namespaced(gvk.Kind) {
		obj.SetNamespace("default")
	}
	return obj, nil
}

// namespaced tells the cluster-wide kinds kelb reads from the others.
func namespaced(kind string) bool {
	switch kind {
	case "Namespace", "Node", "IngressClass", "IngressClassParams":
		return false
	}
	return true
}

// get copies the manifests' object of key and obj's kind into obj.
func (f *Files) get(s *runtime.Scheme, key client.ObjectKey, obj client.Object) bool {
	if f == nil {
		return false
	}
	want, ok := gvkOf(s, obj)
	if !ok {
		return false
	}
	for _, o := range f.Objects {
		if gvk, ok := gvkOf(s, o); ok && gvk == want && o.GetNamespace() == key.Namespace && o.GetName() == key.Name {
			return copyInto(o, obj) == nil
		}
	}
	return false
}

// overlay puts the manifests' objects of the list's kind into list, in
// place of the cluster's of the same name. A list by field (an index) is
// left as the cluster answers it: manifests hold no objects kelb reads so.
func (f *Files) overlay(s *runtime.Scheme, list client.ObjectList, opts []client.ListOption) error {
	if f == nil || len(f.Objects) == 0 {
		return nil
	}
	var lo client.ListOptions
	lo.ApplyOptions(opts)
	if lo.FieldSelector != nil && !lo.FieldSelector.Empty() {
		return nil
	}
	listGVK, ok := gvkOf(s, list)
	if !ok {
		return nil
	}
	itemKind := strings.TrimSuffix(listGVK.Kind, "List")
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	byKey := map[client.ObjectKey]int{}
	for i, it := range items {
		if o, ok := it.(client.Object); ok {
			byKey[client.ObjectKeyFromObject(o)] = i
		}
	}
	for _, o := range f.Objects {
		gvk, ok := gvkOf(s, o)
		if !ok || gvk.Group != listGVK.Group || gvk.Kind != itemKind {
			continue
		}
		if lo.Namespace != "" && o.GetNamespace() != lo.Namespace {
			continue
		}
		if lo.LabelSelector != nil && !lo.LabelSelector.Matches(labels.Set(o.GetLabels())) {
			continue
		}
		c := o.DeepCopyObject()
		if i, ok := byKey[client.ObjectKeyFromObject(o)]; ok {
			items[i] = c
		} else {
			items = append(items, c)
		}
	}
	return meta.SetList(list, items)
}

// Of returns the manifests' objects of one Go type.
func Of[T client.Object](f *Files) []T {
	var out []T
	if f == nil {
		return nil
	}
	for _, o := range f.Objects {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// TakeServerFields gives each manifest Service what the API server holds of
// the cluster's Service of the same name and a manifest never says: its
// UID, finalizers and the node ports (and health-check node port) it
// allocated, so that a file planned against a live Service builds the same
// target groups. It returns the Services that are not in the cluster and
// need a node port the API server would only allocate at create.
func (f *Files) TakeServerFields(ctx context.Context, cluster client.Reader) ([]string, error) {
	var unallocated []string
	for _, svc := range Of[*corev1.Service](f) {
		var live corev1.Service
		err := cluster.Get(ctx, client.ObjectKeyFromObject(svc), &live)
		if client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("reading Service %s/%s: %w", svc.Namespace, svc.Name, err)
		}
		if err != nil {
			if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && needsNodePorts(svc) {
				unallocated = append(unallocated, svc.Namespace+"/"+svc.Name)
			}
			continue
		}
		svc.UID, svc.Finalizers, svc.ResourceVersion = live.UID, live.Finalizers, live.ResourceVersion
		svc.CreationTimestamp = live.CreationTimestamp
		if svc.Spec.HealthCheckNodePort == 0 {
			svc.Spec.HealthCheckNodePort = live.Spec.HealthCheckNodePort
		}
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
			for _, lp := range live.Spec.Ports {
				if p.NodePort == 0 && lp.Port == p.Port && lp.Protocol == p.Protocol {
					p.NodePort = lp.NodePort
				}
			}
		}
	}
	return unallocated, nil
}

func needsNodePorts(svc *corev1.Service) bool {
	if svc.Spec.AllocateLoadBalancerNodePorts != nil && !*svc.Spec.AllocateLoadBalancerNodePorts {
		return false
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort == 0 {
			return true
		}
	}
	return false
}
