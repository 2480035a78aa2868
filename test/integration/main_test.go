// Package integration runs kelb's real manager against a real kube-apiserver
// + etcd and moto behind the project's AWS proxy.
package integration

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kelb-dev/kelb/internal/manager"
	"github.com/kelb-dev/kelb/internal/testenv"
)

var (
	env *testenv.Env
	// kubes starts the next test's apiserver while the current test runs.
	kubes *testenv.KubePool
)

func TestMain(m *testing.M) {
	if os.Getenv("KELB_TEST_LOG") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	var err error
	env, err = testenv.Start(filepath.Join(os.TempDir(), "kelb-integration-moto.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		os.Exit(1)
	}
	if err := env.EnforcePolicy(); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		env.Stop()
		os.Exit(1)
	}
	kubes = env.NewKubePool(kubeSpares())
	// While the first apiserver starts.
	if err := env.WarmUp(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		kubes.Close()
		env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	kubes.Close()
	// Every call kelb made had to pass the published IAM policy.
	if err := env.PolicyReport(flag.Lookup("test.run").Value.String()); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		code = 1
	}
	env.Stop()
	os.Exit(code)
}

// kubeSpares is how many apiservers start ahead of need:
// KELB_TEST_KUBE_SPARES, default 1.
func kubeSpares() int {
	n, err := strconv.Atoi(os.Getenv("KELB_TEST_KUBE_SPARES"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// cluster is one test's world: its own apiserver, AWS account and kelb.
type cluster struct {
	t     *testing.T
	kube  *testenv.Kube
	c     client.Client
	world *testenv.World
	opts  manager.Options
	stop  context.CancelFunc
	done  chan error
}

func newCluster(t *testing.T, nodes int, kubeOpts ...testenv.KubeOption) *cluster {
	t.Helper()
	kube, c := startKube(t, kubeOpts...)
	world, err := env.Seed(t.Context(), c, "test-"+shortName(t.Name()), nodes)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cluster{t: t, kube: kube, c: c, world: world}
	cl.opts = manager.Options{
		ClusterName: world.Cluster, AWSRegion: testenv.Region, AWSVPCID: world.VPCID, AWSAPIEndpoints: env.EndpointsFlag(),
		AWSMaxRetries: 10, EnableBackendSG: true, SyncPeriod: 10 * time.Hour, ServiceMaxConcurrent: 3,
		LoadBalancerClass: "service.k8s.aws/nlb", DefaultTargetType: "instance",
		DefaultSSLPolicy: "ELBSecurityPolicy-2016-08", EnableLeaderElection: false, MetricsBindAddr: "0",
		HealthProbeBindAddr: "0", DriftPeriod: 10 * time.Minute, OrphanSweep: "delete",
		OrphanSweepInterval: time.Second, OrphanGracePeriod: 2 * time.Second, EnableIngress: true, IngressClass: "alb",
	}
	return cl
}

func shortName(s string) string {
	out := []byte{}
	for _, b := range []byte(s) {
		switch {
		case b >= 'A' && b <= 'Z':
			out = append(out, b+'a'-'A')
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9':
			out = append(out, b)
		}
	}
	if len(out) > 20 {
		out = out[len(out)-20:]
	}
	return string(out)
}

// startKelb runs kelb's manager until stopKelb or the end of the test.
func (cl *cluster) startKelb() {
	cl.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cl.stop, cl.done = cancel, make(chan error, 1)
	opts := cl.opts
	// kelb's rights are the chart's, nothing more (chartrbac_test.go).
	cfg := cl.kelbConfig()
	go func() {
		cl.done <- manager.Run(ctx, cfg, opts, manager.Overrides{Credentials: cl.world.Credentials,
			SeveralManagers: true})
	}()
	cl.t.Cleanup(cl.stopKelb)
}

func (cl *cluster) stopKelb() {
	if cl.stop == nil {
		return
	}
	cl.stop()
	select {
	case err := <-cl.done:
		if err != nil {
			cl.t.Errorf("kelb stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		cl.t.Error("kelb did not stop within 30s")
	}
	cl.stop = nil
}
