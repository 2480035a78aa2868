package integration

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestMoreNodesThanOneFilterTakes: in a cluster of more nodes than EC2 takes
// values in one filter, every node becomes a target, and kelb reads the
// instances in calls AWS accepts: two of them, none refused.
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
	var reads []string
	for _, c := range cl.calls(t0) {
		if c.Action == "DescribeInstances" {
			reads = append(reads, fmt.Sprintf("%d %s", c.Status, c.ErrorCode))
		}
	}
	if diff := cmp.Diff([]string{"200 ", "200 "}, reads); diff != "" {
		t.Errorf("kelb's DescribeInstances calls, status and error (-want +got):\n%s", diff)
	}
}
