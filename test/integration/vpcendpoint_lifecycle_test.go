package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// TestVPCEndpointFollowsAWS: endpoints pending for 3 s show available
// within seconds of AWS, all of them read together in one call per tick;
// deletion releases the object once AWS accepts the delete, as ACK does.
func TestVPCEndpointFollowsAWS(t *testing.T) {
	const pending = 3 * time.Second
	endpointDelays(t, pending, 3*time.Second)
	cl := newCluster(t, 1)
	cl.startKelb()
	t0 := time.Now()
	const n = 5
	for i := range n {
		cl.createEndpoint(fmt.Sprintf("s3-%d", i), s3Service, cl.interfaceEndpoint(s3Service),
			func(e *v1alpha1.VPCEndpoint) {
				e.Spec.Tags = []*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("data")}}
			})
	}
	e, _ := cl.waitEndpoint("s3-0", 10*time.Second, "pending", stateIs("pending"))
	if got := conditionOf(e, vpcendpoint.ConditionReady); got != "False/Pending" {
		t.Errorf("Ready while pending: %s", got)
	}
	id := aws.ToString(e.Status.VPCEndpointID)
	created := aws.ToTime(cl.awsEndpoint(id).CreationTimestamp)
	e, seen := cl.waitEndpoint("s3-0", 15*time.Second, "available", stateIs("available"))
	lag := seen.Sub(created.Add(pending))
	t.Logf("status shows available %s after AWS (created %s)", lag.Round(time.Millisecond), created.Format(time.StampMilli))
	if lag > 5*time.Second+time.Second { // creation time has whole seconds
		t.Errorf("status followed AWS only after %s", lag)
	}
	if got := conditionOf(e, vpcendpoint.ConditionReady); got != "True/Available" {
		t.Errorf("Ready when available: %s (%s)", got, describeEndpoint(e))
	}
	for i := 1; i < n; i++ {
		cl.waitEndpoint(fmt.Sprintf("s3-%d", i), 10*time.Second, "available", stateIs("available"))
	}
	took := time.Since(t0)
	creates, reads := cl.kelbCalls(t0, "CreateVpcEndpoint"), cl.kelbCalls(t0, "DescribeVpcEndpoints")
	t.Logf("%d endpoints from create to available in %s: %d creates, %d reads", n, took.Round(time.Millisecond), creates, reads)
	if creates != n {
		t.Errorf("%d creates for %d endpoints", creates, n)
	}
	// One read per 2 s tick for all of them, plus the start-up priming
	// (the look-up by tag of all the cluster's endpoints): none per object.
	if limit := int(took/(2*time.Second)) + 2; reads > limit {
		t.Errorf("%d reads in %s for %d endpoints (more than one per tick: limit %d)", reads, took, n, limit)
		for _, c := range cl.calls(t0) {
			t.Log(c.Time.Format(time.StampMilli), c.Action, c.Params)
		}
	}

	got := cl.awsEndpoint(id)
	tags := awsclient.EC2TagMap(got.Tags)
	want := cl.ownerTags("s3-0")
	want["team"] = "data"
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("tags: ACK's two, kelb's owner tags (all under %s) and the spec's (-want +got):\n%s",
			vpcendpoint.SystemTagPrefix, diff)
	}
	if e.Status.ACKResourceMetadata == nil || aws.ToString(e.Status.ACKResourceMetadata.OwnerAccountID) != cl.world.Account ||
		len(e.Status.DNSEntries) == 0 || len(e.Status.NetworkInterfaceIDs) != 1 {
		t.Errorf("status lacks AWS facts: %+v", e.Status)
	}

	// At rest: no reads at all (the drift period is 10 minutes here).
	rest := time.Now()
	time.Sleep(5 * time.Second)
	if calls := len(cl.calls(rest)); calls != 0 {
		t.Errorf("%d calls in 5 s with every endpoint at rest", calls)
	}

	// Delete: as ACK, the object goes once AWS accepts the delete (AWS is
	// deleting for 3 s more); kelb follows the endpoint until it is gone.
	if err := cl.c.Delete(t.Context(), cl.endpoint("s3-0")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "object gone", func() (bool, string) {
		err := cl.c.Get(t.Context(), client.ObjectKey{Namespace: "default", Name: "s3-0"}, &v1alpha1.VPCEndpoint{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	if s := cl.awsEndpoint(id).State; s != "deleting" {
		t.Errorf("AWS state when the object is gone: %s, want deleting (released once AWS accepted the delete)", s)
	}
	eventually(t, 15*time.Second, "endpoint deleted", func() (bool, string) {
		s := cl.awsEndpoint(id).State
		return s == "deleted", string(s)
	})
	if s := cl.awsEndpoint(id).State; s != "deleted" {
		t.Errorf("AWS state after the object is gone: %s", s)
	}
	if slices.ContainsFunc(cl.liveEndpoints(), func(e ec2types.VpcEndpoint) bool { return aws.ToString(e.VpcEndpointId) == id }) {
		t.Error("endpoint still live")
	}
}
