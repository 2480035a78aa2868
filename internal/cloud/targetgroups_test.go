package cloud

import (
	"context"
	"errors"
	"testing"
	"time"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

type fakeTargetGroups map[string]error

func (f fakeTargetGroups) DescribeTargetGroups(_ context.Context, in *elbv2.DescribeTargetGroupsInput,
	_ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return &elbv2.DescribeTargetGroupsOutput{}, f[in.TargetGroupArns[0]]
}

func TestTargetGroupLookup(t *testing.T) {
	notFound := &smithy.GenericAPIError{Code: "TargetGroupNotFound"}
	api := fakeTargetGroups{"arn:gone": notFound, "arn:here": nil}
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	lookup := NewTargetGroupLookup(api, clk)
	got, err := lookup.Exist(context.Background(), []string{"arn:here", "arn:gone"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"arn:here": true, "arn:gone": false}, got); diff != "" {
		t.Errorf("Exist (-want +got):\n%s", diff)
	}
	// A group found is not read again within the TTL (the API would now
	// fail), a missing one is; after the TTL the found one is read again.
	api["arn:here"] = &smithy.GenericAPIError{Code: "Throttling"}
	api["arn:gone"] = nil
	got, err = lookup.Exist(context.Background(), []string{"arn:here", "arn:gone"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"arn:here": true, "arn:gone": true}, got); diff != "" {
		t.Errorf("Exist within the TTL (-want +got):\n%s", diff)
	}
	clk.Step(targetGroupSeenTTL)
	if _, err := lookup.Exist(context.Background(), []string{"arn:here"}); err == nil {
		t.Error("after the TTL: no read of the found group")
	}
	throttled := fakeTargetGroups{"arn:x": &smithy.GenericAPIError{Code: "Throttling"}}
	if _, err := NewTargetGroupLookup(throttled, clk).Exist(context.Background(), []string{"arn:x"}); !errors.As(err,
		new(*smithy.GenericAPIError)) {
		t.Errorf("a failed read: error %v, want AWS's", err)
	}
}
