package integration

import (
	"fmt"
	"testing"
	"time"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestRestartMidwayNoDuplicates stops kelb while it creates load balancers
// and starts it again: every Service ends with exactly one of each resource.
func TestRestartMidwayNoDuplicates(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	t0 := time.Now()
	const n = 6
	for i := 0; i < n; i++ {
		cl.createService(fmt.Sprintf("svc%d", i))
	}
	eventually(t, 30*time.Second, "a first load balancer", func() (bool, string) {
		return awsproxy.CountByAction(cl.calls(t0))["CreateLoadBalancer"] >= 2, ""
	})
	cl.stopKelb()
	created := awsproxy.CountByAction(cl.calls(t0))["CreateLoadBalancer"]
	cl.startKelb()
	for i := 0; i < n; i++ {
		cl.waitReady(fmt.Sprintf("svc%d", i))
	}
	if lbs := cl.loadBalancers(); len(lbs) != n {
		t.Errorf("want %d load balancers, got %d: %v", n, len(lbs), lbs)
	}
	tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(t.Context(), &elbv2.DescribeTargetGroupsInput{})
	if err != nil || len(tgs.TargetGroups) != n {
		t.Errorf("want %d target groups, got %d (%v)", n, len(tgs.TargetGroups), err)
	}
	if got := len(cl.tagged()); got != 3*n+1 { // LB, TG, frontend SG each, one backend SG
		t.Errorf("want %d tagged resources, got %d: %v", 3*n+1, got, cl.tagged())
	}
	t.Logf("stopped after %d of %d load balancers were created", created, n)
	if t.Failed() {
		for _, c := range cl.calls(t0) {
			if c.Action == "CreateSecurityGroup" || c.Action == "DescribeSecurityGroups" || c.Action == "GetResources" {
				t.Logf("%s %s %v %d %s", c.Time.Format("15:04:05.000"), c.Action, c.Params, c.Status, c.ErrorCode)
			}
		}
	}
}

// TestRestartCostAndNewService restarts kelb with converged Services: the
// restart reads each Service's details once (listeners, their tags,
// targets) and a Service created at once is served without waiting for the
// others.
func TestRestartCostAndNewService(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	const n = 10
	for i := 0; i < n; i++ {
		cl.createService(fmt.Sprintf("old%d", i))
	}
	for i := 0; i < n; i++ {
		cl.waitReady(fmt.Sprintf("old%d", i))
	}
	cl.stopKelb()
	t0 := time.Now()
	cl.startKelb()
	cl.createService("new")
	cl.waitReady("new")
	took := time.Since(t0)
	time.Sleep(2 * time.Second) // let the old Services' first reconcile finish
	counts := awsproxy.CountByAction(cl.calls(t0))
	details := counts["DescribeListeners"] + counts["DescribeTags"] + counts["DescribeTargetHealth"]
	reads := 0
	for _, c := range cl.calls(t0) {
		if !c.Mutating() {
			reads++
		}
	}
	bulk := reads - details
	t.Logf("restart: new Service ready in %s; calls %v; %d detail reads for %d Services, %d other reads",
		took, counts, details, n, bulk)
	for _, a := range []string{"CreateLoadBalancer", "CreateTargetGroup", "CreateListener", "CreateSecurityGroup"} {
		if counts[a] != 1 {
			t.Errorf("%s: want 1 (the new Service), got %d", a, counts[a])
		}
	}
	if details > 3*(n+1) {
		t.Errorf("restart read details %d times for %d Services, want at most 3 each", details, n)
	}
	// One bulk load per kind of resource (load balancers, target groups,
	// groups, tagging API, endpoints by both their current and earlier
	// cluster tags) and one read per fact provider (instances, subnets,
	// zones): a constant, whatever the number of Services.
	if bulk > 12 {
		t.Errorf("restart made %d bulk reads, want a handful whatever the number of Services", bulk)
	}
	if took > 10*time.Second {
		t.Errorf("new Service took %s", took)
	}
}

// TestStrippedFinalizerSwept: a Service deleted while kelb is down, its
// finalizer removed by another tool, leaves AWS resources that the sweeper
// deletes after the grace period.
func TestStrippedFinalizerSwept(t *testing.T) {
	cl := newCluster(t, 3)
	before := cl.nodeRules()
	cl.startKelb()
	svc := cl.createService("gone")
	cl.waitReady("gone")
	cl.stopKelb()
	if err := cl.c.Delete(t.Context(), svc); err != nil {
		t.Fatal(err)
	}
	cl.update("gone", func(s *corev1.Service) { s.Finalizers = nil })
	cl.waitGone("gone")
	if len(cl.tagged()) == 0 {
		t.Fatal("resources vanished before kelb ran")
	}
	cl.startKelb()
	eventually(t, 30*time.Second, "orphans swept", func() (bool, string) {
		left := cl.tagged()
		return len(left) == 0, fmt.Sprint(left)
	})
	if after := cl.nodeRules(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("node group rules: before %v, after the sweep %v", before, after)
	}
}

// TestThrottlingConverges: with 30% of calls throttled, Services converge.
func TestThrottlingConverges(t *testing.T) {
	cl := newCluster(t, 3)
	env.Proxy.Faults.Set(awsproxy.Throttle(cl.world.Account, 0.3)...)
	t.Cleanup(func() { env.Proxy.Faults.Set() })
	cl.startKelb()
	t0 := time.Now()
	const n = 5
	for i := 0; i < n; i++ {
		cl.createService(fmt.Sprintf("t%d", i), annotate(service.AnnAttributes, "load_balancing.cross_zone.enabled=true"))
	}
	// The SDK backs off a throttled call at random, up to 20 s a retry: 5
	// Services converge in 10-47 s on an idle machine, longer in a busy
	// suite. The test is about converging, not about how fast.
	for i := 0; i < n; i++ {
		cl.waitReadyWithin(fmt.Sprintf("t%d", i), 3*time.Minute)
	}
	throttled := 0
	for _, c := range cl.calls(t0) {
		if c.ErrorCode == "Throttling" || c.ErrorCode == "RequestLimitExceeded" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no call was throttled")
	}
	if lbs := cl.loadBalancers(); len(lbs) != n {
		t.Errorf("want %d load balancers, got %d", n, len(lbs))
	}
	t.Logf("%d calls, %d throttled", len(cl.calls(t0)), throttled)
}
