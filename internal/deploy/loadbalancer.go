package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// ensureLoadBalancer creates the load balancer, modifies it in place, or
// replaces it when a property AWS cannot change (scheme, type) differs.
func (d *Deployer) ensureLoadBalancer(ctx context.Context, st *StackState, want model.LoadBalancer, sgs []string,
	tags model.TagPolicy) error {
	if lb := st.LoadBalancer; lb != nil && (lb.Scheme != want.Scheme || lb.Type != want.Type) {
		log.FromContext(ctx).Info("replacing load balancer: scheme or type cannot change in place",
			"loadBalancer", lb.Name, "scheme", lb.Scheme, "wantScheme", want.Scheme)
		if err := d.deleteLoadBalancer(ctx, st, DeleteOptions{}); err != nil {
			return err
		}
	}
	if st.LoadBalancer == nil {
		return d.createLoadBalancer(ctx, st, want, sgs)
	}
	lb := st.LoadBalancer
	// A load balancer turning dualstack is made so before its subnets are
	// given the IPv6 addresses and prefixes only dualstack takes.
	if want.IPAddressType == "dualstack" {
		if err := d.setIPAddressType(ctx, lb, want.IPAddressType); err != nil {
			return err
		}
	}
	if subnetsNeedSetting(lb, want) {
		in := &elbv2.SetSubnetsInput{LoadBalancerArn: aws.String(lb.ARN), Subnets: want.Subnets}
		if want.SubnetMappings != nil {
			in.Subnets, in.SubnetMappings = nil, sdkSubnetMappings(want.SubnetMappings)
		}
		if want.EnablePrefixForIPv6SourceNAT != "" {
			in.EnablePrefixForIpv6SourceNat = elbtypes.EnablePrefixForIpv6SourceNatEnum(want.EnablePrefixForIPv6SourceNAT)
		}
		out, err := d.elb.SetSubnets(ctx, in)
		if err != nil {
			return fmt.Errorf("setting subnets of load balancer %s: %w", lb.Name, err)
		}
		lb.Subnets = sortedCopy(want.Subnets)
		lb.SubnetAddresses = readSubnetAddresses(out.AvailabilityZones)
		if want.EnablePrefixForIPv6SourceNAT != "" {
			lb.PrefixForIPv6SourceNAT = want.EnablePrefixForIPv6SourceNAT
		}
	}
	if drift := pinnedAddressDrift(lb, want); len(drift) > 0 {
		log.FromContext(ctx).V(1).Info("load balancer keeps the addresses it was created with: AWS cannot change "+
			"a subnet's Elastic IP or addresses in place", "loadBalancer", lb.Name, "subnets", drift)
	}
	privateLinkChange := want.PrivateLinkInboundRules != "" && want.PrivateLinkInboundRules != lb.PrivateLinkInboundRules
	if !equalStrings(lb.SecurityGroups, sgs) || privateLinkChange {
		if len(lb.SecurityGroups) == 0 {
			return fmt.Errorf("load balancer %s was created without security groups and AWS cannot add them; "+
				"set annotation service.beta.kubernetes.io/aws-load-balancer-disable-nlb-sg: \"true\" or recreate the Service",
				lb.Name)
		}
		if err := d.setSecurityGroups(ctx, lb, sgs, want.PrivateLinkInboundRules); err != nil {
			return err
		}
	}
	if err := d.setIPAddressType(ctx, lb, want.IPAddressType); err != nil {
		return err
	}
	tagged, err := d.ensureELBTags(ctx, lb.ARN, lb.Tags, want.Tags, tags)
	if err != nil {
		return err
	}
	lb.Tags = tagged
	if err := d.ensureLoadBalancerAttributes(ctx, lb, want.Attributes); err != nil {
		return err
	}
	return d.ensureCapacityReservation(ctx, lb, want.MinimumCapacity)
}

