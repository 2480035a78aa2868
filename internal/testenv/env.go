package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// Env is a running moto and the AWS proxy in front of it, shared by the
// clusters a test package starts.
type Env struct {
	Moto     *Moto
	Proxy    *awsproxy.Proxy
	ProxyURL string

	tools  string
	server *http.Server
}

// Start starts moto and the proxy, and makes sure the control-plane binaries
// exist. MotoLog is where moto's own log goes ("" drops it).
func Start(motoLog string) (*Env, error) {
	tools, err := KubeTools()
	if err != nil {
		return nil, err
	}
	e := &Env{tools: tools}
	if e.Moto, err = StartMoto(motoLog); err != nil {
		return nil, err
	}
	if e.Proxy, err = awsproxy.New(e.Moto.URL); err != nil {
		e.Stop()
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Stop()
		return nil, err
	}
	e.ProxyURL = "http://" + l.Addr().String()
	e.server = &http.Server{Handler: e.Proxy}
	go func() { _ = e.server.Serve(l) }()

	if err := os.Setenv("KUBEBUILDER_ASSETS", tools); err != nil {
		e.Stop()
		return nil, fmt.Errorf("pointing envtest at the control-plane binaries: %w", err)
	}
	return e, nil
}

// Kube is a running kube-apiserver + etcd.
type Kube struct {
	Config *rest.Config
	env    *envtest.Environment
}

// KubeOption changes how a kube-apiserver is started.
type KubeOption func(*envtest.Environment)

// WithWebhooks installs the webhook configurations of the given files (paths
// from the repository root), pointed at a local webhook server: Kube.Webhook
// says on which host and port it must listen, and holds its certificate.
func WithWebhooks(paths ...string) KubeOption {
	return func(e *envtest.Environment) {
		root, _ := RepoRoot()
		for _, p := range paths {
			e.WebhookInstallOptions.Paths = append(e.WebhookInstallOptions.Paths, filepath.Join(root, p))
		}
		e.WebhookInstallOptions.LocalServingHost = "127.0.0.1"
	}
}

// StartKube starts a new kube-apiserver and etcd (about 3 s on an idle
// machine).
func (e *Env) StartKube(opts ...KubeOption) (*Kube, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	k := &Kube{env: &envtest.Environment{BinaryAssetsDirectory: e.tools,
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd")}, ErrorIfCRDPathMissing: true}}
	if os.Getenv("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT") == "" {
		// envtest's 20 s is too short for a busy machine: each start it
		// gives up on is killed and begun again (up to 5 times), which
		// only adds load. A start that takes long is better than a retry.
		k.env.ControlPlaneStartTimeout = 90 * time.Second
	}
	k.env.CRDInstallOptions.MaxTime = time.Minute // envtest's 10 s, for the same reason
	// Room for a few thousand Services (the default /24 holds 254): the
	// benchmark creates 1,000.
	k.env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/20")
	for _, o := range opts {
		o(k.env)
	}
	if k.Config, err = k.env.Start(); err != nil {
		_ = k.env.Stop() // a start that failed late leaves the processes running
		return nil, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	return k, nil
}

// Stop stops the apiserver and etcd.
func (k *Kube) Stop() { _ = k.env.Stop() }

// Webhook is where the webhooks installed by WithWebhooks are served:
// LocalServingHost, LocalServingPort and LocalServingCertDir (tls.crt,
// tls.key, trusted by the installed configurations).
func (k *Kube) Webhook() envtest.WebhookInstallOptions { return k.env.WebhookInstallOptions }

// Kubeconfig returns a kubeconfig for an admin user.
func (k *Kube) Kubeconfig() ([]byte, error) {
	user, err := k.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	return user.KubeConfig()
}

// Stop stops every part that was started.
func (e *Env) Stop() {
	if e.server != nil {
		_ = e.server.Close()
	}
	if e.Moto != nil {
		e.Moto.Stop()
	}
}
