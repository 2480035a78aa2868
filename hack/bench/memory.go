package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/service"
)

const memNamespace = "mem"

// memGroupKind is what stands in front of a group of pods.
type memGroupKind int

const (
	memIPService       memGroupKind = iota // a LoadBalancer Service with ip targets
	memInstanceService                     // a LoadBalancer Service with instance targets
	memBinding                             // a TargetGroupBinding (ip) of a target group made by hand
)

// memGroups lays the pods out in groups of perService: one group in ten
// behind a TargetGroupBinding of its own, one in ten behind an
// instance-target Service, the others behind ip-target Services.
func memGroups(pods, perService int) []memGroupKind {
	out := make([]memGroupKind, max(1, pods/perService))
	for i := range out {
		switch i % 10 {
		case 8:
			out[i] = memInstanceService
		case 9:
			out[i] = memBinding
		}
	}
	return out
}

// memory: cfg.pods running pods (Deployment-made, with their
// EndpointSlices) behind Services and TargetGroupBindings, present before
// kelb starts. Measured: kelb's time to converge, its Go heap after a
// collection and resident memory once converged, their peaks while
// converging, the objects its informers hold and its pod reads.
func (b *bench) memory(ctx context.Context) error {
	groups := memGroups(b.cfg.pods, b.cfg.podsPerService)
	count := map[memGroupKind]int{}
	for _, g := range groups {
		count[g]++
	}
	pods := len(groups) * b.cfg.podsPerService
	header(fmt.Sprintf("memory: %d pods, %d per group, behind %d ip-target Services, %d instance-target Services "+
		"and %d ip TargetGroupBindings; %d nodes", pods, b.cfg.podsPerService, count[memIPService],
		count[memInstanceService], count[memBinding], len(b.world.Nodes)))
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: memNamespace}}); err != nil {
		return err
	}
	nodes, err := b.benchNodes(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := b.createMemGroups(ctx, groups, nodes); err != nil {
		return err
	}
	fmt.Printf("  created %d Pods (running, ready), %d Services, their EndpointSlices and %d target groups in %s\n",
		pods, len(groups), count[memBinding], time.Since(t0).Round(time.Second))

	before, err := b.apiserverCounts(ctx)
	if err != nil {
		return err
	}
	port, err := freeLocalPort()
	if err != nil {
		return err
	}
	profile := filepath.Join(b.dir, fmt.Sprintf("heap-%d-pods.pprof", pods))
	k, err := b.startKelb("memory", "--metrics-bind-addr", fmt.Sprintf("127.0.0.1:%d", port), "--mem-profile", profile)
	if err != nil {
		return err
	}
	defer k.stop()
	started := time.Now()
	sampler := sampleHeap(port, 250*time.Millisecond)
	defer sampler.peak()
	lbs := count[memIPService] + count[memInstanceService]
	converged, err := b.waitMemConverged(ctx, lbs, count[memBinding], 5*time.Minute)
	if err != nil {
		return err
	}
	quiet := b.waitQuiet(ctx, started, 5*time.Second, 2*time.Minute)
	time.Sleep(5 * time.Second) // at rest
	peakHeap, samples := sampler.peak()
	proc := k.status()
	after, err := b.apiserverCounts(ctx)
	if err != nil {
		return err
	}
	caches, err := b.describeCaches(ctx, after.newWatches(before))
	if err != nil {
		return err
	}
	k.stop()
	heap, err := k.heapAtStop()
	if err != nil {
		return err
	}
	fmt.Printf("  converged %s after kelb started (%d Services Ready, %d bindings Registered); its AWS calls ended after %s\n",
		converged.Sub(started).Round(100*time.Millisecond), lbs, count[memBinding], quiet.Sub(started).Round(100*time.Millisecond))
	fmt.Printf("  once converged: Go heap %.1f MB in use after a collection (%.1f MB of live objects, %.0fk objects); "+
		"%.1f MB resident: %.1f MB its own (RssAnon), %.1f MB mapped from its binary and files (RssFile); "+
		"%.1f MB taken from the OS by the Go runtime\n", heap.HeapInuseBytes/(1<<20), heap.HeapAllocBytes/(1<<20),
		heap.HeapObjects/1000, proc["VmRSS"], proc["RssAnon"], proc["RssFile"], heap.SysBytes/(1<<20))
	fmt.Printf("  peak while converging: %.1f MB resident (VmHWM), Go heap %.1f MB in use (largest of %d samples, 250 ms apart)\n",
		proc["VmHWM"], peakHeap, samples)
	fmt.Printf("  kelb's informers (watches it opened; objects of that kind in the cluster): %s\n", caches)
	fmt.Printf("  kelb's pod reads from start to rest: %.0f GET pods, %.0f LIST pods (it caches no pod)\n",
		after.requests["GET pods"]-before.requests["GET pods"], after.requests["LIST pods"]-before.requests["LIST pods"])
	fmt.Printf("  heap profile: %s (go tool pprof -sample_index=inuse_space)\n", profile)
	return b.cleanMem(ctx, len(groups))
}

