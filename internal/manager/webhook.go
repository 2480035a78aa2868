package manager

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/kelb-dev/kelb/internal/webhook/certs"
	"github.com/kelb-dev/kelb/internal/webhook/podreadiness"
)

// The pod readiness gate webhook reads, through the cache:
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=elbv2.k8s.aws,resources=targetgroupbindings,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch

// Defaults of kelb's webhook flags: its own names, so LBC's objects are
// never written (pass LBC's names to take them over).
const (
	DefaultWebhookServiceName = "kelb-webhook-service"
	DefaultWebhookSecretName  = "kelb-webhook-tls"
	DefaultWebhookConfigName  = "kelb-webhook"
)

// webhookParts are the webhook server and what keeps its certificate.
type webhookParts struct {
	server webhook.Server
	certs  *certs.Manager
	log    logr.Logger
}

// newWebhook prepares the webhook server on --webhook-bind-port with a
// provided or self-made certificate. A failure here is reported and kelb
// runs without the webhook: pods are then created without gates (the
// configuration's failurePolicy is Ignore), and Services are still served.
func newWebhook(ctx context.Context, restCfg *rest.Config, scheme *runtime.Scheme, o Options, ov Overrides,
	clk clock.Clock) *webhookParts {
	log := ctrl.Log.WithName("webhook")
	parts, err := buildWebhook(ctx, restCfg, scheme, o, ov, clk, log)
	if err != nil {
		log.Error(err, "the pod readiness gate webhook is not served; pods are created without target-health gates")
		return nil
	}
	return parts
}

func buildWebhook(ctx context.Context, restCfg *rest.Config, scheme *runtime.Scheme, o Options, ov Overrides,
	clk clock.Clock, log logr.Logger) (*webhookParts, error) {
	direct, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	namespace := o.WebhookServiceNamespace
	if namespace == "" {
		namespace = recordNamespace(o)
	}
	generated := ov.WebhookGeneratedCertDir
	if generated == "" {
		// One folder per port: kelb processes sharing a machine (tests,
		// benchmarks) never overwrite each other's files.
		generated = filepath.Join(os.TempDir(), fmt.Sprintf("kelb-webhook-serving-certs-%d", o.LBC.WebhookBindPort))
	}
	cm := &certs.Manager{Config: certs.Config{CertDir: o.LBC.WebhookCertDir, CertName: o.LBC.WebhookCertFile,
		KeyName: o.LBC.WebhookKeyFile, GeneratedDir: generated,
		Secret:        types.NamespacedName{Namespace: namespace, Name: o.WebhookSecretName},
		Names:         append(certs.ServiceNames(o.WebhookServiceName, namespace), o.WebhookExtraNames...),
		WebhookConfig: o.WebhookConfigName}, Client: direct, Clock: clk, Log: log}
	src, err := cm.Bootstrap(ctx)
	if err != nil {
		return nil, err
	}
	tlsOpts, err := webhookTLS(o.LBC.KubeCAPemFilepath)
	if err != nil {
		return nil, err
	}
	server := webhook.NewServer(webhook.Options{Host: ov.WebhookHost, Port: o.LBC.WebhookBindPort,
		CertDir: src.Dir, CertName: src.CertName, KeyName: src.KeyName, TLSOpts: tlsOpts})
	return &webhookParts{server: server, certs: cm, log: log}, nil
}

// webhookTLS is LBC's TLS setting of the webhook server: TLS 1.2 or later,
// and with --kube-ca-pem-filepath only callers whose client certificate
// that CA signed. HTTP/2 is off (controller-runtime's advice since the
// HTTP/2 rapid-reset attacks).
func webhookTLS(clientCAFile string) ([]func(*tls.Config), error) {
	opts := []func(*tls.Config){func(c *tls.Config) {
		c.MinVersion = tls.VersionTLS12
		c.NextProtos = []string{"http/1.1"}
	}}
	if clientCAFile == "" {
		return opts, nil
	}
	pemData, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("--kube-ca-pem-filepath: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("--kube-ca-pem-filepath: %s holds no PEM certificate", clientCAFile)
	}
	return append(opts, func(c *tls.Config) {
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}), nil
}

// register adds the handler, the server and the certificate renewal to the
// manager. The server runs on every replica (not only the leader); if it
// cannot start (the port taken), that is logged and kelb goes on.
func (w *webhookParts) register(mgr ctrl.Manager, o Options) error {
	w.server.Register(podreadiness.Path, podreadiness.NewWebhook(&podreadiness.Handler{Reader: mgr.GetClient(),
		Enabled: o.LBC.EnablePodReadinessGateInject, Log: w.log}, mgr.GetScheme()))
	if err := mgr.Add(&nonFatal{Runnable: w.server, log: w.log, what: "webhook server"}); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("webhook", w.server.StartedChecker()); err != nil {
		return err
	}
	return mgr.Add(&nonFatal{Runnable: w.certs, log: w.log, what: "webhook certificate renewal"})
}

// nonFatal runs a runnable on every replica and logs its failure instead
// of stopping kelb: the webhook is an extra that must not take the
// Service controller down with it.
type nonFatal struct {
	Runnable interface{ Start(context.Context) error }
	log      logr.Logger
	what     string
}

func (n *nonFatal) Start(ctx context.Context) error {
	if err := n.Runnable.Start(ctx); err != nil {
		n.log.Error(err, n.what+" stopped; pods are created without target-health gates")
	}
	return nil
}

func (n *nonFatal) NeedLeaderElection() bool { return false }
