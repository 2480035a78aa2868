package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// tagged counts the resources tagged for the cluster.
func (b *bench) tagged(ctx context.Context) (int, error) {
	res, err := b.world.Clients.Tagging.GetResources(ctx, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup"},
		TagFilters:          []taggingtypes.TagFilter{{Key: aws.String(model.TagCluster), Values: []string{b.world.Cluster}}}})
	if err != nil {
		return 0, err
	}
	sgs, err := b.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagCluster), Values: []string{b.world.Cluster}}}})
	if err != nil {
		return 0, err
	}
	return len(res.ResourceTagMappingList) + len(sgs.SecurityGroups), nil
}
