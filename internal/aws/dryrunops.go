package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
)

// The mutating operations a dry run knows, each with the synthetic answer
// its caller reads: made-up ids and ARNs for what a create makes, the
// input echoed where the caller reads the result back. An operation not
// listed here, and not a read, is refused.

// ListenerLookup reads a listener as AWS has it now (a real read): a
// modified listener is answered as it is with the changes applied, as AWS
// answers.
type ListenerLookup func(ctx context.Context, arn string) (*elbtypes.Listener, error)

// synthesize returns the output AWS would give for a mutating input, or
// false for an operation the dry run does not know.
func (r *DryRun) synthesize(ctx context.Context, params any) (any, bool, error) {
	if out, ok, err := r.elbCreates(ctx, params); ok {
		return out, ok, err
	}
	if out, ok := elbChanges(params); ok {
		return out, true, nil
	}
	out, ok := r.otherWrites(params)
	return out, ok, nil
}

// elbCreates answers the ELB writes whose result the caller reads back.
func (r *DryRun) elbCreates(ctx context.Context, params any) (any, bool, error) {
	switch in := params.(type) {
	case *elbv2.CreateLoadBalancerInput:
		return &elbv2.CreateLoadBalancerOutput{LoadBalancers: []elbtypes.LoadBalancer{r.loadBalancer(in)}}, true, nil
	case *elbv2.CreateTargetGroupInput:
		return &elbv2.CreateTargetGroupOutput{TargetGroups: []elbtypes.TargetGroup{r.targetGroup(in)}}, true, nil
	case *elbv2.CreateListenerInput:
		return &elbv2.CreateListenerOutput{Listeners: []elbtypes.Listener{{
			ListenerArn:     aws.String(r.childARN(aws.ToString(in.LoadBalancerArn), "listener")),
			LoadBalancerArn: in.LoadBalancerArn, Port: in.Port, Protocol: in.Protocol, DefaultActions: in.DefaultActions,
			Certificates: in.Certificates, SslPolicy: in.SslPolicy, AlpnPolicy: in.AlpnPolicy,
			MutualAuthentication: in.MutualAuthentication}}}, true, nil
	case *elbv2.ModifyListenerInput:
		l, err := r.modifiedListener(ctx, in)
		return &elbv2.ModifyListenerOutput{Listeners: []elbtypes.Listener{l}}, true, err
	case *elbv2.CreateRuleInput:
		return &elbv2.CreateRuleOutput{Rules: []elbtypes.Rule{{
			RuleArn:  aws.String(r.childARN(aws.ToString(in.ListenerArn), "listener-rule")),
			Priority: aws.String(fmt.Sprint(aws.ToInt32(in.Priority))), Conditions: in.Conditions, Actions: in.Actions,
			Transforms: in.Transforms}}}, true, nil
	case *elbv2.ModifyRuleInput:
		return &elbv2.ModifyRuleOutput{Rules: []elbtypes.Rule{{RuleArn: in.RuleArn, Conditions: in.Conditions,
			Actions: in.Actions, Transforms: in.Transforms}}}, true, nil
	case *elbv2.SetSubnetsInput:
		out := &elbv2.SetSubnetsOutput{EnablePrefixForIpv6SourceNat: in.EnablePrefixForIpv6SourceNat}
		for _, s := range in.Subnets {
			out.AvailabilityZones = append(out.AvailabilityZones, elbtypes.AvailabilityZone{SubnetId: aws.String(s)})
		}
		for _, m := range in.SubnetMappings {
			out.AvailabilityZones = append(out.AvailabilityZones, elbtypes.AvailabilityZone{SubnetId: m.SubnetId})
		}
		return out, true, nil
	}
	return nil, false, nil
}

// elbChanges answers the other ELB writes, echoing what they set.
func elbChanges(params any) (any, bool) {
	switch in := params.(type) {
	case *elbv2.SetSecurityGroupsInput:
		return &elbv2.SetSecurityGroupsOutput{SecurityGroupIds: in.SecurityGroups,
			EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: elbtypes.EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum(
				in.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic)}, true
	case *elbv2.SetIpAddressTypeInput:
		return &elbv2.SetIpAddressTypeOutput{IpAddressType: in.IpAddressType}, true
	case *elbv2.ModifyLoadBalancerAttributesInput:
		return &elbv2.ModifyLoadBalancerAttributesOutput{Attributes: in.Attributes}, true
	case *elbv2.ModifyTargetGroupAttributesInput:
		return &elbv2.ModifyTargetGroupAttributesOutput{Attributes: in.Attributes}, true
	case *elbv2.ModifyListenerAttributesInput:
		return &elbv2.ModifyListenerAttributesOutput{Attributes: in.Attributes}, true
	case *elbv2.ModifyTargetGroupInput:
		return &elbv2.ModifyTargetGroupOutput{}, true
	case *elbv2.ModifyCapacityReservationInput:
		return &elbv2.ModifyCapacityReservationOutput{}, true
	case *elbv2.SetRulePrioritiesInput:
		return &elbv2.SetRulePrioritiesOutput{}, true
	case *elbv2.DeleteLoadBalancerInput:
		return &elbv2.DeleteLoadBalancerOutput{}, true
	case *elbv2.DeleteTargetGroupInput:
		return &elbv2.DeleteTargetGroupOutput{}, true
	case *elbv2.DeleteListenerInput:
		return &elbv2.DeleteListenerOutput{}, true
	case *elbv2.DeleteRuleInput:
		return &elbv2.DeleteRuleOutput{}, true
	case *elbv2.RegisterTargetsInput:
		return &elbv2.RegisterTargetsOutput{}, true
	case *elbv2.DeregisterTargetsInput:
		return &elbv2.DeregisterTargetsOutput{}, true
	case *elbv2.AddListenerCertificatesInput:
		return &elbv2.AddListenerCertificatesOutput{Certificates: in.Certificates}, true
	case *elbv2.RemoveListenerCertificatesInput:
		return &elbv2.RemoveListenerCertificatesOutput{}, true
	case *elbv2.AddTagsInput:
		return &elbv2.AddTagsOutput{}, true
	case *elbv2.RemoveTagsInput:
		return &elbv2.RemoveTagsOutput{}, true

	}
	return nil, false
}

