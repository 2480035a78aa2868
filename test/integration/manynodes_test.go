package integration

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestMoreNodesThanOneFilterTakes: in a cluster of more nodes than EC2 takes
// values in one filter, every node becomes a target, and kelb reads the
// instances in calls AWS accepts, none with more than 200 ids.
func TestMoreNodesThanOneFilterTakes(t *testing.T) {
	const nodes = awsproxy.MaxFilterValues + 10
	cl := newCluster(t, nodes)
	ctx := t.Context()
	// The proxy refuses what AWS refuses, so this test can fail.
	_, err := cl.world.Clients.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: cl.world.Instances}}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "FilterLimitExceeded" {
		t.Fatalf("a filter of %d values: want FilterLimitExceeded, got %v", nodes, err)
	}

	t0 := time.Now()
	cl.startKelb()
	cl.createService("big")
	cl.waitReady("big")
	eventually(t, 30*time.Second, "every node a target", func() (bool, string) {
		tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		if err != nil || len(tgs.TargetGroups) != 1 {
			return false, fmt.Sprint(tgs, err)
		}
		health, err := cl.world.Clients.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{
			TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn})
		if err != nil {
			return false, err.Error()
		}
		return len(health.TargetHealthDescriptions) == nodes, fmt.Sprintf("%d targets", len(health.TargetHealthDescriptions))
	})
	// moto pages its answers, so the number of calls is its business; what
	// matters is that every call is accepted and every node asked for.
	type reads struct {
		Refused, Largest int
		Asked            []string
	}
	got, asked := reads{}, map[string]bool{}
	for _, c := range cl.calls(t0) {
		if c.Action != "DescribeInstances" {
			continue
		}
		if c.Status != 200 {
			got.Refused++
		}
		values := 0
		for k, v := range c.Params {
			if strings.HasPrefix(k, "Filter.1.Value.") {
				values++
				asked[v] = true
			}
		}
		got.Largest = max(got.Largest, values)
	}
	for id := range asked {
		got.Asked = append(got.Asked, id)
	}
	want := reads{Largest: awsproxy.MaxFilterValues, Asked: cl.world.Instances}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("kelb's DescribeInstances calls (-want +got):\n%s", diff)
	}
}
