package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestVPCEndpointCrashAfterCreate: the create reaches AWS but its answer is
// lost, again and again, and kelb stops before any status is written. The
// retries carry the same client token (AWS returns the first endpoint), and
// the next kelb finds the endpoint by its tags: one endpoint, never two.
func TestVPCEndpointCrashAfterCreate(t *testing.T) {
	cl := newCluster(t, 1)
	env.Proxy.Faults.Set(awsproxy.FaultRule{Caller: cl.world.Account, Service: "ec2", Action: "CreateVpcEndpoint",
		Rate: 1, Code: awsproxy.CodeInternalError, Lost: true})
	t.Cleanup(func() { env.Proxy.Faults.Set() })
	cl.startKelb()
	t0 := time.Now()
	cl.createEndpoint("s3", s3Service, cl.interfaceEndpoint(s3Service))
	eventually(t, 30*time.Second, "create retried", func() (bool, string) {
		n := cl.kelbCalls(t0, "CreateVpcEndpoint")
		return n >= 3, fmt.Sprintf("%d creates", n)
	})
	if n := len(cl.liveEndpoints()); n != 1 {
		t.Fatalf("%d endpoints after %d lost creates with one client token, want 1", n, cl.kelbCalls(t0, "CreateVpcEndpoint"))
	}
	id := aws.ToString(cl.liveEndpoints()[0].VpcEndpointId)
	cl.stopKelb()
	if e := cl.endpoint("s3"); e.Status.VPCEndpointID != nil {
		t.Fatalf("status written although every create answer was lost: %s", describeEndpoint(e))
	}

	env.Proxy.Faults.Set()
	restart := time.Now()
	cl.startKelb()
	e := cl.waitSynced("s3")
	if got := aws.ToString(e.Status.VPCEndpointID); got != id {
		t.Errorf("after the restart the object has %s, want %s", got, id)
	}
	if n := cl.kelbCalls(restart, "CreateVpcEndpoint"); n != 0 {
		t.Errorf("%d creates after the restart", n)
	}
	if n := len(cl.liveEndpoints()); n != 1 {
		t.Errorf("%d endpoints, want 1", n)
	}
}

// TestVPCEndpointThrottled: with a third of kelb's EC2 calls throttled and
// endpoints pending for 2 s, every endpoint still becomes available, once.
//
// Throttles are drawn at random per call, and the SDK retries a throttled
// call up to --aws-max-retries times with a backoff that reaches 20 s: a
// streak of throttles keeps one reconcile in its retries for a minute or
// more (at half of the calls throttled, a streak of 7 happens once in 128
// calls, which made this test fail now and then). The wait allows for the
// retry budget of one call; the rate keeps long streaks rare.
func TestVPCEndpointThrottled(t *testing.T) {
	endpointDelays(t, 2*time.Second, 0)
	cl := newCluster(t, 1)
	env.Proxy.Faults.Set(awsproxy.Throttle(cl.world.Account, 0.3)...)
	t.Cleanup(func() { env.Proxy.Faults.Set() })
	cl.startKelb()
	t0 := time.Now()
	const n = 6
	for i := range n {
		cl.createEndpoint(fmt.Sprintf("ep-%d", i), s3Service, cl.interfaceEndpoint(s3Service))
	}
	for i := range n {
		cl.waitEndpoint(fmt.Sprintf("ep-%d", i), 150*time.Second, "available", stateIs("available"))
	}
	throttled := cl.refusals(t0, "CreateVpcEndpoint", awsproxy.CodeRequestLimitExceeded) +
		cl.refusals(t0, "DescribeVpcEndpoints", awsproxy.CodeRequestLimitExceeded)
	t.Logf("%d endpoints available in %s through %d throttled calls", n, time.Since(t0).Round(time.Millisecond), throttled)
	if throttled == 0 {
		t.Error("no call was throttled: the test tests nothing")
	}
	if got := len(cl.liveEndpoints()); got != n {
		t.Errorf("%d endpoints, want %d", got, n)
	}
}
