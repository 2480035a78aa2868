package certs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

var secretKey = types.NamespacedName{Namespace: "kube-system", Name: "kelb-webhook-tls"}

func scheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func getSecret(t *testing.T, c client.Client) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := c.Get(t.Context(), secretKey, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEnsureCreatesThenReuses(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme(t)).Build()
	names := ServiceNames("kelb-webhook-service", "kube-system")
	m1, reason, err := Ensure(t.Context(), c, secretKey, names, t0, DefaultLifetimes)
	if err != nil || reason == "" {
		t.Fatalf("first: %q, %v", reason, err)
	}
	s := getSecret(t, c)
	if diff := cmp.Diff(map[string]string{ManagedByLabel: ManagedByValue}, s.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if s.Type != corev1.SecretTypeTLS || !bytes.Equal(s.Data["tls.crt"], m1.Cert) || !bytes.Equal(s.Data["ca.crt"], m1.Bundle) {
		t.Errorf("secret holds other data: type %s", s.Type)
	}
	// Another replica, later: takes the same certificate, writes nothing.
	m2, reason, err := Ensure(t.Context(), c, secretKey, names, t0.Add(time.Hour), DefaultLifetimes)
	if err != nil || reason != "" || !bytes.Equal(m1.Cert, m2.Cert) {
		t.Fatalf("second: %q, %v, same cert %v", reason, err, bytes.Equal(m1.Cert, m2.Cert))
	}
	if rv := getSecret(t, c).ResourceVersion; rv != s.ResourceVersion {
		t.Errorf("secret written again (%s -> %s)", s.ResourceVersion, rv)
	}
	// Near the end: renewed in place.
	m3, reason, err := Ensure(t.Context(), c, secretKey, names, t0.Add(340*24*time.Hour), DefaultLifetimes)
	if err != nil || reason == "" || bytes.Equal(m3.Cert, m1.Cert) || !bytes.Equal(getSecret(t, c).Data["tls.crt"], m3.Cert) {
		t.Fatalf("renewal: %q, %v", reason, err)
	}
}

func TestEnsureNeverTouchesAnotherSecret(t *testing.T) {
	theirs := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretKey.Namespace, Name: secretKey.Name},
		Data: map[string][]byte{"password": []byte("x")}}
	c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(theirs).Build()
	_, _, err := Ensure(t.Context(), c, secretKey, []string{"svc"}, t0, DefaultLifetimes)
	if !errors.Is(err, ErrNotOurs) {
		t.Fatalf("error %v; want ErrNotOurs", err)
	}
	if diff := cmp.Diff(theirs.Data, getSecret(t, c).Data); diff != "" {
		t.Errorf("their Secret changed (-want +got):\n%s", diff)
	}
}

// TestEnsureLosesRacesGracefully: two replicas start at once. The one whose
// create finds the Secret made takes the other's certificate; the one whose
// update conflicts reads again.
func TestEnsureLosesRacesGracefully(t *testing.T) {
	names := []string{"svc.ns.svc"}
	winner, _, _ := Plan(nil, names, t0, DefaultLifetimes)
	raced := false
	c := fake.NewClientBuilder().WithScheme(scheme(t)).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if !raced {
				raced = true
				other := toSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretKey.Namespace,
					Name: secretKey.Name}}, winner)
				if err := c.Create(ctx, other); err != nil {
					return err
				}
			}
			return c.Create(ctx, obj, opts...)
		},
	}).Build()
	got, reason, err := Ensure(t.Context(), c, secretKey, names, t0, DefaultLifetimes)
	if err != nil || reason != "" || !bytes.Equal(got.Cert, winner.Cert) {
		t.Fatalf("create race: %q, %v, took the winner's %v", reason, err, bytes.Equal(got.Cert, winner.Cert))
	}

	conflicts := 0
	c2 := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(toSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Namespace: secretKey.Namespace, Name: secretKey.Name}}, Material{})).WithInterceptorFuncs(interceptor.Funcs{
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if conflicts == 0 {
				conflicts++
				return apierrors.NewConflict(corev1.Resource("secrets"), secretKey.Name, errors.New("changed"))
			}
			return c.Update(ctx, obj, opts...)
		},
	}).Build()
	if _, reason, err := Ensure(t.Context(), c2, secretKey, names, t0, DefaultLifetimes); err != nil || reason == "" || conflicts != 1 {
		t.Fatalf("update race: %q, %v, %d conflicts", reason, err, conflicts)
	}
}

func webhookConfig(name string, bundles ...string) *admissionregistrationv1.MutatingWebhookConfiguration {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for i, b := range bundles {
		cfg.Webhooks = append(cfg.Webhooks, admissionregistrationv1.MutatingWebhook{Name: name + string(rune('a'+i)) + ".example.com",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{CABundle: []byte(b)}})
	}
	return cfg
}

