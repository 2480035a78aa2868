package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func (b *bench) newService(ctx context.Context, name string, ann map[string]string) error {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Annotations: ann},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: aws.String("service.k8s.aws/nlb"),
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}}}
	return b.c.Create(ctx, s)
}

// waitHostnames waits until every named Service has a hostname, and
// returns when the last one got it.
func (b *bench) waitHostnames(ctx context.Context, names []string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for time.Now().Before(deadline) {
		var list corev1.ServiceList
		if err := b.c.List(ctx, &list, client.InNamespace("default")); err != nil {
			return time.Time{}, err
		}
		left := len(want)
		for _, s := range list.Items {
			if want[s.Name] && len(s.Status.LoadBalancer.Ingress) > 0 {
				left--
			}
		}
		if left == 0 {
			return time.Now(), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("not every Service got a hostname within %s", timeout)
}

func (b *bench) waitReady(ctx context.Context, namespace string, n int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var list corev1.ServiceList
		if err := b.c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
			return time.Time{}, err
		}
		ready := 0
		for _, s := range list.Items {
			for _, c := range s.Status.Conditions {
				if c.Type == "elbv2.k8s.aws/Ready" && c.Status == metav1.ConditionTrue {
					ready++
				}
			}
		}
		if ready >= n {
			return time.Now(), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("fewer than %d Services ready within %s", n, timeout)
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

var kelbMain *kelbProcess

// converge: N Services from zero.
func (b *bench) converge(ctx context.Context) error {
	header(fmt.Sprintf("converge %d Services from zero", b.cfg.services))
	var err error
	if kelbMain, err = b.startKelb("main", b.profileArgs("converge")...); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let kelb start and sync its caches
	t0 := time.Now()
	svcs := names("svc", b.cfg.services)
	for _, n := range svcs {
		if err := b.newService(ctx, n, nil); err != nil {
			return err
		}
	}
	allHosts, err := b.waitHostnames(ctx, svcs, b.scale(5*time.Minute))
	if err != nil {
		return err
	}
	hostCalls := b.calls(t0)
	allReady, err := b.waitReady(ctx, "default", b.cfg.services, b.scale(5*time.Minute))
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	fmt.Printf("  all hostnames after %s; all Ready (load balancers active) after %s\n",
		allHosts.Sub(t0).Round(time.Millisecond), allReady.Sub(t0).Round(time.Millisecond))
	fmt.Printf("  until the last hostname:\n")
	printCalls(hostCalls, b.cfg.services)
	b.current().converge = allHosts.Sub(t0)
	b.current().convergeCalls = float64(len(hostCalls)) / float64(b.cfg.services)
	fmt.Printf("  until all Ready (includes the provisioning-state reads):\n")
	printCalls(b.calls(t0), b.cfg.services)
	return nil
}

// idleScenario: no change for a while at the default drift period.
func (b *bench) idleScenario(ctx context.Context) error {
	header(fmt.Sprintf("%s with no change (default --drift-period 10m)", b.cfg.idle))
	t0 := time.Now()
	select {
	case <-time.After(b.cfg.idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	printCalls(b.calls(t0), b.cfg.services)
	return nil
}

// driftScenario: kelb with a short drift period; measures the reads of one
// drift pass and how soon a listener deleted by hand is back.
func (b *bench) driftScenario(ctx context.Context) error {
	header(fmt.Sprintf("drift: --drift-period %s", b.cfg.drift))
	if out, err := b.world.Clients.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: b.world.Instances}); err != nil {
		fmt.Printf("  warning: the seeded instances cannot be described: %v\n", err)
	} else if n := len(out.Reservations); n != len(b.world.Instances) {
		fmt.Printf("  warning: %d of %d seeded instances found\n", n, len(b.world.Instances))
	}
	kelbMain.stop()
	k, err := b.startKelb("drift", "--drift-period", b.cfg.drift.String())
	if err != nil {
		return err
	}
	defer k.stop()
	if _, err := b.waitReady(ctx, "default", b.cfg.services, b.scale(time.Minute)); err != nil {
		return err
	}
	time.Sleep(5 * time.Second) // the restart's own reads are done
	// Delete one listener by hand.
	api := b.world.Clients.ELBV2
	lbs, err := api.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
	if err != nil || len(lbs.LoadBalancers) == 0 {
		return fmt.Errorf("no load balancer: %v", err)
	}
	lbARN := lbs.LoadBalancers[0].LoadBalancerArn
	ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lbARN})
	if err != nil || len(ls.Listeners) == 0 {
		return fmt.Errorf("no listener: %v", err)
	}
	if _, err := api.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: ls.Listeners[0].ListenerArn}); err != nil {
		return err
	}
	deleted := time.Now()
	window := 2*b.cfg.drift + b.cfg.drift/5
	repaired := time.Duration(0)
	for time.Since(deleted) < window {
		time.Sleep(500 * time.Millisecond)
		ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lbARN})
		if err == nil && len(ls.Listeners) > 0 && repaired == 0 {
			repaired = time.Since(deleted)
		}
	}
	if repaired == 0 {
		return fmt.Errorf("the deleted listener was not put back within %s", window)
	}
	calls := b.calls(deleted)
	passes := float64(window) / float64(b.cfg.drift)
	perPass := float64(len(calls)) / passes / float64(b.cfg.services)
	fmt.Printf("  listener deleted by hand: back after %s (bound: the drift period + 10%% jitter)\n", repaired.Round(time.Second))
	fmt.Printf("  over %s (%.1f drift passes):\n", window, passes)
	printCalls(calls, b.cfg.services)
	fmt.Printf("  => %.2f reads per Service per pass; at the default 10m: %.1f reads per Service-hour, "+
		"%.0f per hour for 1,000 Services\n", perPass, perPass*6, perPass*6*1000)
	return nil
}

