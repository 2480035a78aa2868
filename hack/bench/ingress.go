package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// The Ingress scenario: cfg.ingresses Ingresses of LBC's class, each with
// ip targets and two paths to two backend Services of two running pods
// each (EndpointSlices naming the pods), measured from zero, through one
// path added and removed, a restart with one new Ingress, and deletion.
const (
	ingNamespace = "ingress"
	ingClass     = "alb"
	ingPodsPer   = 2 // pods behind each backend Service
)

// LBC v3.5's figures and kelb's aims for the Ingress scenario, from the
// issue (LBC converged 20 Ingresses with an ALB each).
const (
	lbcIngressConverge = 23.5
	lbcIngressAddPath  = 19
	lbcIngressDelPath  = 16
	lbcIngressDelete   = 9.7
	aimIngressConverge = 8
	aimIngressPath     = 6
)

// ingressFigures are the scenario's headline numbers, printed at its end.
type ingressFigures struct {
	converge, convergeQuiet           time.Duration
	convergeCalls, convergeQuietCalls float64
	addPath, delPath                  time.Duration
	addPathCalls, delPathCalls        int
	restartHostname                   time.Duration
	restartReads                      float64
	deleteObjects, deleteAWS          time.Duration
	deleteCalls                       float64
	leftovers                         int
}

func (b *bench) ingressScenario(ctx context.Context) error {
	n := b.cfg.ingresses
	header(fmt.Sprintf("Ingress: %d Ingresses (ip targets, 2 paths to 2 Services of %d pods each) from zero", n, ingPodsPer))
	var f ingressFigures
	k, err := b.startIngressKelb(ctx, "ingress", ingNamespace, n+1, 64)
	if err != nil {
		return err
	}
	defer func() { k.stop() }()

	// 1. From zero.
	t0 := time.Now()
	ings := names("ing", n)
	for _, name := range ings {
		if err := b.c.Create(ctx, benchIngress(name)); err != nil {
			return err
		}
	}
	allHosts, err := b.waitIngressHostnames(ctx, ingNamespace, ings, b.scaleIngress(5*time.Minute))
	if err != nil {
		return err
	}
	hostCalls := b.calls(t0)
	f.converge = allHosts.Sub(t0)
	f.convergeCalls = float64(len(hostCalls)) / float64(n)
	fmt.Printf("  all hostnames after %s\n", f.converge.Round(time.Millisecond))
	fmt.Printf("  until the last hostname:\n")
	printCallsPer(hostCalls, n, "Ingress")
	quiet := b.waitQuiet(ctx, t0, 5*time.Second, b.scaleIngress(5*time.Minute))
	f.convergeQuiet = quiet.Sub(t0)
	all := b.calls(t0)
	f.convergeQuietCalls = float64(len(all)) / float64(n)
	fmt.Printf("  until kelb's calls stop (%s after the first Ingress: targets registered, load balancers active):\n",
		f.convergeQuiet.Round(time.Millisecond))
	printCallsPer(all, n, "Ingress")
	fmt.Println()

	// 2. One path added to one converged Ingress, then removed.
	if f.addPath, f.addPathCalls, err = b.ingressPathChange(ctx, ings[0], true); err != nil {
		return err
	}
	if f.delPath, f.delPathCalls, err = b.ingressPathChange(ctx, ings[0], false); err != nil {
		return err
	}

	// 3. Restart with the converged Ingresses; one new Ingress created while
	// kelb is down. Its name sorts after every other.
	const newcomer = "zz-newcomer"
	header(fmt.Sprintf("Ingress: restart with %d converged Ingresses, one new Ingress created while kelb is down", n))
	k.stop()
	if err := b.c.Create(ctx, benchIngressNamed(newcomer, ingBackend(n))); err != nil {
		return err
	}
	t0 = time.Now()
	if k, err = b.startKelb("ingress-restart", "--enable-ingress"); err != nil {
		return err
	}
	got, err := b.waitIngressHostnames(ctx, ingNamespace, []string{newcomer}, b.scaleIngress(2*time.Minute))
	if err != nil {
		return err
	}
	f.restartHostname = got.Sub(t0)
	fmt.Printf("  new Ingress's hostname %s after kelb started\n", f.restartHostname.Round(time.Millisecond))
	quiet = b.waitQuiet(ctx, t0, 5*time.Second, b.scaleIngress(2*time.Minute))
	fmt.Printf("  the restart's calls ended %s after kelb started\n", quiet.Sub(t0).Round(time.Second))
	calls := b.calls(t0)
	var reads []awsproxy.Call
	writes := map[string]int{}
	for _, c := range calls {
		if c.Mutating() {
			writes[c.Action]++
		} else {
			reads = append(reads, c)
		}
	}
	fmt.Printf("  the new Ingress's writes: %s\n", actionList(writes))
	fmt.Printf("  restart's reads (the new Ingress's included), per existing Ingress:\n")
	printCallsPer(reads, n, "Ingress")
	f.restartReads = float64(len(reads)) / float64(n)
	fmt.Println()

	// 4. Delete them all.
	if err := b.ingressDeleteAll(ctx, ingNamespace, "Ingress", n+1, &f); err != nil {
		return err
	}
	b.printIngressFigures(n, f)
	return nil
}

