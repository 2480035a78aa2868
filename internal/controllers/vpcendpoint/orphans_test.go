package vpcendpoint

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// deletingEC2 is fakeEC2 that also deletes (the endpoint turns deleting).
type deletingEC2 struct {
	fakeEC2
	deleted []string
}

func (f *deletingEC2) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, o ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	if len(in.VpcEndpointIds) == 0 {
		return f.fakeEC2.DescribeVpcEndpoints(ctx, in, o...)
	}
	out := &ec2.DescribeVpcEndpointsOutput{}
	for _, id := range in.VpcEndpointIds {
		if e, ok := f.endpoints[id]; ok {
			out.VpcEndpoints = append(out.VpcEndpoints, *e)
		}
	}
	return out, nil
}

func (f *deletingEC2) DeleteVpcEndpoints(_ context.Context, in *ec2.DeleteVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error) {
	for _, id := range in.VpcEndpointIds {
		f.deleted = append(f.deleted, id)
		f.endpoints[id].State = "deleting"
	}
	return &ec2.DeleteVpcEndpointsOutput{}, nil
}

// TestSweepOrphans: the sweep deletes an endpoint tagged for an object of
// this cluster only once the object has been gone for the grace period,
// never one whose object exists, another cluster's of the same name, a
// retained one or ACK's; report mode deletes nothing; and a sweep that
// would delete most endpoints at once refuses.
func TestSweepOrphans(t *testing.T) {
	c := vpcendpoint.Cluster{Name: "prod", UID: "uid-prod"}
	endpoint := func(id string, tags map[string]string) *ec2types.VpcEndpoint {
		return &ec2types.VpcEndpoint{VpcEndpointId: aws.String(id), State: "available", Tags: awsclient.EC2Tags(tags)}
	}
	mixed := map[string]*ec2types.VpcEndpoint{
		"vpce-orphan":   endpoint("vpce-orphan", vpcendpoint.OwnerTags("ns", "gone", c)),
		"vpce-legacy":   endpoint("vpce-legacy", map[string]string{vpcendpoint.LegacyTagResource: "ns/gone-too", vpcendpoint.LegacyTagCluster: "prod"}),
		"vpce-live":     endpoint("vpce-live", vpcendpoint.OwnerTags("ns", "here", c)),
		"vpce-foreign":  endpoint("vpce-foreign", vpcendpoint.OwnerTags("ns", "gone", vpcendpoint.Cluster{Name: "prod", UID: "uid-other"})),
		"vpce-retained": endpoint("vpce-retained", vpcendpoint.RetainedTags(vpcendpoint.OwnerTags("ns", "kept", c), "ns", "kept")),
		"vpce-ack":      endpoint("vpce-ack", map[string]string{vpcendpoint.TagController: "ec2-v1.4.3", vpcendpoint.TagNamespace: "ns"}),
	}
	massive := map[string]*ec2types.VpcEndpoint{}
	for i := range 6 {
		id := fmt.Sprintf("vpce-%d", i)
		massive[id] = endpoint(id, vpcendpoint.OwnerTags("ns", fmt.Sprintf("gone-%d", i), c))
	}
	tests := []struct {
		name      string
		mode      string
		endpoints map[string]*ec2types.VpcEndpoint
		want      [][]string // deleted after each pass: at 0 s, 5 s, 11 s
	}{
		{"delete after the grace period", SweepDelete, mixed, [][]string{nil, nil, {"vpce-legacy", "vpce-orphan"}}},
		{"report only", SweepReport, mixed, [][]string{nil, nil, nil}},
		{"mass deletion refused", SweepDelete, massive, [][]string{nil, nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme := runtime.NewScheme()
			if err := v1alpha1.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			kube := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&v1alpha1.VPCEndpoint{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "here"}}).Build()
			api := &deletingEC2{fakeEC2: fakeEC2{endpoints: map[string]*ec2types.VpcEndpoint{}}}
			for id, e := range tt.endpoints {
				cp := *e
				api.endpoints[id] = &cp
			}
			clk := clocktesting.NewFakeClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
			ctl := NewController(Deps{Client: kube, Reader: kube, EC2: api, Clock: clk,
				Tracker: NewTracker(api, c, 10*time.Minute, clk),
				Config:  Config{ClusterName: c.Name, ClusterUID: c.UID, OrphanSweep: tt.mode, OrphanGrace: 10 * time.Second}})
			var got [][]string
			for _, step := range []time.Duration{0, 5 * time.Second, 6 * time.Second} {
				clk.Step(step)
				ctl.sweepOrphans(context.Background())
				deleted := slices.Clone(api.deleted)
				slices.Sort(deleted)
				got = append(got, deleted)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("deleted after each pass (-want +got):\n%s", diff)
			}
		})
	}
}