// createMemGroups creates each group's Service, pods, slices and (for a
// binding) target group and TargetGroupBinding, four groups at a time.
func (b *bench) createMemGroups(ctx context.Context, groups []memGroupKind, nodes map[string]benchNode) error {
	work := make(chan int)
	errs := make(chan error, len(groups))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				errs <- b.createMemGroup(ctx, i, groups[i], nodes)
			}
		}()
	}
	for i := range groups {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) createMemGroup(ctx context.Context, i int, kind memGroupKind, nodes map[string]benchNode) error {
	name := fmt.Sprintf("app%03d", i)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: memNamespace, Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http")}}}}
	if kind != memBinding {
		target := "ip"
		if kind == memInstanceService {
			target = "instance"
		}
		svc.Annotations = map[string]string{service.AnnTargetType: target}
		svc.Spec.Type, svc.Spec.LoadBalancerClass = corev1.ServiceTypeLoadBalancer, aws.String("service.k8s.aws/nlb")
	}
	if err := b.c.Create(ctx, svc); err != nil {
		return err
	}
	var pods []*corev1.Pod
	for j := range b.cfg.podsPerService {
		n := i*b.cfg.podsPerService + j
		node := b.world.Nodes[n%len(b.world.Nodes)]
		p := benchPod(memNamespace, name, j, node)
		if err := b.c.Create(ctx, p); err != nil {
			return err
		}
		p.Status = benchPodStatus(nodes[node].ip, fmt.Sprintf("10.0.%d.%d", 128+n/250, 1+n%250))
		if err := b.c.Status().Update(ctx, p); err != nil {
			return err
		}
		pods = append(pods, p)
	}
	for _, s := range benchSlices(svc, pods, nodes) {
		if err := b.c.Create(ctx, s); err != nil {
			return err
		}
	}
	if kind != memBinding {
		return nil
	}
	if _, err := b.world.Clients.ELBV2.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("mem-" + name),
		Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp,
		VpcId: aws.String(b.world.VPCID)}); err != nil {
		return err
	}
	ipType := v1beta1.TargetTypeIP
	return b.c.Create(ctx, &v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: memNamespace, Name: name},
		Spec: v1beta1.TargetGroupBindingSpec{TargetGroupName: "mem-" + name, TargetType: &ipType,
			ServiceRef: v1beta1.ServiceReference{Name: name, Port: intstr.FromString("http")}}})
}