// scaleIngress stretches a timeout made for 50 Ingresses to the size measured.
// startIngressKelb makes count backends' Services and pods in ns (pod
// addresses from ipBase) and starts a kelb of its own (never two at once),
// returning once kelb has synced and finished with what earlier scenarios
// left, so that only the scenario's calls are counted.
func (b *bench) startIngressKelb(ctx context.Context, name, ns string, count, ipBase int) (*kelbProcess, error) {
	if kelbMain != nil {
		kelbMain.stop()
	}
	if err := b.ingressBackends(ctx, ns, count, ipBase); err != nil {
		return nil, err
	}
	k, err := b.startKelb(name)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	time.Sleep(2 * time.Second)
	b.waitQuiet(ctx, start, 3*time.Second, time.Minute)
	return k, nil
}

func (b *bench) scaleIngress(d time.Duration) time.Duration {
	return d * time.Duration(max(1, b.cfg.ingresses/50))
}

// ingBackend names the i-th Ingress's backend Services.
// ingressBackends creates the namespace, the IngressClass and, for each of
// count Ingresses, two ClusterIP Services with running pods and their
// EndpointSlices, before kelb starts. Pod IPs start at 10.0.<ipBase>.1, so
// that scenarios in different namespaces never share a target.
// benchIngressNamed is an Ingress of LBC's class with ip targets and two
// paths, /a and /b, to the two backend Services.
// waitIngressHostnames waits until every named Ingress has a hostname and
// returns when the last one got it.
func (b *bench) waitIngressHostnames(ctx context.Context, ns string, names []string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for {
		var list networkingv1.IngressList
		if err := b.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return time.Time{}, err
		}
		var left []string
		for _, i := range list.Items {
			if want[i.Name] && (len(i.Status.LoadBalancer.Ingress) == 0 || i.Status.LoadBalancer.Ingress[0].Hostname == "") {
				left = append(left, i.Name)
			}
		}
		if len(left) == 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			slices.Sort(left)
			return time.Time{}, fmt.Errorf("%d Ingresses without a hostname after %s: %v", len(left), timeout,
				left[:min(len(left), 10)])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ingressPathChange adds the path /c (to the Ingress's first backend, so
// only a rule changes) or removes it again, and returns the time until
// AWS shows the change and kelb's calls for it.
func (b *bench) ingressPathChange(ctx context.Context, name string, add bool) (time.Duration, int, error) {
	verb := "added to"
	if !add {
		verb = "removed from"
	}
	header(fmt.Sprintf("Ingress: one path (/c, to an existing backend) %s one converged Ingress", verb))
	listener, err := b.ingressListener(ctx, ingNamespace, name)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	for attempt := 0; ; attempt++ {
		var ing networkingv1.Ingress
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: ingNamespace, Name: name}, &ing); err != nil {
			return 0, 0, err
		}
		paths := &ing.Spec.Rules[0].HTTP.Paths
		if add {
			*paths = append(*paths, ingPath("/c", (*paths)[0].Backend.Service.Name))
		} else {
			*paths = slices.DeleteFunc(*paths, func(p networkingv1.HTTPIngressPath) bool { return p.Path == "/c" })
		}
		err := b.c.Update(ctx, &ing)
		if err == nil {
			break
		}
		if !apierrors.IsConflict(err) || attempt > 10 {
			return 0, 0, err
		}
	}
	var seen time.Duration
	for {
		has, err := b.ruleHasPath(ctx, listener, "/c")
		if err != nil {
			return 0, 0, err
		}
		if has == add {
			seen = time.Since(t0)
			break
		}
		if time.Since(t0) > time.Minute {
			return 0, 0, fmt.Errorf("the path /c not %s AWS's rules within a minute", verb)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.waitQuiet(ctx, t0, 5*time.Second, time.Minute)
	calls := b.calls(t0)
	var order []string
	for _, c := range calls {
		order = append(order, c.Action)
	}
	fmt.Printf("  in AWS's rules %s after the edit\n", seen.Round(time.Millisecond))
	fmt.Printf("  AWS calls: %d (%s)\n", len(calls), actionList(awsproxy.CountByAction(calls)))
	fmt.Printf("  in order: %s\n\n", strings.Join(order, ", "))
	return seen, len(calls), nil
}

// ingressListener finds the listener of the named Ingress's load balancer
// by the hostname in its status.
// ruleHasPath reports whether a rule of the listener matches the path.
// ingressDeleteAll deletes every Ingress of the namespace and waits until
// the objects and every load balancer and target group of Ingress stacks
// are gone; calls are counted per unit (an Ingress, a group member).
// ingressELB counts the load balancers and target groups of the cluster's
// Ingress stacks (tagged ingress.k8s.aws/stack).
// ingressSecurityGroups counts the security groups of the cluster's
// Ingress stacks and the shared backend group.
// actionList is "Action n, ..." in the order of the counts, largest first.
func actionList(counts map[string]int) string {
	actions := awsproxy.Actions(counts)
	slices.SortStableFunc(actions, func(x, y string) int { return counts[y] - counts[x] })
	var parts []string
	for _, a := range actions {
		parts = append(parts, fmt.Sprintf("%s %d", a, counts[a]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (b *bench) printIngressFigures(n int, f ingressFigures) {
	header(fmt.Sprintf("Ingress: %d Ingresses, kelb beside LBC v3.5 (from the issue) and kelb's aim", n))
	ms := func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
	fmt.Printf("  %-44s | %-34s | %-8s | %s\n", "", "kelb", "LBC v3.5", "aim")
	fmt.Printf("  %-44s | %-34s | %-8.1f | ~%d\n", "converge: all hostnames (calls per Ingress)",
		fmt.Sprintf("%s (%.2f)", ms(f.converge), f.convergeCalls), lbcIngressConverge, aimIngressConverge)
	fmt.Printf("  %-44s | %-34s | %-8s |\n", "converge: until calls stop (calls per Ingress)",
		fmt.Sprintf("%s (%.2f)", ms(f.convergeQuiet), f.convergeQuietCalls), "")
	fmt.Printf("  %-44s | %-34s | %-8d | ~%d\n", "add a path: in AWS (calls)",
		fmt.Sprintf("%s (%d)", ms(f.addPath), f.addPathCalls), lbcIngressAddPath, aimIngressPath)
	fmt.Printf("  %-44s | %-34s | %-8d | ~%d\n", "remove it: gone from AWS (calls)",
		fmt.Sprintf("%s (%d)", ms(f.delPath), f.delPathCalls), lbcIngressDelPath, aimIngressPath)
	fmt.Printf("  %-44s | %-34s | %-8s |\n", "restart: new hostname (reads per existing)",
		fmt.Sprintf("%s (%.2f)", ms(f.restartHostname), f.restartReads), "")
	fmt.Printf("  %-44s | %-34s | %-8.1f |\n", "delete: ALBs and TGs gone (calls per Ingress)",
		fmt.Sprintf("%s (%.2f), %d left", ms(f.deleteAWS), f.deleteCalls, f.leftovers), lbcIngressDelete)
	fmt.Println()
}