// otherWrites answers the EC2 and add-on writes.
func (r *DryRun) otherWrites(params any) (any, bool) {
	switch in := params.(type) {
	// EC2: security groups and their rules, tags.
	case *ec2.CreateSecurityGroupInput:
		id := "sg-" + r.id()
		out := &ec2.CreateSecurityGroupOutput{GroupId: aws.String(id),
			SecurityGroupArn: aws.String(fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", r.Region, r.Account, id))}
		for _, s := range in.TagSpecifications {
			out.Tags = append(out.Tags, s.Tags...)
		}
		return out, true
	case *ec2.AuthorizeSecurityGroupIngressInput:
		return &ec2.AuthorizeSecurityGroupIngressOutput{Return: aws.Bool(true)}, true
	case *ec2.RevokeSecurityGroupIngressInput:
		return &ec2.RevokeSecurityGroupIngressOutput{Return: aws.Bool(true)}, true
	case *ec2.DeleteSecurityGroupInput:
		return &ec2.DeleteSecurityGroupOutput{Return: aws.Bool(true), GroupId: in.GroupId}, true
	case *ec2.CreateTagsInput:
		return &ec2.CreateTagsOutput{}, true
	case *ec2.DeleteTagsInput:
		return &ec2.DeleteTagsOutput{}, true

	// Add-ons of application load balancers.
	case *wafv2.AssociateWebACLInput:
		return &wafv2.AssociateWebACLOutput{}, true
	case *wafv2.DisassociateWebACLInput:
		return &wafv2.DisassociateWebACLOutput{}, true
	case *wafregional.AssociateWebACLInput:
		return &wafregional.AssociateWebACLOutput{}, true
	case *wafregional.DisassociateWebACLInput:
		return &wafregional.DisassociateWebACLOutput{}, true
	case *shield.CreateProtectionInput:
		return &shield.CreateProtectionOutput{ProtectionId: aws.String(r.id())}, true
	case *shield.DeleteProtectionInput:
		return &shield.DeleteProtectionOutput{}, true
	}
	return nil, false
}

func (r *DryRun) loadBalancer(in *elbv2.CreateLoadBalancerInput) elbtypes.LoadBalancer {
	kind := "net"
	if in.Type == elbtypes.LoadBalancerTypeEnumApplication || in.Type == "" {
		kind = "app"
	}
	id := r.id()
	name := aws.ToString(in.Name)
	lb := elbtypes.LoadBalancer{
		LoadBalancerArn: aws.String(fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s/%s/%s",
			r.Region, r.Account, kind, name, id)),
		LoadBalancerName: in.Name, Type: in.Type, Scheme: in.Scheme, IpAddressType: in.IpAddressType,
		DNSName:                      aws.String(fmt.Sprintf("%s-%s.elb.%s.amazonaws.com", name, id, r.Region)),
		State:                        &elbtypes.LoadBalancerState{Code: elbtypes.LoadBalancerStateEnumProvisioning},
		SecurityGroups:               in.SecurityGroups,
		EnablePrefixForIpv6SourceNat: in.EnablePrefixForIpv6SourceNat,
	}
	for _, s := range in.Subnets {
		lb.AvailabilityZones = append(lb.AvailabilityZones, elbtypes.AvailabilityZone{SubnetId: aws.String(s)})
	}
	for _, m := range in.SubnetMappings {
		lb.AvailabilityZones = append(lb.AvailabilityZones, elbtypes.AvailabilityZone{SubnetId: m.SubnetId})
	}
	return lb
}

func (r *DryRun) targetGroup(in *elbv2.CreateTargetGroupInput) elbtypes.TargetGroup {
	return elbtypes.TargetGroup{
		TargetGroupArn: aws.String(fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s",
			r.Region, r.Account, aws.ToString(in.Name), r.id())),
		TargetGroupName: in.Name, Protocol: in.Protocol, Port: in.Port, TargetType: in.TargetType, VpcId: in.VpcId,
		IpAddressType: in.IpAddressType, ProtocolVersion: in.ProtocolVersion,
		HealthCheckProtocol: in.HealthCheckProtocol, HealthCheckPort: in.HealthCheckPort,
		HealthCheckPath: in.HealthCheckPath, Matcher: in.Matcher,
		HealthCheckIntervalSeconds: in.HealthCheckIntervalSeconds, HealthCheckTimeoutSeconds: in.HealthCheckTimeoutSeconds,
		HealthyThresholdCount: in.HealthyThresholdCount, UnhealthyThresholdCount: in.UnhealthyThresholdCount,
	}
}

