package vpcendpoint

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// EC2 is the part of the EC2 API the controller calls.
type EC2 interface {
	CreateVpcEndpoint(context.Context, *ec2.CreateVpcEndpointInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error)
	ModifyVpcEndpoint(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	DeleteVpcEndpoints(context.Context, *ec2.DeleteVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error)
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(context.Context, *ec2.DeleteTagsInput, ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// filterValuesPerCall is EC2's limit on the values of one filter.
const filterValuesPerCall = 200

// describeIDs reads the named endpoints, 200 per call. Endpoints AWS no
// longer has are simply absent (the vpc-endpoint-id filter, unlike
// VpcEndpointIds, does not fail the whole call for one missing id).
func describeIDs(ctx context.Context, api EC2, ids []string) (map[string]*ec2types.VpcEndpoint, error) {
	out := map[string]*ec2types.VpcEndpoint{}
	for start := 0; start < len(ids); start += filterValuesPerCall {
		chunk := ids[start:min(start+filterValuesPerCall, len(ids))]
		err := describe(ctx, api, []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: chunk}}, out)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// describeOne reads one endpoint by its id: AWS looks that one up, where
// a filter has it go through all the account's endpoints. nil when AWS
// does not have it (or the id cannot be one, as a corrupted status may
// hold).
func describeOne(ctx context.Context, api EC2, id string) (*ec2types.VpcEndpoint, error) {
	out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	switch {
	case awsclient.IsNotFound(err) || awsclient.IsInvalidReference(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describing VPC endpoint %s: %w", id, err)
	}
	for i := range out.VpcEndpoints {
		if aws.ToString(out.VpcEndpoints[i].VpcEndpointId) == id {
			return &out.VpcEndpoints[i], nil
		}
	}
	return nil, nil
}

// describeCluster reads every endpoint tagged for the cluster: by kelb's
// cluster tag, and by an earlier kelb's (whose endpoints get the current
// tags with their next tag update).
func describeCluster(ctx context.Context, api EC2, cluster string) (map[string]*ec2types.VpcEndpoint, error) {
	out := map[string]*ec2types.VpcEndpoint{}
	for _, key := range []string{vpcendpoint.TagCluster, vpcendpoint.LegacyTagCluster} {
		if err := describe(ctx, api, []ec2types.Filter{{Name: aws.String("tag:" + key), Values: []string{cluster}}}, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func describe(ctx context.Context, api EC2, filters []ec2types.Filter, into map[string]*ec2types.VpcEndpoint) error {
	p := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describing VPC endpoints: %w", err)
		}
		for i := range page.VpcEndpoints {
			e := page.VpcEndpoints[i]
			into[aws.ToString(e.VpcEndpointId)] = &e
		}
	}
	return nil
}