func (d *Deployer) createLoadBalancer(ctx context.Context, st *StackState, want model.LoadBalancer, sgs []string) error {
	tags := d.createTags(want.Tags)
	in := &elbv2.CreateLoadBalancerInput{
		Name: aws.String(want.Name), Type: elbtypes.LoadBalancerTypeEnum(want.Type),
		Scheme: elbtypes.LoadBalancerSchemeEnum(want.Scheme), IpAddressType: elbtypes.IpAddressType(want.IPAddressType),
		Subnets: want.Subnets, Tags: elbTags(tags),
	}
	if want.SubnetMappings != nil {
		in.Subnets, in.SubnetMappings = nil, sdkSubnetMappings(want.SubnetMappings)
	}
	if want.EnablePrefixForIPv6SourceNAT != "" {
		in.EnablePrefixForIpv6SourceNat = elbtypes.EnablePrefixForIpv6SourceNatEnum(want.EnablePrefixForIPv6SourceNAT)
	}
	if len(sgs) > 0 {
		in.SecurityGroups = sgs
	}
	out, err := d.elb.CreateLoadBalancer(ctx, in)
	if err != nil {
		return fmt.Errorf("creating load balancer %s: %w", want.Name, err)
	}
	if len(out.LoadBalancers) != 1 {
		return fmt.Errorf("creating load balancer %s: AWS returned %d load balancers", want.Name, len(out.LoadBalancers))
	}
	st.LoadBalancer = loadBalancerState(out.LoadBalancers[0], tags)
	st.LoadBalancer.SecurityGroups = sgs
	st.LoadBalancer.Subnets = sortedCopy(want.Subnets)
	st.Listeners, st.ListenersKnown = nil, true
	// A new load balancer has no web ACL and no Shield protection.
	st.LoadBalancer.addOns = addOnsState{wafv2: aws.String(""), wafRegional: aws.String(""),
		shield: &shieldProtection{}}
	// AWS takes this setting only with SetSecurityGroups, never at creation.
	if want.PrivateLinkInboundRules != "" && len(sgs) > 0 &&
		want.PrivateLinkInboundRules != st.LoadBalancer.PrivateLinkInboundRules {
		if err := d.setSecurityGroups(ctx, st.LoadBalancer, sgs, want.PrivateLinkInboundRules); err != nil {
			return err
		}
	}
	if err := d.ensureLoadBalancerAttributes(ctx, st.LoadBalancer, want.Attributes); err != nil {
		return err
	}
	return d.ensureCapacityReservation(ctx, st.LoadBalancer, want.MinimumCapacity)
}

// setSecurityGroups sets the load balancer's groups and, when asked,
// whether they judge PrivateLink traffic.
func (d *Deployer) setSecurityGroups(ctx context.Context, lb *LoadBalancerState, sgs []string, privateLink string) error {
	in := &elbv2.SetSecurityGroupsInput{LoadBalancerArn: aws.String(lb.ARN), SecurityGroups: sgs}
	if privateLink != "" {
		in.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic =
			elbtypes.EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum(privateLink)
	}
	if _, err := d.elb.SetSecurityGroups(ctx, in); err != nil {
		return fmt.Errorf("setting security groups of load balancer %s: %w", lb.Name, err)
	}
	lb.SecurityGroups = sgs
	if privateLink != "" {
		lb.PrivateLinkInboundRules = privateLink
	}
	return nil
}

func (d *Deployer) setIPAddressType(ctx context.Context, lb *LoadBalancerState, ipType string) error {
	if lb.IPAddressType == ipType {
		return nil
	}
	if _, err := d.elb.SetIpAddressType(ctx, &elbv2.SetIpAddressTypeInput{LoadBalancerArn: aws.String(lb.ARN),
		IpAddressType: elbtypes.IpAddressType(ipType)}); err != nil {
		return fmt.Errorf("setting IP address type of load balancer %s: %w", lb.Name, err)
	}
	lb.IPAddressType = ipType
	return nil
}

