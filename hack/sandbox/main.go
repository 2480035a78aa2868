// Command sandbox starts kelb on the real local parts (kube-apiserver + etcd,
// moto behind the project's AWS proxy, a seeded VPC with nodes), applies
// examples/, prints what kelb made for its Services, Ingresses and
// VPCEndpoints and runs until Ctrl-C. Run it with
// "make sandbox".
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "bin", "sandbox")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	step("starting moto and the AWS proxy (building kube-apiserver, etcd and kubectl first if needed)")
	env, err := testenv.Start(filepath.Join(dir, "moto.log"))
	if err != nil {
		return err
	}
	defer env.Stop()
	calls, err := os.Create(filepath.Join(dir, "aws-calls.jsonl"))
	if err != nil {
		return err
	}
	defer func() { _ = calls.Close() }() // unbuffered: the calls are written as they happen
	env.Proxy.Log.Tee(calls)
	env.Proxy.Provisioning.SetDuration(5 * time.Second) // as AWS, briefly
	env.Proxy.VPCEndpoints.SetDelays(5*time.Second, 5*time.Second)

	step("starting kube-apiserver and etcd")
	kube, err := env.StartKube()
	if err != nil {
		return err
	}
	defer kube.Stop()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	kc, err := kube.Kubeconfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return err
	}
	c, err := client.New(kube.Config, client.Options{})
	if err != nil {
		return err
	}

	step("seeding a VPC: subnets in 3 zones, a node security group, 3 instances and their Nodes")
	world, err := env.Seed(ctx, c, "sandbox", 3)
	if err != nil {
		return err
	}

	step("starting kelb (log: bin/sandbox/kelb.log)")
	kelb, err := startKelb(root, dir, kubeconfig, env.EndpointsFlag(), world)
	if err != nil {
		return err
	}
	defer func() {
		_ = kelb.Process.Signal(syscall.SIGTERM)
		_ = kelb.Wait()
	}()

	step("applying examples/")
	objs, err := applyExamples(ctx, c, filepath.Join(root, "examples"), world)
	if err != nil {
		return err
	}
	step("waiting for kelb")
	if err := waitEndpoints(ctx, c, 60*time.Second); err != nil {
		fmt.Println("  ", err)
	}
	if err := waitServices(ctx, c, objs.services, 90*time.Second); err != nil {
		fmt.Println("  ", err)
	}
	if err := waitIngresses(ctx, c, world, objs.ingresses, 90*time.Second); err != nil {
		fmt.Println("  ", err)
	}
	if err := report(ctx, c, world, objs.services); err != nil {
		return err
	}
	if err := reportIngresses(ctx, c, world, objs.ingresses); err != nil {
		return err
	}
	fmt.Println()
	if err := printGroups(ctx, world.Clients.EC2, "node security group", []string{world.NodeSG}); err != nil {
		return err
	}
	if err := reportEndpoints(ctx, c, world); err != nil {
		return err
	}
	if err := printPlan(ctx, root, kubeconfig, env.EndpointsFlag(), world); err != nil {
		fmt.Println("  ", err)
	}
	tools, _ := testenv.KubeTools()
	fmt.Printf(`
Look further:
  kubectl:  %s --kubeconfig %s get svc,ingress,vpcendpoints -A
  AWS:      endpoint %s, region %s, access key %s (any secret), e.g.
            AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=x aws --endpoint-url %s --region %s elbv2 describe-load-balancers
  AWS calls made so far: bin/sandbox/aws-calls.jsonl; kelb's log: bin/sandbox/kelb.log
  kelb plan: %s
            (what kelb would change now; add -o json, or -f FILE to plan manifests against the sandbox)
Press Ctrl-C to stop everything.
`, filepath.Join(tools, "kubectl"), kubeconfig, env.ProxyURL, testenv.Region, world.Account,
		world.Account, env.ProxyURL, testenv.Region, planCommand(kubeconfig, env.EndpointsFlag(), world))
	<-ctx.Done()
	step("stopping")
	return nil
}

func step(msg string) { fmt.Printf("==> %s\n", msg) }

func startKelb(root, dir, kubeconfig, endpoints string, w *testenv.World) (*exec.Cmd, error) {
	logf, err := os.Create(filepath.Join(dir, "kelb.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(root, "bin", "kelb"), append(kelbFlags(kubeconfig, endpoints, w),
		"--metrics-bind-addr", "127.0.0.1:0", "--health-probe-bind-addr", "127.0.0.1:0")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+w.Account, "AWS_SECRET_ACCESS_KEY=secret")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting bin/kelb (run it through make sandbox, which builds it): %w", err)
	}
	return cmd, nil
}

func waitServices(ctx context.Context, c client.Client, services []client.ObjectKey, timeout time.Duration) error {
	return pollUntil(ctx, timeout, "not every Service settled", func() (bool, error) {
		for _, key := range services {
			var s corev1.Service
			if err := c.Get(ctx, key, &s); err != nil {
				return false, err
			}
			if !settled(&s) {
				return false, nil
			}
		}
		return true, nil
	})
}

// pollUntil asks done every 250 ms until it says so, fails, or timeout
// passes (then the error says what did not happen).
func pollUntil(ctx context.Context, timeout time.Duration, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s within %s", what, timeout)
}

// settled reports whether kelb has said how the Service stands.
func settled(s *corev1.Service) bool {
	for _, c := range s.Status.Conditions {
		if c.Type == "elbv2.k8s.aws/Ready" {
			return c.Status == "True" || (c.Reason != "Provisioning" && c.Reason != "NotReconciled")
		}
	}
	return false
}
