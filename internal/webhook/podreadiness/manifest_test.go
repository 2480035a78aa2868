package podreadiness

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/kelb-dev/kelb/internal/readinessgate"
)

// TestManifest: the webhook configuration kelb ships can never block a pod
// or cluster bootstrap, and reaches this handler for pod creations in
// labelled namespaces only.
func TestManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "webhook", "manifests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := yaml.UnmarshalStrict(b, cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "kelb-webhook" || len(cfg.Webhooks) != 1 {
		t.Fatalf("configuration %s with %d webhooks", cfg.Name, len(cfg.Webhooks))
	}
	w := cfg.Webhooks[0]
	got := []any{*w.FailurePolicy, *w.SideEffects, *w.TimeoutSeconds, *w.ClientConfig.Service.Path,
		w.ClientConfig.Service.Name, w.ClientConfig.CABundle, w.ObjectSelector, len(w.MatchConditions)}
	want := []any{admissionregistrationv1.Ignore, admissionregistrationv1.SideEffectClassNone, int32(5), Path,
		"kelb-webhook-service", []byte(nil), (*metav1.LabelSelector)(nil), 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("webhook (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
			Scope: ptr(admissionregistrationv1.NamespacedScope)}}}, w.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	sel, err := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"kubernetes.io/metadata.name": "shop", readinessgate.NamespaceLabel: "enabled"}, true},
		{map[string]string{"kubernetes.io/metadata.name": "shop"}, false},
		{map[string]string{"kubernetes.io/metadata.name": "kube-system", readinessgate.NamespaceLabel: "enabled"}, false},
	} {
		if got := sel.Matches(labels.Set(tc.labels)); got != tc.want {
			t.Errorf("namespace %v selected: %v; want %v", tc.labels, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
