package vpcendpoint

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// fakeEC2 answers DescribeVpcEndpoints from a map; other calls are unused.
type fakeEC2 struct {
	EC2
	endpoints map[string]*ec2types.VpcEndpoint
	reads     int
}

func (f *fakeEC2) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	f.reads++
	out := &ec2.DescribeVpcEndpointsOutput{}
	for id, e := range f.endpoints {
		keep := true
		for _, flt := range in.Filters {
			if aws.ToString(flt.Name) == "vpc-endpoint-id" && !slices.Contains(flt.Values, id) {
				keep = false
			}
		}
		if keep {
			out.VpcEndpoints = append(out.VpcEndpoints, *e)
		}
	}
	return out, nil
}

func drain(t *Tracker) []string {
	var out []string
	for {
		select {
		case ev := <-t.changed:
			out = append(out, ev.Object.GetName())
		default:
			slices.Sort(out)
			return out
		}
	}
}

func TestTrackerFollowsTransitionalEndpointsInOneRead(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	api := &fakeEC2{endpoints: map[string]*ec2types.VpcEndpoint{}}
	tr := NewTracker(api, vpcendpoint.Cluster{Name: "c"}, 10*time.Minute, clk)
	ctx := context.Background()
	if err := tr.Prime(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 450 // more than two filters' worth
	for i := range n {
		id := fmt.Sprintf("vpce-%03d", i)
		state := ec2types.State("pending")
		if i%3 == 0 {
			state = "available"
		}
		api.endpoints[id] = &ec2types.VpcEndpoint{VpcEndpointId: aws.String(id), State: state}
		tr.Record(id, types.NamespacedName{Namespace: "ns", Name: id}, api.endpoints[id], false)
	}
	api.reads = 0
	tr.Tick(ctx)
	if api.reads != 2 { // 300 pending endpoints, 200 per call
		t.Errorf("%d reads for 300 pending endpoints, want 2", api.reads)
	}
	if got := drain(tr); len(got) != 0 {
		t.Errorf("nothing changed, yet %d objects were sent", len(got))
	}
	api.endpoints["vpce-001"].State = "available"
	api.endpoints["vpce-002"].State = "pendingAcceptance"
	delete(api.endpoints, "vpce-004")
	tr.Tick(ctx)
	if got := drain(tr); !slices.Equal(got, []string{"vpce-001", "vpce-002", "vpce-004"}) {
		t.Errorf("sent %v", got)
	}
	// All at rest: no read at all until the drift period, then one pass
	// over everything that sends every object.
	for id, e := range api.endpoints {
		e.State = "available"
		tr.Record(id, types.NamespacedName{Namespace: "ns", Name: id}, e, false)
	}
	tr.Forget("vpce-004")
	api.reads = 0
	for range 10 {
		clk.Step(2 * time.Second)
		tr.Tick(ctx)
	}
	if api.reads != 0 {
		t.Errorf("%d reads with every endpoint at rest", api.reads)
	}
	clk.Step(10 * time.Minute)
	tr.Tick(ctx)
	if api.reads != 3 || len(drain(tr)) != n-1 {
		t.Errorf("drift pass: %d reads (want 3 for %d endpoints)", api.reads, n-1)
	}
	// A change kelb made is read at the next tick and reported once.
	tr.Record("vpce-010", types.NamespacedName{Namespace: "ns", Name: "vpce-010"}, api.endpoints["vpce-010"], true)
	if _, ok := tr.Observation("vpce-010", time.Hour); ok {
		t.Error("an endpoint kelb just changed has a usable observation")
	}
	api.reads = 0
	tr.Tick(ctx)
	tr.Tick(ctx)
	if got := drain(tr); api.reads != 1 || !slices.Equal(got, []string{"vpce-010"}) {
		t.Errorf("after a change: %d reads, sent %v", api.reads, got)
	}
	// An object that is gone takes its endpoint out of the drift pass.
	if ids := tr.ForgetObject(types.NamespacedName{Namespace: "ns", Name: "vpce-010"}); !slices.Equal(ids, []string{"vpce-010"}) {
		t.Errorf("forgot %v", ids)
	}
	clk.Step(10 * time.Minute)
	tr.Tick(ctx)
	if got := drain(tr); slices.Contains(got, "vpce-010") || len(got) != n-2 {
		t.Errorf("drift pass after forgetting: %d objects sent", len(got))
	}
}

func TestTrackerOwned(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	tagged := func(id, name, state string, age time.Duration) *ec2types.VpcEndpoint {
		e := &ec2types.VpcEndpoint{VpcEndpointId: aws.String(id), State: ec2types.State(state),
			CreationTimestamp: aws.Time(clk.Now().Add(-age))}
		for k, v := range map[string]string{"services.k8s.aws/controller-version": "kelb", "services.k8s.aws/namespace": "ns",
			"ec2.services.k8s.aws/vpcendpoint": "ns/" + name, "elbv2.k8s.aws/cluster": "c"} {
			e.Tags = append(e.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		return e
	}
	api := &fakeEC2{endpoints: map[string]*ec2types.VpcEndpoint{
		"vpce-old": tagged("vpce-old", "a", "available", time.Hour), "vpce-new": tagged("vpce-new", "a", "pending", time.Minute),
		"vpce-gone": tagged("vpce-gone", "a", "deleted", 0), "vpce-b": tagged("vpce-b", "b", "available", 0)}}
	tr := NewTracker(api, vpcendpoint.Cluster{Name: "c"}, time.Minute, clk)
	if err := tr.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Claiming an endpoint does not make its observation any younger.
	clk.Step(40 * time.Second)
	tr.Claim("vpce-b", types.NamespacedName{Namespace: "ns", Name: "b"})
	if _, ok := tr.Observation("vpce-b", 30*time.Second); ok {
		t.Error("a claim refreshed a 40 s old observation")
	}
	if got := aws.ToString(tr.Owned("ns", "a").VpcEndpointId); got != "vpce-new" {
		t.Errorf("owned: %s, want the newest live one", got)
	}
	if tr.Owned("ns", "c") != nil || tr.Owned("other", "b") != nil {
		t.Error("found an endpoint of another object")
	}
}

// TestTrackerOwnedSkipsRetained: an endpoint marked retained is no
// object's to find by tag, even while it still has the owner tag.
func TestTrackerOwnedSkipsRetained(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	endpoint := func(id string, tags map[string]string) *ec2types.VpcEndpoint {
		return &ec2types.VpcEndpoint{VpcEndpointId: aws.String(id), State: "available", Tags: awsclient.EC2Tags(tags),
			CreationTimestamp: aws.Time(clk.Now())}
	}
	own := vpcendpoint.OwnerTags("ns", "a", vpcendpoint.Cluster{Name: "c"})
	half := maps.Clone(own)
	half[vpcendpoint.TagRetainedFrom] = "ns/a"
	tests := []struct {
		name      string
		endpoints []*ec2types.VpcEndpoint
		want      string
	}{
		{"retained", []*ec2types.VpcEndpoint{endpoint("vpce-r", vpcendpoint.RetainedTags(own, "ns", "a"))}, ""},
		{"marked, owner tag not yet removed", []*ec2types.VpcEndpoint{endpoint("vpce-h", half)}, ""},
		{"retained beside a new one", []*ec2types.VpcEndpoint{endpoint("vpce-r", vpcendpoint.RetainedTags(own, "ns", "a")),
			endpoint("vpce-new", own)}, "vpce-new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeEC2{endpoints: map[string]*ec2types.VpcEndpoint{}}
			for _, e := range tt.endpoints {
				api.endpoints[aws.ToString(e.VpcEndpointId)] = e
			}
			tr := NewTracker(api, vpcendpoint.Cluster{Name: "c"}, time.Minute, clk)
			if err := tr.Prime(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got string
			if e := tr.Owned("ns", "a"); e != nil {
				got = aws.ToString(e.VpcEndpointId)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("owned (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrackerObserveDoesNotClaim: reading an endpoint (which may be
// someone else's) keeps whatever object it belongs to.
func TestTrackerObserveDoesNotClaim(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	tr := NewTracker(&fakeEC2{}, vpcendpoint.Cluster{Name: "c"}, time.Minute, clk)
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	tr.Record("vpce-a", a, &ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-a"), State: "available"}, false)
	tr.Observe("vpce-a", &ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-a"), State: "deleting"})
	tr.Observe("vpce-x", &ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-x"), State: "available"})
	obs, ok := tr.Observation("vpce-a", time.Second)
	got := []any{tr.ForgetObject(b), tr.ForgetObject(a), ok, string(obs.State)}
	if diff := cmp.Diff([]any{[]string(nil), []string{"vpce-a"}, true, "deleting"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTrackerReleased: an endpoint kelb deleted and released is followed
// until AWS is done (not forgotten with its object), is the object's
// until then, and stops being released once an object claims it again.
func TestTrackerReleased(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	deleting := &ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-1"), State: "deleting"}
	api := &fakeEC2{endpoints: map[string]*ec2types.VpcEndpoint{"vpce-1": deleting}}
	tr := NewTracker(api, vpcendpoint.Cluster{Name: "c"}, 10*time.Minute, clk)
	key := types.NamespacedName{Namespace: "ns", Name: "a"}
	tr.Release("vpce-1", key, deleting)
	forgotten := tr.ForgetObject(key)
	released := tr.ReleasedOf(key)
	tr.Tick(context.Background())
	ticked := drain(tr)
	api.endpoints["vpce-1"] = &ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-1"), State: "available"}
	clk.Step(2 * time.Second)
	tr.Tick(context.Background())
	back := drain(tr)
	tr.Claim("vpce-1", key)
	got := []any{forgotten, len(released), ticked, back, len(tr.ReleasedOf(key))}
	if diff := cmp.Diff([]any{[]string(nil), 1, []string{"a"}, []string{"a"}, 0}, got); diff != "" {
		t.Errorf("forgotten, released, sent after the first tick, sent when it came back, released after a claim (-want +got):\n%s", diff)
	}
}

// TestTrackerUnclaimed: the orphan sweep's candidates are the live
// endpoints tagged for an object of this cluster that no object claimed.
func TestTrackerUnclaimed(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	c := vpcendpoint.Cluster{Name: "c", UID: "u"}
	endpoint := func(id, state string, tags map[string]string) *ec2types.VpcEndpoint {
		return &ec2types.VpcEndpoint{VpcEndpointId: aws.String(id), State: ec2types.State(state), Tags: awsclient.EC2Tags(tags)}
	}
	api := &fakeEC2{endpoints: map[string]*ec2types.VpcEndpoint{
		"vpce-orphan":   endpoint("vpce-orphan", "available", vpcendpoint.OwnerTags("ns", "gone", c)),
		"vpce-claimed":  endpoint("vpce-claimed", "available", vpcendpoint.OwnerTags("ns", "here", c)),
		"vpce-other":    endpoint("vpce-other", "available", vpcendpoint.OwnerTags("ns", "gone", vpcendpoint.Cluster{Name: "c", UID: "x"})),
		"vpce-retained": endpoint("vpce-retained", "available", vpcendpoint.RetainedTags(vpcendpoint.OwnerTags("ns", "r", c), "ns", "r")),
		"vpce-deleted":  endpoint("vpce-deleted", "deleted", vpcendpoint.OwnerTags("ns", "gone2", c)),
		"vpce-ack":      endpoint("vpce-ack", "available", map[string]string{vpcendpoint.TagController: "ec2-v1.4.3", vpcendpoint.TagNamespace: "ns"}),
	}}
	tr := NewTracker(api, c, time.Minute, clk)
	if err := tr.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr.Claim("vpce-claimed", types.NamespacedName{Namespace: "ns", Name: "here"})
	var got []string
	for _, u := range tr.Unclaimed() {
		got = append(got, u.ID)
	}
	if diff := cmp.Diff([]string{"vpce-orphan"}, got); diff != "" {
		t.Errorf("unclaimed (-want +got):\n%s", diff)
	}
}
