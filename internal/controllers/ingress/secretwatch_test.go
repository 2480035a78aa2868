package ingress

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	metadatafake "k8s.io/client-go/metadata/fake"
)

// TestSecretWatch: one watch per Secret some Ingress names, dropped when
// none does; a created Secret re-queues the Ingresses naming it.
func TestSecretWatch(t *testing.T) {
	client := metadatafake.NewSimpleMetadataClient(metadatafake.NewTestScheme())
	w := NewSecretWatch(client)
	web, api := types.NamespacedName{Namespace: "shop", Name: "web"}, types.NamespacedName{Namespace: "shop", Name: "api"}
	w.Track(web, []string{"oidc"})
	if got := w.Watched(); len(got) != 0 {
		t.Fatalf("watching %v before the start", got)
	}
	w.start(t.Context())
	w.Track(web, []string{"oidc"})
	w.Track(api, []string{"oidc", "other"})
	oidc, other := types.NamespacedName{Namespace: "shop", Name: "oidc"}, types.NamespacedName{Namespace: "shop", Name: "other"}
	if diff := cmp.Diff([]types.NamespacedName{oidc, other}, w.Watched()); diff != "" {
		t.Errorf("watched (-want +got):\n%s", diff)
	}
	secret := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "oidc"}}
	if _, err := client.Resource(secretsResource).Namespace("shop").(metadatafake.MetadataClient).CreateFake(secret,
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	requeued := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for len(requeued) < 2 {
		select {
		case e := <-w.changed:
			requeued[e.Object.GetNamespace()+"/"+e.Object.GetName()] = true
		case <-deadline:
			t.Fatalf("re-queued %v, want shop/web and shop/api", requeued)
		}
	}
	w.Track(api, nil)
	if diff := cmp.Diff([]types.NamespacedName{oidc}, w.Watched()); diff != "" {
		t.Errorf("watched after api dropped its Secrets (-want +got):\n%s", diff)
	}
	w.Track(web, nil)
	if got := w.Watched(); len(got) != 0 {
		t.Errorf("still watching %v", got)
	}
}