// childARN makes up the ARN of a listener or rule under its parent's
// (loadbalancer/... -> listener/...; listener/... -> listener-rule/...).
func (r *DryRun) childARN(parent, kind string) string {
	const lbPart, listenerPart = ":loadbalancer/", ":listener/"
	base := parent
	for _, p := range []string{lbPart, listenerPart} {
		if i := strings.Index(parent, p); i >= 0 {
			base = parent[i+len(p):]
			break
		}
	}
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s/%s/%s", r.Region, r.Account, kind, base, r.id())
}

// modifiedListener is the listener as AWS would answer a ModifyListener:
// as it is (read from AWS) with the input's changes.
func (r *DryRun) modifiedListener(ctx context.Context, in *elbv2.ModifyListenerInput) (elbtypes.Listener, error) {
	l := elbtypes.Listener{ListenerArn: in.ListenerArn}
	if r.Listeners != nil && !mentionsPlanned(in.ListenerArn) {
		have, err := r.Listeners(ctx, aws.ToString(in.ListenerArn))
		if err != nil {
			return l, fmt.Errorf("dry run: reading listener %s to answer ModifyListener: %w", aws.ToString(in.ListenerArn), err)
		}
		if have != nil {
			l = *have
		}
	}
	if in.Port != nil {
		l.Port = in.Port
	}
	if in.Protocol != "" {
		l.Protocol = in.Protocol
	}
	if in.DefaultActions != nil {
		l.DefaultActions = in.DefaultActions
	}
	if in.Certificates != nil {
		l.Certificates = in.Certificates
	}
	if in.SslPolicy != nil {
		l.SslPolicy = in.SslPolicy
	}
	if in.AlpnPolicy != nil {
		l.AlpnPolicy = in.AlpnPolicy
	}
	if in.MutualAuthentication != nil {
		l.MutualAuthentication = in.MutualAuthentication
	}
	return l, nil
}

// plannedRead answers a read that names a resource only the plan has: a
// new resource has no attributes set, no rules, no tags beyond its create's,
// no targets, no certificates beyond its default, no add-ons.
func plannedRead(params any) (any, bool) {
	switch params.(type) {
	case *elbv2.DescribeLoadBalancerAttributesInput:
		return &elbv2.DescribeLoadBalancerAttributesOutput{}, true
	case *elbv2.DescribeTargetGroupAttributesInput:
		return &elbv2.DescribeTargetGroupAttributesOutput{}, true
	case *elbv2.DescribeListenerAttributesInput:
		return &elbv2.DescribeListenerAttributesOutput{}, true
	case *elbv2.DescribeListenerCertificatesInput:
		return &elbv2.DescribeListenerCertificatesOutput{}, true
	case *elbv2.DescribeRulesInput:
		return &elbv2.DescribeRulesOutput{}, true
	case *elbv2.DescribeTagsInput:
		return &elbv2.DescribeTagsOutput{}, true
	case *elbv2.DescribeTargetHealthInput:
		return &elbv2.DescribeTargetHealthOutput{}, true
	case *elbv2.DescribeCapacityReservationInput:
		return &elbv2.DescribeCapacityReservationOutput{}, true
	case *elbv2.DescribeListenersInput:
		return &elbv2.DescribeListenersOutput{}, true
	case *elbv2.DescribeLoadBalancersInput:
		return &elbv2.DescribeLoadBalancersOutput{}, true
	case *elbv2.DescribeTargetGroupsInput:
		return &elbv2.DescribeTargetGroupsOutput{}, true
	case *ec2.DescribeSecurityGroupsInput:
		return &ec2.DescribeSecurityGroupsOutput{}, true
	case *ec2.DescribeSecurityGroupRulesInput:
		return &ec2.DescribeSecurityGroupRulesOutput{SecurityGroupRules: []ec2types.SecurityGroupRule{}}, true
	case *wafv2.GetWebACLForResourceInput:
		return &wafv2.GetWebACLForResourceOutput{}, true
	case *wafregional.GetWebACLForResourceInput:
		return &wafregional.GetWebACLForResourceOutput{}, true
	case *shield.DescribeProtectionInput:
		return &shield.DescribeProtectionOutput{}, true
	}
	return nil, false
}
