package cloud

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"
)

type instanceInfo struct {
	sg, vpc string
	readAt  time.Time
}

// Instances finds the security group of each node's instance that receives
// load balancer rules: the only group of its primary interface, or the one
// tagged kubernetes.io/cluster/<cluster> when there are several.
type Instances struct {
	ec2     EC2
	cluster string
	clock   clock.PassiveClock

	fetchMu   sync.Mutex // one DescribeInstances at a time: concurrent misses share it
	mu        sync.Mutex
	instances map[string]instanceInfo
}

// NewInstances returns an empty provider.
func NewInstances(api EC2, cluster string, clk clock.PassiveClock) *Instances {
	return &Instances{ec2: api, cluster: cluster, clock: clk, instances: map[string]instanceInfo{}}
}

// SecurityGroups returns instance id -> node security group for ids, reading
// the unknown or expired ones in one call.
func (p *Instances) SecurityGroups(ctx context.Context, ids []string) (map[string]string, error) {
	if err := p.ensure(ctx, ids); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]string{}
	for _, id := range ids {
		if info, ok := p.instances[id]; ok && info.sg != "" {
			out[id] = info.sg
		}
	}
	return out, nil
}

// VPC returns the VPC of the first instance that has one.
func (p *Instances) VPC(ctx context.Context, ids []string) (string, error) {
	if err := p.ensure(ctx, ids); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if v := p.instances[id].vpc; v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("no VPC found for instances %v", ids)
}

func (p *Instances) ensure(ctx context.Context, ids []string) error {
	if len(p.missing(ids)) == 0 {
		return nil
	}
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	missing := p.missing(ids) // another caller may have read them meanwhile
	if len(missing) == 0 {
		return nil
	}
	return p.fetch(ctx, missing)
}

func (p *Instances) missing(ids []string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if info, ok := p.instances[id]; !ok || p.clock.Since(info.readAt) >= InstanceTTL {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	return missing
}

// maxFilterValues is how many values EC2 takes in one filter; a filter with
// more is refused with FilterLimitExceeded.
const maxFilterValues = 200

func (p *Instances) fetch(ctx context.Context, missing []string) error {
	found := map[string]instanceInfo{}
	groups := map[string][]string{} // instances with several groups: decide by tag
	// Sequential calls of at most maxFilterValues ids each: a cluster of more
	// than 200 nodes costs a few calls, never a refused one.
	for start := 0; start < len(missing); start += maxFilterValues {
		chunk := missing[start:min(start+maxFilterValues, len(missing))]
		if err := p.describe(ctx, chunk, found, groups); err != nil {
			return err
		}
	}
	if len(groups) > 0 {
		if err := p.pickTagged(ctx, found, groups); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range missing {
		info, ok := found[id]
		if !ok { // gone: remember that too, until the TTL, to not ask again
			info = instanceInfo{readAt: p.clock.Now()}
		}
		p.instances[id] = info
	}
	return nil
}

// describe reads the instances ids into found, and the groups of those with
// several into groups.
func (p *Instances) describe(ctx context.Context, ids []string, found map[string]instanceInfo, groups map[string][]string) error {
	// A filter, not InstanceIds: one instance that no longer exists (a Node
	// that outlived it) must not fail the look-up of all the others.
	pager := ec2.NewDescribeInstancesPaginator(p.ec2, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: ids}}})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describing %d instances from %s: %w", len(ids), ids[0], err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				id := aws.ToString(in.InstanceId)
				info := instanceInfo{vpc: aws.ToString(in.VpcId), readAt: p.clock.Now()}
				sgs := primaryGroups(in)
				if len(sgs) == 1 {
					info.sg = sgs[0]
				} else if len(sgs) > 1 {
					groups[id] = sgs
				}
				found[id] = info
			}
		}
	}
	return nil
}

// pickTagged gives each instance with several groups the one tagged for the
// cluster.
func (p *Instances) pickTagged(ctx context.Context, found map[string]instanceInfo, groups map[string][]string) error {
	var all []string
	for _, sgs := range groups {
		all = append(all, sgs...)
	}
	sort.Strings(all)
	tagged, err := p.clusterTagged(ctx, slices.Compact(all)) // nodes share groups: ask once each
	if err != nil {
		return err
	}
	for id, sgs := range groups {
		info := found[id]
		for _, sg := range sgs {
			if tagged[sg] {
				info.sg = sg
			}
		}
		found[id] = info
	}
	return nil
}

func primaryGroups(in ec2types.Instance) []string {
	var out []string
	for _, eni := range in.NetworkInterfaces {
		if eni.Attachment != nil && aws.ToInt32(eni.Attachment.DeviceIndex) == 0 {
			for _, g := range eni.Groups {
				out = append(out, aws.ToString(g.GroupId))
			}
			return out
		}
	}
	for _, g := range in.SecurityGroups {
		out = append(out, aws.ToString(g.GroupId))
	}
	return out
}

func (p *Instances) clusterTagged(ctx context.Context, ids []string) (map[string]bool, error) {
	out, err := p.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		return nil, fmt.Errorf("describing node security groups: %w", err)
	}
	tagged := map[string]bool{}
	for _, sg := range out.SecurityGroups {
		for _, t := range sg.Tags {
			if aws.ToString(t.Key) == tagClusterPrefix+p.cluster {
				tagged[aws.ToString(sg.GroupId)] = true
			}
		}
	}
	return tagged, nil
}