func (d *Deployer) ensureLoadBalancerAttributes(ctx context.Context, lb *LoadBalancerState, want map[string]string) error {
	arn := aws.String(lb.ARN)
	return ensureAttributes(&lb.Attributes, want, func() (map[string]string, error) {
		out, err := d.elb.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: arn})
		if err != nil {
			return nil, fmt.Errorf("reading attributes of load balancer %s: %w", lb.Name, err)
		}
		m := map[string]string{}
		for _, a := range out.Attributes {
			m[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		return m, nil
	}, func(changes map[string]string) error {
		var attrs []elbtypes.LoadBalancerAttribute
		for _, k := range sortedKeys(changes) {
			attrs = append(attrs, elbtypes.LoadBalancerAttribute{Key: aws.String(k), Value: aws.String(changes[k])})
		}
		if _, err := d.elb.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{
			LoadBalancerArn: arn, Attributes: attrs}); err != nil {
			return fmt.Errorf("modifying attributes of load balancer %s: %w", lb.Name, err)
		}
		return nil
	})
}

// deleteLoadBalancer deletes the stack's load balancer. A protected one is
// left as it is (a *LoadBalancerProtectedError), unless opts lift the
// protection: then it is turned off, after AWS refused, and the delete
// sent again.
func (d *Deployer) deleteLoadBalancer(ctx context.Context, st *StackState, opts DeleteOptions) error {
	lb := st.LoadBalancer
	del := func() error {
		_, err := d.elb.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lb.ARN)})
		return err
	}
	err := del()
	if isDeletionProtected(err) && opts.LiftDeletionProtection {
		if err := d.liftDeletionProtection(ctx, lb); err != nil {
			return err
		}
		err = del()
	}
	if isDeletionProtected(err) {
		return &LoadBalancerProtectedError{Name: lb.Name, ARN: lb.ARN, Err: err}
	}
	if err != nil && !awsclient.IsNotFound(err) {
		return fmt.Errorf("deleting load balancer %s: %w", lb.Name, err)
	}
	st.LoadBalancer, st.Listeners, st.ListenersKnown = nil, nil, true
	d.inv.keepListenerTags(st.ID, nil)
	d.inv.setProvisioning(st.ID, "", false)
	return nil
}

// refreshDetails reads what a bulk load does not: listeners. It does so
// when they are unknown, or older than the drift period. Target group
// members are the TargetGroupBinding controller's to read and keep.
func (d *Deployer) refreshDetails(ctx context.Context, st *StackState) error {
	now := d.clock.Now()
	if now.Sub(st.VerifiedAt) < d.cfg.DriftPeriod && (st.ListenersKnown || st.LoadBalancer == nil) {
		return nil
	}
	stale := now.Sub(st.VerifiedAt) >= d.cfg.DriftPeriod
	if lb := st.LoadBalancer; lb != nil && (stale || !st.ListenersKnown) {
		ls, err := d.describeListeners(ctx, lb.ARN)
		if awsclient.IsNotFound(err) {
			st.LoadBalancer, st.Listeners = nil, nil
		} else if err != nil {
			return err
		}
		st.Listeners, st.ListenersKnown = ls, true
		if stale {
			lb.Attributes, lb.CapacityKnown, lb.addOns = nil, false, addOnsState{}
		}
	}
	if stale {
		for _, tg := range st.TargetGroups {
			tg.Attributes = nil
		}
	}
	st.VerifiedAt = now
	return nil
}

func (d *Deployer) describeListeners(ctx context.Context, lbARN string) ([]*ListenerState, error) {
	var out []*ListenerState
	p := elbv2.NewDescribeListenersPaginator(d.elb, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN),
		PageSize: aws.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing listeners of %s: %w", lbARN, err)
		}
		for _, l := range page.Listeners {
			out = append(out, listenerState(l))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out, nil
}
