// Package cloud resolves AWS facts the builders need (subnets, the security
// groups of nodes, the VPC) through caches, so that many reconciles cost few
// AWS calls. Every cache lifetime is a named constant here.
package cloud

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Cache lifetimes.
const (
	// SubnetTTL bounds how long a new or retagged subnet goes unseen.
	SubnetTTL = 5 * time.Minute
	// SubnetMissRefresh is the least time between re-reads caused by a
	// subnet name that is not in the cache.
	SubnetMissRefresh = 30 * time.Second
	// InstanceTTL bounds how long a changed node security group goes unseen.
	InstanceTTL = 30 * time.Minute
	// VPCTTL bounds how long a CIDR block added to the VPC goes unseen.
	VPCTTL = 30 * time.Minute
)

// EC2 is the part of the EC2 API the providers call.
type EC2 interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
}
