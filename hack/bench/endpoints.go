package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// Endpoint services of the scenario: an AWS service and a partner's that
// requires acceptance.
const (
	benchAWSService     = "com.amazonaws.us-west-2.s3"
	benchPartnerService = "com.amazonaws.vpce.us-west-2.vpce-svc-0bench0000000000a"
)

// statusLags returns, sorted, how long after AWS's transition (the bench's
// acceptance, or the proxy's pending time running out) each endpoint showed
// available.
func statusLags(seen, accept map[string]time.Time, ids map[string]string, proxy *awsproxy.VPCEndpoints) []time.Duration {
	var lags []time.Duration
	for name, at := range seen {
		var aws time.Time
		if a, ok := accept[name]; ok {
			aws = a
		} else if a, ok := proxy.AvailableAt(ids[name]); ok {
			aws = a
		}
		lags = append(lags, at.Sub(aws))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	return lags
}

// endpointsScenario: cfg.endpoints VPC endpoints created at once; four in
// five are pending for a random time, one in five waits for acceptance,
// which the bench gives at a random time. The status lag is the time from
// AWS's transition to the object showing it, seen through a watch.
func (b *bench) endpointsScenario(ctx context.Context) error {
	n := b.cfg.endpoints
	header(fmt.Sprintf("VPC endpoints: %d created at once; transitions at random within %s", n, b.cfg.endpointSpread))
	proxy := b.env.Proxy.VPCEndpoints
	proxy.SetDelays(5*time.Second, 3*time.Second)
	proxy.SetPendingJitter(b.cfg.endpointSpread - 5*time.Second)
	proxy.RequireAcceptance(benchPartnerService)
	defer proxy.SetDelays(0, 0)
	defer proxy.SetPendingJitter(0)

	wc, err := client.NewWithWatch(b.kube.Config, client.Options{Scheme: b.c.Scheme()})
	if err != nil {
		return err
	}
	w, err := wc.Watch(ctx, &v1alpha1.VPCEndpointList{}, client.InNamespace("endpoints"))
	if err != nil {
		return err
	}
	defer w.Stop()
	seen := map[string]time.Time{} // name -> when the watch showed available
	ids := map[string]string{}
	go func() {
		for ev := range w.ResultChan() {
			e, ok := ev.Object.(*v1alpha1.VPCEndpoint)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			now := time.Now()
			b.mu.Lock()
			if id := aws.ToString(e.Status.VPCEndpointID); id != "" {
				ids[e.Name] = id
			}
			if aws.ToString(e.Status.State) == "available" && seen[e.Name].IsZero() {
				seen[e.Name] = now
			}
			b.mu.Unlock()
		}
	}()

	kelb, err := b.startKelb("endpoints")
	if err != nil {
		return err
	}
	defer func() { kelb.stop() }()
	t0 := time.Now()
	accept := map[string]time.Time{} // name -> when the bench accepts it
	for i := range n {
		name, service := fmt.Sprintf("ep-%03d", i), benchAWSService
		if i%5 == 4 {
			service = benchPartnerService
			accept[name] = t0.Add(10*time.Second + rand.N(b.cfg.endpointSpread-10*time.Second))
		}
		e := &v1alpha1.VPCEndpoint{ObjectMeta: metav1.ObjectMeta{Namespace: "endpoints", Name: name},
			Spec: v1alpha1.VPCEndpointSpec{ServiceName: aws.String(service), VPCEndpointType: aws.String("Interface"),
				SubnetIDs: []*string{aws.String(b.world.PrivateSubnets[i%len(b.world.PrivateSubnets)])}}}
		if err := b.c.Create(ctx, e); err != nil {
			return err
		}
	}
	go b.acceptOnTime(ctx, accept, ids)

	deadline := t0.Add(b.cfg.endpointSpread + 60*time.Second)
	for {
		b.mu.Lock()
		done := len(seen)
		b.mu.Unlock()
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d endpoints available after %s", done, n, time.Since(t0).Round(time.Second))
		}
		time.Sleep(100 * time.Millisecond)
	}
	allAvailable := time.Now()
	b.mu.Lock()
	lags := statusLags(seen, accept, ids, proxy)
	b.mu.Unlock()
	pct := func(p float64) time.Duration {
		return lags[min(len(lags)-1, int(p*float64(len(lags))))].Round(time.Millisecond)
	}
	fmt.Printf("  all %d available %.1f s after creation\n", n, allAvailable.Sub(t0).Seconds())
	fmt.Printf("  status lag after AWS's transition: p50 %s, p99 %s, max %s (aim: p99 <= 5s)\n", pct(0.5), pct(0.99), lags[len(lags)-1].Round(time.Millisecond))
	pendingCalls := b.calls(t0)
	minutes := allAvailable.Sub(t0).Minutes()
	counts := awsproxy.CountByAction(pendingCalls)
	fmt.Printf("  while any was pending: %d calls in %.1f min = %.1f calls/min (%d creates, %d reads = %.1f reads/min)\n",
		len(pendingCalls), minutes, float64(len(pendingCalls))/minutes, counts["CreateVpcEndpoint"], counts["DescribeVpcEndpoints"],
		float64(counts["DescribeVpcEndpoints"])/minutes)

	rest := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.cfg.endpointRest):
	}
	restCalls := b.calls(rest)
	fmt.Printf("  at rest (drift period 10m): %d calls in %s = %.2f calls/min\n",
		len(restCalls), b.cfg.endpointRest, float64(len(restCalls))/b.cfg.endpointRest.Minutes())

	kelb.stop()
	restart := time.Now()
	const drift = 15 * time.Second // the restarted kelb's, to measure drift passes
	if kelb, err = b.startKelb("endpoints-restart", "--drift-period", drift.String()); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(15 * time.Second):
	}
	after := b.calls(restart)
	fmt.Printf("  restart with %d endpoints at rest: %d AWS calls in the first 15 s (%v)\n", n, len(after), awsproxy.CountByAction(after))
	passes := time.Now()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(4 * drift):
	}
	reads := awsproxy.CountByAction(b.calls(passes))["DescribeVpcEndpoints"]
	perPass := float64(reads) / 4
	fmt.Printf("  drift passes (--drift-period %s): %d endpoint reads in 4 periods = %.1f per pass for %d endpoints; "+
		"at 10m that is %.0f reads/hour (a read covers 200 endpoints)\n", drift, reads, perPass, n, perPass*6)

	del := time.Now()
	if err := b.c.DeleteAllOf(ctx, &v1alpha1.VPCEndpoint{}, client.InNamespace("endpoints")); err != nil {
		return err
	}
	for {
		var list v1alpha1.VPCEndpointList
		if err := b.c.List(ctx, &list, client.InNamespace("endpoints")); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			break
		}
		if time.Since(del) > 2*time.Minute {
			return fmt.Errorf("%d endpoints left 2 minutes after deletion", len(list.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
	delCalls := awsproxy.CountByAction(b.calls(del))
	fmt.Printf("  delete all (deleting for 3 s): objects gone after %.1f s; %d DeleteVpcEndpoints, %d reads\n\n",
		time.Since(del).Seconds(), delCalls["DeleteVpcEndpoints"], delCalls["DescribeVpcEndpoints"])
	return nil
}

// acceptOnTime accepts each partner endpoint at its time, as the service's
// owner would.
func (b *bench) acceptOnTime(ctx context.Context, at map[string]time.Time, ids map[string]string) {
	names := make([]string, 0, len(at))
	for name := range at {
		names = append(names, name)
	}
	slices.SortFunc(names, func(x, y string) int { return at[x].Compare(at[y]) })
	for _, name := range names {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(at[name])):
		}
		b.mu.Lock()
		id := ids[name]
		b.mu.Unlock()
		if id == "" {
			fmt.Printf("  warning: %s has no endpoint id when it is to be accepted\n", name)
			continue
		}
		b.env.Proxy.VPCEndpoints.Accept(id)
	}
}
