package integration

import (
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2"
	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/readinessgate"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// TestPodReadinessGateWebhook: with kelb's webhook configuration
// (config/webhook/manifests.yaml) installed, a pod created in a labelled
// namespace and selected by the Service of an ip TargetGroupBinding gets
// LBC's target-health gate, others do not; the binding controller's status
// patch sets the condition on that pod only. With kelb stopped, pods are
// still created at once (failurePolicy Ignore). Started again without a
// provided certificate, kelb makes its own, stores it in its Secret and
// writes its CA into its webhook configuration, which the API server then
// trusts.
func TestPodReadinessGateWebhook(t *testing.T) {
	cl := newCluster(t, 1, testenv.WithWebhooks("config/webhook/manifests.yaml"))
	wh := cl.kube.Webhook()
	// envtest's certificate, as LBC's chart or cert-manager would mount it.
	cl.opts.EnableWebhook = true
	cl.opts.LBC.EnablePodReadinessGateInject = true
	cl.opts.LBC.WebhookBindPort = wh.LocalServingPort
	cl.opts.LBC.WebhookCertDir = wh.LocalServingCertDir
	ctx := t.Context()

	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{readinessgate.NamespaceLabel: "enabled"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}},
	} {
		if err := cl.c.Create(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2api.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	typed, err := client.New(cl.kube.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ip, instance := v1beta1.TargetTypeIP, v1beta1.TargetTypeInstance
	for _, o := range []client.Object{
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}},
		&v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-ip"},
			Spec: v1beta1.TargetGroupBindingSpec{TargetType: &ip, ServiceRef: v1beta1.ServiceReference{Name: "web",
				Port: intstr.FromInt32(80)}, TargetGroupARN: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/1"}},
		&v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-instance"},
			Spec: v1beta1.TargetGroupBindingSpec{TargetType: &instance, ServiceRef: v1beta1.ServiceReference{Name: "web",
				Port: intstr.FromInt32(80)}, TargetGroupARN: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/2"}},
	} {
		if err := typed.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	newPod := func(ns, name, app string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}
	}
	gates := func(p *corev1.Pod) []string {
		var out []string
		for _, g := range p.Spec.ReadinessGates {
			out = append(out, string(g.ConditionType))
		}
		return out
	}

	cl.startKelb()
	// Ready when a dry-run creation (webhooks see it; nothing is stored)
	// comes back with the gate.
	eventually(t, 60*time.Second, "the webhook injecting", func() (bool, string) {
		p := newPod("shop", "probe", "web")
		if err := cl.c.Create(ctx, p, client.DryRunAll); err != nil {
			return false, err.Error()
		}
		return len(p.Spec.ReadinessGates) == 1, fmt.Sprintf("gates %v", gates(p))
	})

	for _, tc := range []struct {
		ns, name, app string
		want          []string
	}{
		{ns: "shop", name: "web-1", app: "web", want: []string{"target-health.elbv2.k8s.aws/web-ip"}},
		{ns: "shop", name: "api-1", app: "api"},
		{ns: "plain", name: "web-1", app: "web"},
	} {
		p := newPod(tc.ns, tc.name, tc.app)
		if err := cl.c.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		if got := gates(p); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s/%s: gates %v; want %v", tc.ns, tc.name, got, tc.want)
		}
	}

	// The binding controller's patch sets the condition on that pod, and
	// is refused for another pod of the same name (a UID precondition).
	web := &corev1.Pod{}
	if err := cl.c.Get(ctx, types.NamespacedName{Namespace: "shop", Name: "web-1"}, web); err != nil {
		t.Fatal(err)
	}
	ct := readinessgate.ConditionType("web-ip")
	cond := readinessgate.Condition(ct, readinessgate.TargetHealth{State: "initial", Reason: "Elb.InitialHealthChecking",
		Description: "Initial health checks in progress"}, readinessgate.Existing(web, ct), metav1.Now())
	patch, err := readinessgate.StatusPatch(web.UID, cond)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.c.Status().Patch(ctx, web, client.RawPatch(types.StrategicMergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	if got := readinessgate.Existing(web, ct); got == nil || got.Status != corev1.ConditionFalse ||
		got.Reason != "Elb.InitialHealthChecking" {
		t.Errorf("condition after patch: %+v", got)
	}
	stale, _ := readinessgate.StatusPatch("00000000-0000-0000-0000-000000000000", cond)
	err = cl.c.Status().Patch(ctx, web.DeepCopy(), client.RawPatch(types.StrategicMergePatchType, stale))
	if err == nil || !(apierrors.IsConflict(err) || apierrors.IsInvalid(err)) {
		t.Errorf("patch with another pod's UID: %v; want a refusal", err)
	}

	// kelb down: the API server cannot reach the webhook, ignores it and
	// creates the pod without delay.
	cl.stopKelb()
	start := time.Now()
	p := newPod("shop", "web-2", "web")
	if err := cl.c.Create(ctx, p); err != nil {
		t.Fatalf("pod refused with kelb stopped: %v", err)
	}
	took := time.Since(start)
	t.Logf("pod created with kelb stopped in %s", took)
	if took > 3*time.Second || len(p.Spec.ReadinessGates) != 0 {
		t.Errorf("with kelb stopped: created in %s with gates %v; want well under the 5 s timeout, no gates", took, gates(p))
	}

	// No certificate provided: kelb's own CA, trusted once kelb writes it
	// into its configuration (emptied here of envtest's CA).
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := cl.c.Get(ctx, types.NamespacedName{Name: "kelb-webhook"}, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Webhooks[0].ClientConfig.CABundle = nil
	if err := cl.c.Update(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	cl.opts.LBC.WebhookCertDir = t.TempDir()
	cl.opts.WebhookServiceNamespace = "kube-system" // kelb's namespace: the chart grants Secret writes there only
	cl.opts.WebhookSecretName = "kelb-webhook-tls"
	cl.opts.WebhookConfigName = "kelb-webhook"
	cl.opts.WebhookServiceName = "kelb-webhook-service"
	cl.opts.WebhookExtraNames = []string{wh.LocalServingHost} // the configuration calls an address here
	cl.startKelb()
	eventually(t, 60*time.Second, "the webhook injecting with kelb's own certificate", func() (bool, string) {
		p := newPod("shop", "probe", "web")
		if err := cl.c.Create(ctx, p, client.DryRunAll); err != nil {
			return false, err.Error()
		}
		return len(p.Spec.ReadinessGates) == 1, fmt.Sprintf("gates %v", gates(p))
	})
	secret := &corev1.Secret{}
	if err := cl.c.Get(ctx, types.NamespacedName{Namespace: "kube-system", Name: "kelb-webhook-tls"}, secret); err != nil {
		t.Fatal(err)
	}
	if err := cl.c.Get(ctx, types.NamespacedName{Name: "kelb-webhook"}, cfg); err != nil {
		t.Fatal(err)
	}
	if secret.Labels["app.kubernetes.io/managed-by"] != "kelb" ||
		string(cfg.Webhooks[0].ClientConfig.CABundle) != string(secret.Data["ca.crt"]) {
		t.Errorf("Secret labels %v; configuration trusts the Secret's CA: %v", secret.Labels,
			string(cfg.Webhooks[0].ClientConfig.CABundle) == string(secret.Data["ca.crt"]))
	}
}
