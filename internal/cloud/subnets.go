package cloud

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"

	"github.com/kelb-dev/kelb/internal/service"
)

// Subnet role tags.
const (
	TagRoleELB         = "kubernetes.io/role/elb"
	TagRoleInternalELB = "kubernetes.io/role/internal-elb"
	tagClusterPrefix   = "kubernetes.io/cluster/"
)

type subnetInfo struct {
	service.Subnet
	tags map[string]string
}

// Subnets answers subnet queries from one cached listing of the VPC.
type Subnets struct {
	ec2     EC2
	vpcID   string
	cluster string
	clock   clock.PassiveClock

	mu       sync.Mutex
	subnets  []subnetInfo
	loadedAt time.Time
}

// NewSubnets returns a provider for the subnets of vpcID.
func NewSubnets(api EC2, vpcID, cluster string, clk clock.PassiveClock) *Subnets {
	return &Subnets{ec2: api, vpcID: vpcID, cluster: cluster, clock: clk}
}

// Resolve returns the subnets a query asks for: the named ones, or the
// candidates for discovery (role tag for the scheme, not tagged for another
// cluster).
func (s *Subnets) Resolve(ctx context.Context, q service.FactsQuery) ([]service.Subnet, error) {
	all, err := s.list(ctx, false)
	if err != nil {
		return nil, err
	}
	if len(q.Subnets) > 0 {
		found := match(all, q.Subnets)
		if len(found) < len(q.Subnets) { // maybe new: read again, at most every SubnetMissRefresh
			if all, err = s.list(ctx, true); err != nil {
				return nil, err
			}
			found = match(all, q.Subnets)
		}
		return found, nil
	}
	role := TagRoleInternalELB
	if q.Scheme == service.SchemeInternetFacing {
		role = TagRoleELB
	}
	var out []service.Subnet
	for _, sn := range all {
		if v, ok := sn.tags[role]; !ok || (v != "" && v != "1") {
			continue
		}
		if !sn.ClusterTagged && taggedForOtherCluster(sn.tags) {
			continue
		}
		out = append(out, sn.Subnet)
	}
	return out, nil
}

func match(all []subnetInfo, names []string) []service.Subnet {
	var out []service.Subnet
	for _, sn := range all {
		for _, n := range names {
			if sn.ID == n || sn.Name == n {
				out = append(out, sn.Subnet)
				break
			}
		}
	}
	return out
}

func taggedForOtherCluster(tags map[string]string) bool {
	for k := range tags {
		if len(k) > len(tagClusterPrefix) && k[:len(tagClusterPrefix)] == tagClusterPrefix {
			return true
		}
	}
	return false
}

func (s *Subnets) list(ctx context.Context, miss bool) ([]subnetInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	age := s.clock.Since(s.loadedAt)
	if s.subnets != nil && age < SubnetTTL && (!miss || age < SubnetMissRefresh) {
		return s.subnets, nil
	}
	var out []subnetInfo
	p := ec2.NewDescribeSubnetsPaginator(s.ec2, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{s.vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing subnets of VPC %s: %w", s.vpcID, err)
		}
		for _, sn := range page.Subnets {
			info := subnetInfo{tags: map[string]string{}}
			for _, t := range sn.Tags {
				info.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			_, tagged := info.tags[tagClusterPrefix+s.cluster]
			info.Subnet = service.Subnet{ID: aws.ToString(sn.SubnetId), Name: info.tags["Name"],
				AZ: aws.ToString(sn.AvailabilityZone), CIDR: aws.ToString(sn.CidrBlock), ClusterTagged: tagged}
			for _, a := range sn.Ipv6CidrBlockAssociationSet {
				if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == ec2types.SubnetCidrBlockStateCodeAssociated {
					info.IPv6CIDRs = append(info.IPv6CIDRs, aws.ToString(a.Ipv6CidrBlock))
				}
			}
			out = append(out, info)
		}
	}
	s.subnets, s.loadedAt = out, s.clock.Now()
	return out, nil
}
