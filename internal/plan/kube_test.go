package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

func tgb(ns, name string) *elbv2api.TargetGroupBinding {
	return &elbv2api.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

const manifests = `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
---
# an empty document
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: store
spec:
  ingressClassName: alb
`

func TestLoadFilesAndOverlay(t *testing.T) {
	s := testScheme(t)
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := LoadFiles(s, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range files.Objects {
		got = append(got, o.GetObjectKind().GroupVersionKind().Kind+" "+o.GetNamespace()+"/"+o.GetName())
	}
	if diff := cmp.Diff([]string{"Service default/web", "Ingress store/shop"}, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	// The cluster has web (to be replaced by the file's) and other.
	cluster := fake.NewClientBuilder().WithScheme(s).WithObjects(
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "other"}}).Build()
	c := ReadOnly{Client: cluster, Files: files}
	ctx := context.Background()
	var svc corev1.Service
	if err := c.Get(ctx, keyOf("default", "web"), &svc); err != nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("Get: the file's Service wins: type %s, %v", svc.Spec.Type, err)
	}
	var list corev1.ServiceList
	if err := c.List(ctx, &list, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	types := map[string]corev1.ServiceType{}
	for _, s := range list.Items {
		types[s.Name] = s.Spec.Type
	}
	if diff := cmp.Diff(map[string]corev1.ServiceType{"web": corev1.ServiceTypeLoadBalancer, "other": ""}, types); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	var labelled corev1.ServiceList
	if err := c.List(ctx, &labelled, client.MatchingLabels{"app": "nope"}); err != nil || len(labelled.Items) != 0 {
		t.Errorf("a label selector filters the files' objects too: %d, %v", len(labelled.Items), err)
	}
	var ings networkingv1.IngressList
	if err := c.List(ctx, &ings, client.InNamespace("default")); err != nil || len(ings.Items) != 0 {
		t.Errorf("namespace filter: %d Ingresses, %v", len(ings.Items), err)
	}
}

func TestLoadFilesRefusesUnknownKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFiles(testScheme(t), []string{path}); err == nil {
		t.Error("an unknown kind must be refused")
	}
}

// Every write through the plan's client fails: the controllers' code a
// plan runs never changes the cluster.
func TestReadOnlyRefusesWrites(t *testing.T) {
	s := testScheme(t)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}}
	c := ReadOnly{Client: fake.NewClientBuilder().WithScheme(s).WithObjects(svc.DeepCopy()).Build()}
	ctx := context.Background()
	for name, write := range map[string]func() error{
		"create":        func() error { return c.Create(ctx, svc.DeepCopy()) },
		"update":        func() error { return c.Update(ctx, svc.DeepCopy()) },
		"patch":         func() error { return c.Patch(ctx, svc.DeepCopy(), client.MergeFrom(svc)) },
		"delete":        func() error { return c.Delete(ctx, svc.DeepCopy()) },
		"delete all of": func() error { return c.DeleteAllOf(ctx, &corev1.Service{}) },
		"status update": func() error { return c.Status().Update(ctx, svc.DeepCopy()) },
		"status patch":  func() error { return c.Status().Patch(ctx, svc.DeepCopy(), client.MergeFrom(svc)) },
		"subresource":   func() error { return c.SubResource("status").Update(ctx, svc.DeepCopy()) },
	} {
		var refused *WriteRefusedError
		if err := write(); !errors.As(err, &refused) {
			t.Errorf("%s: want a refusal, got %v", name, err)
		}
	}
	var got corev1.Service
	if err := c.Get(ctx, keyOf("default", "web"), &got); err != nil {
		t.Errorf("reads still work: %v", err)
	}
}

// The binding controller's own writes along a membership change are
// recorded; any other write is refused.
func TestBindingControllerRecordsItsWrites(t *testing.T) {
	s := testScheme(t)
	if err := elbv2api.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	rec := awsclient.NewDryRun("r")
	c := BindingController{ReadOnly: ReadOnly{Client: fake.NewClientBuilder().WithScheme(s).Build()}, Recorder: rec}
	ctx := context.Background()
	b := tgb("ns", "b")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	if err := c.Patch(ctx, b, client.MergeFrom(b)); err != nil {
		t.Errorf("checkpoint patch: %v", err)
	}
	if err := c.Status().Patch(ctx, pod, client.MergeFrom(pod)); err != nil {
		t.Errorf("pod readiness condition: %v", err)
	}
	var refused *WriteRefusedError
	if err := c.Status().Patch(ctx, b, client.MergeFrom(b)); !errors.As(err, &refused) {
		t.Errorf("binding status: want a refusal, got %v", err)
	}
	if err := c.Patch(ctx, pod, client.MergeFrom(pod)); !errors.As(err, &refused) {
		t.Errorf("pod patch: want a refusal, got %v", err)
	}
	var got []string
	for _, call := range rec.Calls() {
		got = append(got, call.Operation)
	}
	if diff := cmp.Diff([]string{"PatchTargetGroupBinding", "PatchPodStatus"}, got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
}
