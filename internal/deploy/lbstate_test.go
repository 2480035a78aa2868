package deploy

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// stateELB answers DescribeLoadBalancers from a list of load balancers, by
// ARN (refusing the whole call when one is missing, as AWS does) or page by
// page, and records each call as "arns:<n>" or "page".
type stateELB struct {
	ELBV2
	lbs   []elbtypes.LoadBalancer
	calls []string
}

func (f *stateELB) DescribeLoadBalancers(_ context.Context, in *elbv2.DescribeLoadBalancersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) > 0 {
		f.calls = append(f.calls, fmt.Sprintf("arns:%d", len(in.LoadBalancerArns)))
		var out []elbtypes.LoadBalancer
		for _, arn := range in.LoadBalancerArns {
			i := slices.IndexFunc(f.lbs, func(lb elbtypes.LoadBalancer) bool { return aws.ToString(lb.LoadBalancerArn) == arn })
			if i < 0 {
				return nil, &smithy.GenericAPIError{Code: "LoadBalancerNotFound"}
			}
			out = append(out, f.lbs[i])
		}
		return &elbv2.DescribeLoadBalancersOutput{LoadBalancers: out}, nil
	}
	f.calls = append(f.calls, "page")
	start := 0
	if in.Marker != nil {
		_, _ = fmt.Sscan(*in.Marker, &start)
	}
	end := min(start+int(aws.ToInt32(in.PageSize)), len(f.lbs))
	out := &elbv2.DescribeLoadBalancersOutput{LoadBalancers: f.lbs[start:end]}
	if end < len(f.lbs) {
		out.NextMarker = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

// TestRefreshStates: the provisioning load balancers' states are read by
// ARN while that takes no more calls than reading every page; a load
// balancer AWS no longer has falls back to the pages; either way the stacks
// no longer provisioning are returned.
func TestRefreshStates(t *testing.T) {
	arn := func(i int) string { return fmt.Sprintf("arn:lb/%04d", i) }
	cases := []struct {
		name         string
		all          int   // load balancers in AWS and in the inventory
		provisioning []int // of them, those kelb waits for
		active       []int // of those, the ones AWS says are active
		gone         []int // waited for, but no longer in AWS
		wantCalls    []string
		wantDone     []string
	}{
		{name: "few of many: by ARN", all: 1000, provisioning: []int{3, 7, 9}, active: []int{7},
			wantCalls: []string{"arns:3"}, wantDone: []string{"stack-0007"}},
		{name: "up to as many calls as pages: by ARN", all: 1000, provisioning: rangeOf(0, 60), active: []int{59},
			wantCalls: []string{"arns:20", "arns:20", "arns:20"}, wantDone: []string{"stack-0059"}},
		{name: "more: every page", all: 1000, provisioning: rangeOf(0, 61), active: []int{60},
			wantCalls: []string{"page", "page", "page"}, wantDone: []string{"stack-0060"}},
		{name: "one gone: every page", all: 30, provisioning: []int{1, 2}, gone: []int{40},
			wantCalls: []string{"arns:3", "page"}, wantDone: []string{"stack-0040"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &stateELB{}
			for i := range tc.all {
				state := elbtypes.LoadBalancerStateEnumProvisioning
				if slices.Contains(tc.active, i) {
					state = elbtypes.LoadBalancerStateEnumActive
				}
				f.lbs = append(f.lbs, elbtypes.LoadBalancer{LoadBalancerArn: aws.String(arn(i)),
					State: &elbtypes.LoadBalancerState{Code: state}})
			}
			d := New(Deps{ELBV2: f})
			for i := range tc.all {
				d.inv.summaries[svcStack(fmt.Sprintf("stack-%04d", i))] = stackSummary{}
			}
			for _, i := range slices.Concat(tc.provisioning, tc.gone) {
				d.inv.setProvisioning(svcStack(fmt.Sprintf("stack-%04d", i)), arn(i), true)
			}
			done, err := d.RefreshStates(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, id := range done {
				names = append(names, id.Name)
			}
			slices.Sort(names)
			if diff := cmp.Diff(tc.wantDone, names); diff != "" {
				t.Errorf("stacks done (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCalls, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func rangeOf(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
