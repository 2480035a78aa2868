package manager

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// vpcDescriber is the EC2 call that finds the VPC by tag.
type vpcDescriber interface {
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
}

// vpcByTag finds the cluster's VPC as LBC does with --aws-vpc-tags: the one
// VPC whose tag key has the value; none or several stop kelb at start-up.
func vpcByTag(ctx context.Context, api vpcDescriber, key, value string) (string, error) {
	var ids []string
	p := ec2.NewDescribeVpcsPaginator(api, &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + key), Values: []string{value}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("finding the VPC tagged %s=%s (--aws-vpc-tags): %w", key, value, err)
		}
		for _, v := range page.Vpcs {
			ids = append(ids, aws.ToString(v.VpcId))
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", fmt.Errorf("--aws-vpc-tags: no VPC is tagged %s=%s", key, value)
	default:
		return "", fmt.Errorf("--aws-vpc-tags: %d VPCs are tagged %s=%s (%v): set --aws-vpc-id", len(ids), key, value, ids)
	}
}

// leaseDuration is --leader-election-lease-duration for the manager: nil
// (controller-runtime's default) unless set above 0, as in LBC.
func leaseDuration(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}