// waitMemConverged waits until the LoadBalancer Services are Ready and the
// bindings made by hand have registered their targets.
func (b *bench) waitMemConverged(ctx context.Context, lbs, bindings int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		var svcs corev1.ServiceList
		if err := b.c.List(ctx, &svcs, client.InNamespace(memNamespace)); err != nil {
			return time.Time{}, err
		}
		ready := 0
		for _, s := range svcs.Items {
			if meta.IsStatusConditionTrue(s.Status.Conditions, "elbv2.k8s.aws/Ready") {
				ready++
			}
		}
		var tgbs v1beta1.TargetGroupBindingList
		if err := b.c.List(ctx, &tgbs, client.InNamespace(memNamespace)); err != nil {
			return time.Time{}, err
		}
		registered := 0
		for _, t := range tgbs.Items {
			if c := meta.FindStatusCondition(t.Status.Conditions, "Ready"); c != nil &&
				c.Status == metav1.ConditionTrue && c.Reason == "Registered" {
				registered++
			}
		}
		if ready >= lbs && registered >= bindings {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d Services Ready and %d of %d bindings registered within %s",
				ready, lbs, registered, bindings, timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// describeCaches names each resource kelb watches, with how many watches
// and how many objects of it the cluster has (an informer holds them all).
func (b *bench) describeCaches(ctx context.Context, watches map[schema.GroupVersionResource]int) (string, error) {
	var parts []string
	total := 0
	for gvr, n := range watches {
		objects, err := b.objects(ctx, gvr)
		if err != nil {
			return "", err
		}
		part := fmt.Sprintf("%s %d", gvr.Resource, objects)
		if n > 1 {
			part = fmt.Sprintf("%s %d (%d watches)", gvr.Resource, objects, n)
		}
		parts = append(parts, part)
		total += n * objects
	}
	sort.Strings(parts)
	return fmt.Sprintf("%s; %d objects in all", strings.Join(parts, ", "), total), nil
}

// cleanMem deletes what the scenario made, with a kelb to take the load
// balancers down, so the scenarios after it start from the same state.
func (b *bench) cleanMem(ctx context.Context, groups int) error {
	k, err := b.startKelb("memory-cleanup")
	if err != nil {
		return err
	}
	defer k.stop()
	t0 := time.Now()
	if err := b.c.DeleteAllOf(ctx, &v1beta1.TargetGroupBinding{}, client.InNamespace(memNamespace)); err != nil {
		return err
	}
	var svcs corev1.ServiceList
	if err := b.c.List(ctx, &svcs, client.InNamespace(memNamespace)); err != nil {
		return err
	}
	for i := range svcs.Items {
		if err := b.c.Delete(ctx, &svcs.Items[i]); err != nil {
			return err
		}
	}
	for {
		var left corev1.ServiceList
		if err := b.c.List(ctx, &left, client.InNamespace(memNamespace)); err != nil {
			return err
		}
		var tgbs v1beta1.TargetGroupBindingList
		if err := b.c.List(ctx, &tgbs, client.InNamespace(memNamespace)); err != nil {
			return err
		}
		if len(left.Items)+len(tgbs.Items) == 0 {
			break
		}
		if time.Since(t0) > 5*time.Minute {
			return fmt.Errorf("clean-up: %d Services and %d bindings left after 5 minutes", len(left.Items), len(tgbs.Items))
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Pods a group at a time: one collection delete of thousands can
	// outlast what a loaded API server gives a request.
	for i := range groups {
		app := client.MatchingLabels{"app": fmt.Sprintf("app%03d", i)}
		err := retry(3, func() error {
			return b.c.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(memNamespace), app,
				client.GracePeriodSeconds(0)) // no kubelet to confirm
		})
		if err != nil {
			return err
		}
	}
	if err := retry(3, func() error {
		return b.c.DeleteAllOf(ctx, &discoveryv1.EndpointSlice{}, client.InNamespace(memNamespace))
	}); err != nil {
		return err
	}
	fmt.Printf("  clean-up (Services, bindings, pods deleted) in %s\n\n", time.Since(t0).Round(time.Second))
	return nil
}

// retry calls f up to n times while it fails.
func retry(n int, f func() error) error {
	var err error
	for range n {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(time.Second)
	}
	return err
}
