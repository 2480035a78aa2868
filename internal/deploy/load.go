package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// snapshot is the result of one bulk read of the cluster's resources.
type snapshot struct {
	stacks    map[model.StackID]*StackState
	backendSG *SecurityGroupState
}

// loadSnapshot reads every load balancer, target group and security group
// tagged for the cluster, in a few paginated calls whatever their number.
// Those of another cluster of the same name, or in another VPC, are left
// out: kelb never adopts, changes or deletes them; so are those whose stack
// tags name no single stack (StackOf). Stacks of every kind are loaded, each
// under its own id: what kelb does with one depends on its kind.
func (d *Deployer) loadSnapshot(ctx context.Context) (*snapshot, error) {
	// The four listings are independent: read at once, a restart waits for
	// the longest of them instead of their sum (at 1,000 Services, tens of
	// pages), and every reconcile waits for the load.
	var (
		tags    map[string]map[string]string
		lbList  []elbtypes.LoadBalancer
		tgList  []elbtypes.TargetGroup
		sgList  []ec2types.SecurityGroup
		errs    [4]error
		reading sync.WaitGroup
	)
	reading.Go(func() { tags, errs[0] = d.taggedELBResources(ctx) })
	reading.Go(func() { lbList, errs[1] = d.allLoadBalancers(ctx) })
	reading.Go(func() { tgList, errs[2] = d.allTargetGroups(ctx) })
	reading.Go(func() { sgList, errs[3] = d.clusterSecurityGroups(ctx) })
	reading.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	snap := &snapshot{stacks: map[model.StackID]*StackState{}}
	ex := d.newExclusions(ctx)
	stack := func(id model.StackID) *StackState {
		s, ok := snap.stacks[id]
		if !ok {
			s = &StackState{ID: id}
			snap.stacks[id] = s
		}
		return s
	}
	for _, lb := range lbList {
		arn := aws.ToString(lb.LoadBalancerArn)
		if id, ok := ex.stackOf(arn, tags[arn], aws.ToString(lb.VpcId)); ok {
			stack(id).LoadBalancer = loadBalancerState(lb, tags[arn])
		}
	}
	for _, tg := range tgList {
		arn := aws.ToString(tg.TargetGroupArn)
		if id, ok := ex.stackOf(arn, tags[arn], aws.ToString(tg.VpcId)); ok {
			s := stack(id)
			s.TargetGroups = append(s.TargetGroups, targetGroupState(tg, tags[arn]))
		}
	}
	for _, sg := range sgList {
		st := securityGroupState(sg)
		if ex.excluded(st.ID, st.Tags, aws.ToString(sg.VpcId)) {
			continue
		}
		if st.Tags[model.TagResource] == model.ResourceBackendSG {
			if snap.backendSG == nil || snap.backendSG.Tags[model.TagClusterUID] == "" {
				snap.backendSG = st // the one this cluster made wins over one LBC made
			}
			continue
		}
		// A group tagged for a stack as ManagedLBSecurityGroup is the
		// managed frontend group of its load balancer, for both kinds.
		if !model.HasStackTags(st.Tags) {
			continue
		}
		if id, ok := ex.parseStack(st.ID, st.Tags); ok && id.ResourceID(st.Tags) == model.ResourceManagedLBSG {
			stack(id).FrontendSG = st
		}
	}
	for _, s := range snap.stacks {
		sortTargetGroups(s.TargetGroups)
	}
	ex.done()
	d.own.observed.Store(observe(snap))
	return snap, nil
}

func (d *Deployer) allLoadBalancers(ctx context.Context) ([]elbtypes.LoadBalancer, error) {
	var out []elbtypes.LoadBalancer
	p := elbv2.NewDescribeLoadBalancersPaginator(d.elb, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing load balancers: %w", err)
		}
		out = append(out, page.LoadBalancers...)
	}
	return out, nil
}

func (d *Deployer) allTargetGroups(ctx context.Context) ([]elbtypes.TargetGroup, error) {
	var out []elbtypes.TargetGroup
	p := elbv2.NewDescribeTargetGroupsPaginator(d.elb, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing target groups: %w", err)
		}
		out = append(out, page.TargetGroups...)
	}
	return out, nil
}

// clusterSecurityGroups returns the security groups tagged for the cluster.
func (d *Deployer) clusterSecurityGroups(ctx context.Context) ([]ec2types.SecurityGroup, error) {
	var out []ec2types.SecurityGroup
	p := ec2.NewDescribeSecurityGroupsPaginator(d.ec2, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagCluster), Values: []string{d.cfg.ClusterName}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing security groups: %w", err)
		}
		out = append(out, page.SecurityGroups...)
	}
	return out, nil
}