func TestPatchCABundleOnlyOurs(t *testing.T) {
	ours, lbc := webhookConfig("kelb-webhook", "", "old"), webhookConfig("aws-load-balancer-webhook", "lbc-ca")
	c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(ours, lbc).Build()
	wrote, err := PatchCABundle(t.Context(), c, "kelb-webhook", []byte("kelb-ca"))
	if err != nil || !wrote {
		t.Fatalf("patch: %v, %v", wrote, err)
	}
	got := &admissionregistrationv1.MutatingWebhookConfiguration{}
	_ = c.Get(t.Context(), types.NamespacedName{Name: "kelb-webhook"}, got)
	for _, w := range got.Webhooks {
		if string(w.ClientConfig.CABundle) != "kelb-ca" {
			t.Errorf("%s: bundle %q", w.Name, w.ClientConfig.CABundle)
		}
	}
	_ = c.Get(t.Context(), types.NamespacedName{Name: "aws-load-balancer-webhook"}, got)
	if diff := cmp.Diff("lbc-ca", string(got.Webhooks[0].ClientConfig.CABundle)); diff != "" {
		t.Errorf("another controller's configuration changed (-want +got):\n%s", diff)
	}
	if wrote, err := PatchCABundle(t.Context(), c, "kelb-webhook", []byte("kelb-ca")); err != nil || wrote {
		t.Errorf("second patch wrote %v, %v", wrote, err)
	}
	if _, err := PatchCABundle(t.Context(), c, "absent", []byte("x")); !apierrors.IsNotFound(err) {
		t.Errorf("absent configuration: %v", err)
	}
}

func TestBootstrap(t *testing.T) {
	t.Run("a provided certificate is used as it is", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"cert.pem", "key.pem"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c := fake.NewClientBuilder().WithScheme(scheme(t)).Build()
		m := &Manager{Config: Config{CertDir: dir, CertName: "cert.pem", KeyName: "key.pem", GeneratedDir: t.TempDir(),
			Secret: secretKey, WebhookConfig: "kelb-webhook"}, Client: c, Clock: clocktesting.NewFakeClock(t0), Log: logr.Discard()}
		src, err := m.Bootstrap(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Source{Dir: dir, CertName: "cert.pem", KeyName: "key.pem"}, src); diff != "" {
			t.Errorf("source (-want +got):\n%s", diff)
		}
		if err := c.Get(t.Context(), secretKey, &corev1.Secret{}); !apierrors.IsNotFound(err) {
			t.Errorf("a Secret was made: %v", err)
		}
	})
	t.Run("a certificate without key stops kelb", func(t *testing.T) {
		dir := t.TempDir()
		_ = os.WriteFile(filepath.Join(dir, "tls.crt"), []byte("x"), 0o600)
		m := &Manager{Config: Config{CertDir: dir}, Clock: clocktesting.NewFakeClock(t0), Log: logr.Discard()}
		if _, err := m.Bootstrap(t.Context()); err == nil {
			t.Error("no error")
		}
	})
	t.Run("none provided: kelb makes, stores, writes and trusts its own", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(webhookConfig("kelb-webhook", "")).Build()
		gen := t.TempDir()
		clk := clocktesting.NewFakeClock(t0)
		m := &Manager{Config: Config{CertDir: t.TempDir(), GeneratedDir: gen, Secret: secretKey,
			Names: ServiceNames("kelb-webhook-service", "kube-system"), WebhookConfig: "kelb-webhook"},
			Client: c, Clock: clk, Log: logr.Discard()}
		src, err := m.Bootstrap(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Source{Dir: gen, CertName: "tls.crt", KeyName: "tls.key", SelfManaged: true}, src); diff != "" {
			t.Errorf("source (-want +got):\n%s", diff)
		}
		s := getSecret(t, c)
		for file, key := range map[string]string{"tls.crt": "tls.crt", "tls.key": "tls.key", "ca.crt": "ca.crt"} {
			b, err := os.ReadFile(filepath.Join(gen, file))
			if err != nil || !bytes.Equal(b, s.Data[key]) {
				t.Errorf("%s: %v, same as the Secret %v", file, err, bytes.Equal(b, s.Data[key]))
			}
		}
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		_ = c.Get(t.Context(), types.NamespacedName{Name: "kelb-webhook"}, cfg)
		if !bytes.Equal(cfg.Webhooks[0].ClientConfig.CABundle, s.Data["ca.crt"]) {
			t.Error("CA bundle not written")
		}

		// The renewal pass near the end rewrites Secret, files and bundle.
		clk.SetTime(t0.Add(340 * 24 * time.Hour))
		if err := m.Pass(t.Context()); err != nil {
			t.Fatal(err)
		}
		renewed := getSecret(t, c)
		if bytes.Equal(renewed.Data["tls.crt"], s.Data["tls.crt"]) {
			t.Error("not renewed")
		}
		if b, _ := os.ReadFile(filepath.Join(gen, "tls.crt")); !bytes.Equal(b, renewed.Data["tls.crt"]) {
			t.Error("renewed certificate not written")
		}
	})
	t.Run("no webhook configuration yet is not fatal", func(t *testing.T) {
		c := fake.NewClientBuilder().WithScheme(scheme(t)).Build()
		m := &Manager{Config: Config{CertDir: t.TempDir(), GeneratedDir: t.TempDir(), Secret: secretKey,
			Names: []string{"svc"}, WebhookConfig: "kelb-webhook"}, Client: c, Clock: clocktesting.NewFakeClock(t0), Log: logr.Discard()}
		if _, err := m.Bootstrap(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := m.Pass(t.Context()); err == nil {
			t.Error("a pass without configuration reported no problem")
		}
	})
}