// restart: kelb restarts with N converged Services and one new Service is
// created at once.
func (b *bench) restart(ctx context.Context) error {
	header(fmt.Sprintf("restart with %d converged Services, one new Service created at once", b.cfg.services))
	kelbMain.stop() // unless the drift scenario did: never two kelbs at once
	t0 := time.Now()
	k, err := b.startKelb("restart", b.profileArgs("restart-delete")...)
	if err != nil {
		return err
	}
	kelbMain = k
	// Its name sorts after every other, so kelb's first list of Services
	// (in key order) hands it over last: it gets ahead only by priority.
	const newcomer = "zz-newcomer"
	if err := b.newService(ctx, newcomer, nil); err != nil {
		return err
	}
	got, err := b.waitHostnames(ctx, []string{newcomer}, b.scale(time.Minute))
	if err != nil {
		return err
	}
	fmt.Printf("  new Service's hostname %s after kelb started\n", got.Sub(t0).Round(time.Millisecond))
	b.current().restartHostname = got.Sub(t0)
	// The re-check of every existing Service ends when the calls stop.
	quiet := b.waitQuiet(ctx, t0, 5*time.Second, b.scale(time.Minute))
	b.current().restartQuiet = quiet.Sub(t0)
	fmt.Printf("  the restart's reads ended %s after kelb started\n", quiet.Sub(t0).Round(time.Second))
	calls := b.calls(t0)
	newOnes := 0
	for _, c := range calls {
		if c.Mutating() {
			newOnes++
		}
	}
	fmt.Printf("  restart cost, without the new Service's %d writes:\n", newOnes)
	var reads = calls[:0:0]
	for _, c := range calls {
		if !c.Mutating() {
			reads = append(reads, c)
		}
	}
	printCalls(reads, b.cfg.services)
	b.current().restartReads = float64(len(reads)) / float64(b.cfg.services)
	return nil
}

// waitQuiet waits until kelb made no AWS call for quiet (or until limit
// after t0) and returns the time of its last call.
func (b *bench) waitQuiet(ctx context.Context, t0 time.Time, quiet, limit time.Duration) time.Time {
	for {
		last := t0
		for _, c := range b.calls(t0) {
			if c.Time.After(last) {
				last = c.Time
			}
		}
		if time.Since(last) >= quiet || time.Since(t0) >= limit || ctx.Err() != nil {
			return last
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// deleteAll: delete every Service; nothing tagged for the cluster is left.
func (b *bench) deleteAll(ctx context.Context) error {
	header(fmt.Sprintf("delete %d Services", b.cfg.services+1))
	t0 := time.Now()
	var all corev1.ServiceList
	if err := b.c.List(ctx, &all, client.InNamespace("default")); err != nil {
		return err
	}
	for i := range all.Items {
		if all.Items[i].Spec.Type == corev1.ServiceTypeLoadBalancer {
			if err := b.c.Delete(ctx, &all.Items[i]); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(b.scale(5 * time.Minute))
	for {
		var list corev1.ServiceList
		if err := b.c.List(ctx, &list, client.InNamespace("default")); err != nil {
			return err
		}
		left := 0
		for _, s := range list.Items {
			if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d Services still there", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	gone := time.Since(t0)
	fmt.Printf("  all gone after %s\n", gone.Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	calls := b.calls(t0)
	printCalls(calls, b.cfg.services+1)
	b.current().deleteAll = gone
	b.current().deleteCalls = float64(len(calls)) / float64(b.cfg.services+1)
	left, err := b.tagged(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("  resources tagged for the cluster left in AWS: %d\n", left)
	kelbMain.stop()
	return nil
}
