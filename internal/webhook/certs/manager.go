package certs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The Secret and the webhook configuration kelb writes when it makes its
// own certificates. The Secret is in kelb's own namespace only (the
// marker's namespace stands for it: the chart's Role is put in the release
// namespace); the webhook configuration is cluster-scoped.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;update,namespace=kube-system
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;update

// File names the webhook server reads by default (controller-runtime's and
// LBC's).
const (
	DefaultCertName = "tls.crt"
	DefaultKeyName  = "tls.key"
)

// DefaultCertDir is where the webhook server looks without
// --webhook-cert-dir, as in LBC (controller-runtime's default), and where
// LBC's chart mounts its certificate Secret.
func DefaultCertDir() string {
	return filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
}

// Config says where a provided certificate is looked for and, when there
// is none, what kelb makes and where it puts it.
type Config struct {
	// CertDir, CertName, KeyName are LBC's --webhook-cert-dir,
	// --webhook-cert-file and --webhook-key-file (defaults when empty).
	CertDir, CertName, KeyName string
	// GeneratedDir is where kelb writes what it makes: its own folder, so
	// that after a restart its files are never taken for provided ones.
	GeneratedDir string
	// Secret holds what kelb makes, shared by the replicas.
	Secret types.NamespacedName
	// Names are the DNS names (or IP addresses) of the serving certificate.
	Names []string
	// WebhookConfig is kelb's MutatingWebhookConfiguration, whose CA bundle
	// kelb keeps; no other configuration is ever written.
	WebhookConfig string
	Lifetimes     Lifetimes
	// CheckInterval is how often the Secret is looked at for renewal
	// (DefaultCheckInterval when 0).
	CheckInterval time.Duration
}

// DefaultCheckInterval: renewal is 30 days ahead, so an hourly look is
// plenty; it also repairs a CA bundle a deploy tool reset within the hour.
const DefaultCheckInterval = time.Hour

// retryInterval is the wait after a failed pass (the webhook configuration
// not deployed yet, the API server away).
const retryInterval = time.Minute

// Source is what the webhook server reads.
type Source struct {
	Dir, CertName, KeyName string
	// SelfManaged: kelb made the certificate and keeps it.
	SelfManaged bool
}

// Manager provides the serving certificate: Bootstrap before the webhook
// server starts, then, as a runnable on every replica, renewal.
type Manager struct {
	Config Config
	// Client reads and writes the Secret and the webhook configuration
	// directly (never a cache: no Secret informer).
	Client client.Client
	Clock  clock.Clock
	Log    logr.Logger

	source Source
	bundle []byte
}

// Bootstrap finds a provided certificate or makes, stores and writes
// kelb's own, and returns what the webhook server reads. A failure to put
// the CA into the webhook configuration is not fatal (it may be deployed
// later; Start retries).
func (m *Manager) Bootstrap(ctx context.Context) (Source, error) {
	c := m.Config
	if c.CertDir == "" {
		c.CertDir = DefaultCertDir()
	}
	if c.CertName == "" {
		c.CertName = DefaultCertName
	}
	if c.KeyName == "" {
		c.KeyName = DefaultKeyName
	}
	provided, err := Provided(c.CertDir, c.CertName, c.KeyName)
	if err != nil {
		return Source{}, err
	}
	if provided {
		m.source = Source{Dir: c.CertDir, CertName: c.CertName, KeyName: c.KeyName}
		m.Log.Info("webhook serving certificate provided", "dir", c.CertDir)
		return m.source, nil
	}
	m.source = Source{Dir: m.Config.GeneratedDir, CertName: DefaultCertName, KeyName: DefaultKeyName, SelfManaged: true}
	if err := m.ensureSecretAndFiles(ctx); err != nil {
		return Source{}, err
	}
	if err := m.patchBundle(ctx); err != nil {
		m.Log.Info("the webhook configuration does not trust kelb's CA yet; retrying", "reason", err.Error())
	}
	return m.source, nil
}

// Start renews the certificate and keeps the CA bundle until ctx ends.
func (m *Manager) Start(ctx context.Context) error {
	if !m.source.SelfManaged {
		return nil // the provider renews; the server's watcher reloads the files
	}
	interval := m.Config.CheckInterval
	if interval == 0 {
		interval = DefaultCheckInterval
	}
	next, lastErr := interval, ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.Clock.After(next):
		}
		next = interval
		err := m.Pass(ctx)
		if err != nil {
			next = retryInterval
			if err.Error() != lastErr { // once per kind of failure, not every minute
				m.Log.Error(err, "webhook certificate check failed; retrying every minute", "in", retryInterval)
			}
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
	}
}

// NeedLeaderElection: every replica serves the webhook, so every replica
// keeps its files.
func (m *Manager) NeedLeaderElection() bool { return false }

// Pass renews what needs it, rewrites the files and the CA bundle.
func (m *Manager) Pass(ctx context.Context) error {
	if err := m.ensureSecretAndFiles(ctx); err != nil {
		return err
	}
	return m.patchBundle(ctx)
}

func (m *Manager) ensureSecretAndFiles(ctx context.Context) error {
	mat, reason, err := Ensure(ctx, m.Client, m.Config.Secret, m.Config.Names, m.Clock.Now(), m.lifetimes())
	if err != nil {
		return err
	}
	if reason != "" {
		m.Log.Info("webhook serving certificate made", "secret", m.Config.Secret, "reason", reason)
	}
	if err := WriteFiles(m.source.Dir, m.source.CertName, m.source.KeyName, mat); err != nil {
		return err
	}
	m.bundle = mat.Bundle
	return nil
}

func (m *Manager) patchBundle(ctx context.Context) error {
	wrote, err := PatchCABundle(ctx, m.Client, m.Config.WebhookConfig, m.bundle)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("MutatingWebhookConfiguration %s not found: pods get no readiness gates until it is deployed",
			m.Config.WebhookConfig)
	}
	if err != nil {
		return err
	}
	if wrote {
		m.Log.Info("CA bundle written", "mutatingWebhookConfiguration", m.Config.WebhookConfig)
	}
	return nil
}

func (m *Manager) lifetimes() Lifetimes {
	if m.Config.Lifetimes == (Lifetimes{}) {
		return DefaultLifetimes
	}
	return m.Config.Lifetimes
}
