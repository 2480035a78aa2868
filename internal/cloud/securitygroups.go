package cloud

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"
)

// SecurityGroupNames resolves security groups named by their Name tag in
// the cluster's VPC (the security-groups annotation takes ids or names, as
// LBC's does), through a cache.
type SecurityGroupNames struct {
	ec2   EC2
	vpcID string
	clock clock.PassiveClock

	mu    sync.Mutex
	known map[string]resolvedName
}

type resolvedName struct {
	ids    []string // every group of the VPC with that Name tag, sorted
	readAt time.Time
}

// NewSecurityGroupNames returns a resolver for the VPC vpcID.
func NewSecurityGroupNames(api EC2, vpcID string, clk clock.PassiveClock) *SecurityGroupNames {
	return &SecurityGroupNames{ec2: api, vpcID: vpcID, clock: clk, known: map[string]resolvedName{}}
}

// Resolve returns the ids of the groups each name names (several when
// several groups share the name, as LBC takes them all; none when no group
// has it). Names not known, or known as missing for longer than
// SecurityGroupMissTTL, are read in one call.
func (s *SecurityGroupNames) Resolve(ctx context.Context, names []string) (map[string][]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var missing []string
	for _, n := range names {
		r, ok := s.known[n]
		ttl := SecurityGroupTTL
		if ok && len(r.ids) == 0 {
			ttl = SecurityGroupMissTTL
		}
		if !ok || now.Sub(r.readAt) >= ttl {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		found := map[string][]string{}
		p := ec2.NewDescribeSecurityGroupsPaginator(s.ec2, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{s.vpcID}},
			{Name: aws.String("tag:Name"), Values: missing},
		}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("looking up security groups named %s in VPC %s: %w",
					strings.Join(missing, ", "), s.vpcID, err)
			}
			for _, sg := range page.SecurityGroups {
				for _, t := range sg.Tags {
					if aws.ToString(t.Key) == "Name" {
						found[aws.ToString(t.Value)] = append(found[aws.ToString(t.Value)], aws.ToString(sg.GroupId))
					}
				}
			}
		}
		for _, n := range missing {
			ids := found[n]
			sort.Strings(ids)
			s.known[n] = resolvedName{ids: ids, readAt: now}
		}
	}
	out := make(map[string][]string, len(names))
	for _, n := range names {
		out[n] = s.known[n].ids
	}
	return out, nil
}
