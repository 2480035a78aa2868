package cloud

import (
	"context"
	"errors"
	"testing"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

type fakeTargetGroups map[string]error

func (f fakeTargetGroups) DescribeTargetGroups(_ context.Context, in *elbv2.DescribeTargetGroupsInput,
	_ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return &elbv2.DescribeTargetGroupsOutput{}, f[in.TargetGroupArns[0]]
}

func TestTargetGroupLookup(t *testing.T) {
	notFound := &smithy.GenericAPIError{Code: "TargetGroupNotFound"}
	api := fakeTargetGroups{"arn:gone": notFound, "arn:here": nil}
	got, err := NewTargetGroupLookup(api).Exist(context.Background(), []string{"arn:here", "arn:gone"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"arn:here": true, "arn:gone": false}, got); diff != "" {
		t.Errorf("Exist (-want +got):\n%s", diff)
	}
	throttled := fakeTargetGroups{"arn:x": &smithy.GenericAPIError{Code: "Throttling"}}
	if _, err := NewTargetGroupLookup(throttled).Exist(context.Background(), []string{"arn:x"}); !errors.As(err,
		new(*smithy.GenericAPIError)) {
		t.Errorf("a failed read: error %v, want AWS's", err)
	}
}