// taggedELBResources returns the tags of every ELBv2 load balancer and target
// group carrying the cluster tag, by ARN.
func (d *Deployer) taggedELBResources(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	p := tagging.NewGetResourcesPaginator(d.tagging, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup"},
		TagFilters:          []taggingtypes.TagFilter{{Key: aws.String(model.TagCluster), Values: []string{d.cfg.ClusterName}}},
		ResourcesPerPage:    aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing resources tagged %s=%s: %w", model.TagCluster, d.cfg.ClusterName, err)
		}
		for _, r := range page.ResourceTagMappingList {
			t := map[string]string{}
			for _, tag := range r.Tags {
				t[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			out[aws.ToString(r.ResourceARN)] = t
		}
	}
	return out, nil
}

func loadBalancerState(lb elbtypes.LoadBalancer, tags map[string]string) *LoadBalancerState {
	s := &LoadBalancerState{
		ARN: aws.ToString(lb.LoadBalancerArn), Name: aws.ToString(lb.LoadBalancerName),
		DNSName: aws.ToString(lb.DNSName), Scheme: string(lb.Scheme), Type: string(lb.Type),
		IPAddressType: string(lb.IpAddressType), SecurityGroups: lb.SecurityGroups, Tags: tags,
	}
	if lb.State != nil {
		s.State = string(lb.State.Code)
	}
	for _, az := range lb.AvailabilityZones {
		s.Subnets = append(s.Subnets, aws.ToString(az.SubnetId))
	}
	sort.Strings(s.Subnets)
	s.SubnetAddresses = readSubnetAddresses(lb.AvailabilityZones)
	s.PrefixForIPv6SourceNAT = string(lb.EnablePrefixForIpv6SourceNat)
	s.PrivateLinkInboundRules = aws.ToString(lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic)
	return s
}

func targetGroupState(tg elbtypes.TargetGroup, tags map[string]string) *TargetGroupState {
	s := &TargetGroupState{
		ARN: aws.ToString(tg.TargetGroupArn), Name: aws.ToString(tg.TargetGroupName),
		Protocol: string(tg.Protocol), Port: aws.ToInt32(tg.Port), TargetType: string(tg.TargetType),
		IPAddressType: string(tg.IpAddressType), Tags: tags, ProtocolVersion: aws.ToString(tg.ProtocolVersion),
		HealthCheck: model.HealthCheck{
			Protocol: string(tg.HealthCheckProtocol), Port: aws.ToString(tg.HealthCheckPort),
			IntervalSeconds: aws.ToInt32(tg.HealthCheckIntervalSeconds), TimeoutSeconds: aws.ToInt32(tg.HealthCheckTimeoutSeconds),
			HealthyThreshold: aws.ToInt32(tg.HealthyThresholdCount), UnhealthyThreshold: aws.ToInt32(tg.UnhealthyThresholdCount),
		},
	}
	if s.IPAddressType == "" {
		s.IPAddressType = "ipv4"
	}
	if s.HealthCheck.Protocol != "TCP" {
		s.HealthCheck.Path = aws.ToString(tg.HealthCheckPath)
		if tg.Matcher != nil {
			s.HealthCheck.Matcher = aws.ToString(tg.Matcher.HttpCode)
			if s.HealthCheck.Matcher == "" {
				s.HealthCheck.Matcher = aws.ToString(tg.Matcher.GrpcCode) // a gRPC target group's
			}
		}
	}
	return s
}

func securityGroupState(sg ec2types.SecurityGroup) *SecurityGroupState {
	s := &SecurityGroupState{ID: aws.ToString(sg.GroupId), Name: aws.ToString(sg.GroupName), Tags: awsclient.EC2TagMap(sg.Tags)}
	s.Ingress = rulesFromPermissions(sg.IpPermissions)
	return s
}

func rulesFromPermissions(perms []ec2types.IpPermission) []model.Rule {
	var out []model.Rule
	for _, p := range perms {
		base := model.Rule{Protocol: strings.ToLower(aws.ToString(p.IpProtocol))}
		if base.Protocol != allTraffic { // AWS reports -1 ports, or none, for all traffic
			base.FromPort, base.ToPort = aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort)
		}
		for _, r := range p.IpRanges {
			rule := base
			rule.CIDR, rule.Description = aws.ToString(r.CidrIp), aws.ToString(r.Description)
			out = append(out, rule)
		}
		for _, r := range p.Ipv6Ranges {
			rule := base
			rule.CIDR, rule.Description = aws.ToString(r.CidrIpv6), aws.ToString(r.Description)
			out = append(out, rule)
		}
		for _, r := range p.UserIdGroupPairs {
			rule := base
			rule.SourceSG, rule.Description = aws.ToString(r.GroupId), aws.ToString(r.Description)
			out = append(out, rule)
		}
		for _, r := range p.PrefixListIds {
			rule := base
			rule.PrefixListID, rule.Description = aws.ToString(r.PrefixListId), aws.ToString(r.Description)
			out = append(out, rule)
		}
	}
	return out
}

func sortTargetGroups(tgs []*TargetGroupState) {
	sort.Slice(tgs, func(i, j int) bool {
		if tgs[i].ResourceID() != tgs[j].ResourceID() {
			return tgs[i].ResourceID() < tgs[j].ResourceID()
		}
		return tgs[i].ARN < tgs[j].ARN
	})
}
