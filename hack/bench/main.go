// Command bench runs kelb (bin/kelb, a real process) on the local parts and
// prints wall times, AWS calls (from the proxy's log) and memory for the
// scenarios of the walking-skeleton issue. Run it with "make bench";
// BENCH_ARGS="-idle 1m" shortens the idle scenario.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	elbv2api "github.com/kelb-dev/kelb/api/elbv2"

	"github.com/kelb-dev/kelb/internal/testenv"
)

type config struct {
	services       int   // Services of the size being measured
	sizes          []int // -services: every size measured, in this order
	profileFrom    int   // sizes from this one get CPU profiles
	pods           int
	podsPerService int
	idle           time.Duration
	drift          time.Duration
	provisioning   time.Duration
	scenarios      map[string]bool

	endpoints      int
	ingresses      int // Ingresses of the ingress scenario
	groupMembers   int // member Ingresses of the ingressgroup scenario
	endpointSpread time.Duration
	endpointRest   time.Duration
}

func main() {
	var cfg config
	sizes := flag.String("services", "100", "Services per scenario; several sizes (100,1000) are measured one after "+
		"the other in one run, side by side (memory, endpoints and gates run once, on their own layouts)")
	flag.IntVar(&cfg.profileFrom, "profile-from", 1000, "write kelb's CPU profiles (bin/bench/cpu-*.pprof) "+
		"for sizes from this many Services on")
	flag.IntVar(&cfg.pods, "pods", 5000, "running pods of the memory scenario")
	flag.IntVar(&cfg.podsPerService, "pods-per-service", 100, "pods behind each Service or binding of the memory scenario")
	flag.DurationVar(&cfg.idle, "idle", 5*time.Minute, "length of the no-change scenario")
	flag.DurationVar(&cfg.drift, "drift", time.Minute, "drift period of the drift scenario")
	flag.DurationVar(&cfg.provisioning, "provisioning", 5*time.Second, "how long new load balancers provision")
	flag.IntVar(&cfg.endpoints, "endpoints", 100, "VPC endpoints of the endpoints scenario")
	flag.DurationVar(&cfg.endpointSpread, "endpoint-spread", time.Minute, "endpoints become available at random within this time")
	flag.DurationVar(&cfg.endpointRest, "endpoint-rest", 2*time.Minute, "how long endpoints at rest are watched for calls")
	flag.IntVar(&cfg.ingresses, "ingresses", 50, "Ingresses of the ingress scenario (ip targets, two paths each)")
	flag.IntVar(&cfg.groupMembers, "group-members", 50, "member Ingresses of the ingressgroup scenario's one explicit group")
	only := flag.String("scenarios", "converge,idle,drift,restart,delete,memory,endpoints,ingress,ingressgroup,gates",
		"scenarios to run, in this order; drift, restart and delete need converge")
	flag.Parse()
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -services: %q is not a positive number\n", f)
			os.Exit(2)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	cfg.services = cfg.sizes[0]
	cfg.scenarios = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		cfg.scenarios[strings.TrimSpace(s)] = true
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench is the running environment.
type bench struct {
	cfg        config
	env        *testenv.Env
	kube       *testenv.Kube
	c          client.Client
	world      *testenv.World
	dir        string
	kubeconfig string
	mu         sync.Mutex
	figures    []figures // one per size
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, dir: filepath.Join(root, "bin", "bench")}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	if b.env, err = testenv.Start(filepath.Join(b.dir, "moto.log")); err != nil {
		return err
	}
	defer b.env.Stop()
	b.env.Proxy.Provisioning.SetDuration(cfg.provisioning)
	callLog, err := os.Create(filepath.Join(b.dir, "aws-calls.jsonl"))
	if err != nil {
		return err
	}
	defer func() { _ = callLog.Close() }() // unbuffered: the calls are written as they happen
	b.env.Proxy.Log.Tee(callLog)
	if b.kube, err = b.env.StartKube(); err != nil {
		return err
	}
	defer b.kube.Stop()
	kc, err := b.kube.Kubeconfig()
	if err != nil {
		return err
	}
	b.kubeconfig = filepath.Join(b.dir, "kubeconfig")
	if err := os.WriteFile(b.kubeconfig, kc, 0o600); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	if err := elbv2api.AddToScheme(scheme); err != nil {
		return err
	}
	if b.c, err = client.New(b.kube.Config, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "endpoints"}}); err != nil {
		return err
	}
	if b.world, err = b.env.Seed(ctx, b.c, "bench", 3); err != nil {
		return err
	}
	fmt.Printf("kelb benchmark: %s Services, instance targets, 3 nodes; moto behind the proxy; "+
		"new load balancers provision for %s\n\n", *sizesFlag(cfg.sizes), cfg.provisioning)

	type scenario struct {
		name string
		fn   func(context.Context) error
	}
	perSize := []scenario{
		{"converge", b.converge},
		{"idle", b.idleScenario},
		{"drift", b.driftScenario},
		{"restart", b.restart},
		{"delete", b.deleteAll},
	}
	once := []scenario{
		{"memory", b.memory},
		{"endpoints", b.endpointsScenario},
		// ingress and ingressgroup before gates: gates leaves its bindings, which a later
		// kelb would re-check within the Ingress scenario's figures.
		{"ingress", b.ingressScenario},
		{"ingressgroup", b.ingressGroupScenario},
		{"gates", b.gatesScenario},
	}
	runAll := func(list []scenario) error {
		for _, s := range list {
			if !cfg.scenarios[s.name] {
				continue
			}
			if err := s.fn(ctx); err != nil {
				return fmt.Errorf("%s (%d Services): %w", s.name, b.cfg.services, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	}
	for _, n := range cfg.sizes {
		b.cfg.services = n
		b.figures = append(b.figures, figures{services: n})
		if err := runAll(perSize); err != nil {
			return err
		}
	}
	b.printFigures()
	b.cfg.services = cfg.sizes[0]
	return runAll(once)
}

func sizesFlag(sizes []int) *string {
	var parts []string
	for _, n := range sizes {
		parts = append(parts, strconv.Itoa(n))
	}
	s := strings.Join(parts, " and ")
	return &s
}
