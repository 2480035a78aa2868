package cloud

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"k8s.io/utils/clock"
)

// VPC answers the cluster VPC's CIDR blocks from a cached read.
type VPC struct {
	ec2   EC2
	id    string
	clock clock.PassiveClock

	mu     sync.Mutex
	cidrs  []string
	readAt time.Time
}

// NewVPC returns a provider for the VPC id.
func NewVPC(api EC2, id string, clk clock.PassiveClock) *VPC {
	return &VPC{ec2: api, id: id, clock: clk}
}

// CIDRs returns the VPC's associated IPv4 and IPv6 CIDR blocks.
func (v *VPC) CIDRs(ctx context.Context) ([]string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cidrs != nil && v.clock.Since(v.readAt) < VPCTTL {
		return v.cidrs, nil
	}
	out, err := v.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{v.id}})
	if err != nil {
		return nil, fmt.Errorf("describing VPC %s: %w", v.id, err)
	}
	var cidrs []string
	for _, vpc := range out.Vpcs {
		for _, a := range vpc.CidrBlockAssociationSet {
			if a.CidrBlockState == nil || a.CidrBlockState.State == "associated" {
				cidrs = append(cidrs, aws.ToString(a.CidrBlock))
			}
		}
		for _, a := range vpc.Ipv6CidrBlockAssociationSet {
			if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == "associated" {
				cidrs = append(cidrs, aws.ToString(a.Ipv6CidrBlock))
			}
		}
		if len(cidrs) == 0 && vpc.CidrBlock != nil {
			cidrs = append(cidrs, aws.ToString(vpc.CidrBlock))
		}
	}
	v.cidrs, v.readAt = cidrs, v.clock.Now()
	return cidrs, nil
}
