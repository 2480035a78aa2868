package integration

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/service"
)

// TestPinnedAddressesAndListenerAttributes: a dualstack internet-facing
// Service pins an Elastic IP and an IPv6 address per subnet, takes
// source-NAT prefixes (AWS picks them), lets its security groups ignore
// PrivateLink traffic, and sets a listener's idle timeout: the load
// balancer is created with them, and a later reconcile writes nothing
// again. An Elastic IP list that does not match the subnets changes
// nothing in AWS and names the annotation.
func TestPinnedAddressesAndListenerAttributes(t *testing.T) {
	cl := newCluster(t, 2)
	ctx := t.Context()
	api := cl.world.Clients.EC2
	vpc, err := api.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(cl.world.VPCID),
		AmazonProvidedIpv6CidrBlock: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	block := netip.MustParsePrefix(aws.ToString(vpc.Ipv6CidrBlockAssociation.Ipv6CidrBlock)).Masked()
	var eips, ipv6 []string
	for i, subnet := range cl.world.PublicSubnets {
		b := block.Addr().As16()
		b[7] = byte(i + 1)
		sub := netip.PrefixFrom(netip.AddrFrom16(b), 64)
		if _, err := api.AssociateSubnetCidrBlock(ctx, &ec2.AssociateSubnetCidrBlockInput{SubnetId: aws.String(subnet),
			Ipv6CidrBlock: aws.String(sub.String())}); err != nil {
			t.Fatal(err)
		}
		b[15] = 0x10
		ipv6 = append(ipv6, netip.AddrFrom16(b).String())
		eip, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		if err != nil {
			t.Fatal(err)
		}
		eips = append(eips, aws.ToString(eip.AllocationId))
	}
	// kelb takes subnets sorted by id, and the Elastic IPs in that order.
	sorted := slices.Clone(cl.world.PublicSubnets)
	slices.Sort(sorted)
	byID := map[string]string{}
	for i, s := range cl.world.PublicSubnets {
		byID[s] = eips[i]
	}
	var ordered []string
	for _, s := range sorted {
		ordered = append(ordered, byID[s])
	}
	cl.startKelb()
	cl.createService("pinned", annotate(service.AnnScheme, service.SchemeInternetFacing),
		annotate(service.AnnIPAddressType, "dualstack"),
		annotate(service.AnnEIPAllocations, strings.Join(ordered, ",")),
		annotate(service.AnnIPv6Addresses, strings.Join(ipv6, ",")),
		annotate(service.AnnEnablePrefixSourceNAT, "on"),
		annotate(service.AnnSourceNATIPv6Prefixes, "auto_assigned,auto_assigned,auto_assigned"),
		annotate(service.AnnInboundPrivateLinkRule, "off"),
		annotate(service.AnnListenerAttributesPrefix+".TCP-80", "tcp.idle_timeout.seconds=400"))
	cl.createService("short", annotate(service.AnnScheme, service.SchemeInternetFacing),
		annotate(service.AnnEIPAllocations, ordered[0]))
	cl.waitReady("pinned")

	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("load balancers: %v %v", lbs, err)
	}
	lb := lbs.LoadBalancers[0]
	var gotEIPs, gotIPv6 []string
	for _, az := range lb.AvailabilityZones {
		for _, a := range az.LoadBalancerAddresses {
			gotEIPs = append(gotEIPs, aws.ToString(a.AllocationId))
			gotIPv6 = append(gotIPv6, aws.ToString(a.IPv6Address))
		}
		if len(az.SourceNatIpv6Prefixes) != 1 {
			t.Errorf("subnet %s: source-NAT prefixes %v", aws.ToString(az.SubnetId), az.SourceNatIpv6Prefixes)
		}
	}
	slices.Sort(gotEIPs)
	slices.Sort(gotIPv6)
	slices.Sort(eips)
	slices.Sort(ipv6)
	if !slices.Equal(gotEIPs, eips) || !slices.Equal(gotIPv6, ipv6) || lb.EnablePrefixForIpv6SourceNat != "on" ||
		aws.ToString(lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic) != "off" {
		t.Errorf("load balancer: EIPs %v, IPv6 %v, source NAT %q, PrivateLink %q", gotEIPs, gotIPv6,
			lb.EnablePrefixForIpv6SourceNat, aws.ToString(lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic))
	}
	ls, err := cl.world.Clients.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil || len(ls.Listeners) != 1 {
		t.Fatalf("listeners: %v %v", ls, err)
	}
	attrs, err := cl.world.Clients.ELBV2.DescribeListenerAttributes(ctx, &elbv2.DescribeListenerAttributesInput{
		ListenerArn: ls.Listeners[0].ListenerArn})
	if err != nil || len(attrs.Attributes) != 1 || aws.ToString(attrs.Attributes[0].Value) != "400" {
		t.Errorf("listener attributes: %v %v", attrs, err)
	}

	c := cl.waitCondition("short", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
	if !strings.Contains(c.Message, service.AnnEIPAllocations) || !strings.Contains(c.Message, "1 values for 3 subnets") {
		t.Errorf("short: %s", c.Message)
	}

	// After a restart (state read from AWS again), an edit of the listener
	// attribute writes that attribute and nothing of what is already so.
	cl.stopKelb()
	t0 := time.Now()
	cl.startKelb()
	cl.update("pinned", func(s *corev1.Service) {
		s.Annotations[service.AnnListenerAttributesPrefix+".TCP-80"] = "tcp.idle_timeout.seconds=500"
	})
	eventually(t, 20*time.Second, "idle timeout 500", func() (bool, string) {
		attrs, err := cl.world.Clients.ELBV2.DescribeListenerAttributes(ctx, &elbv2.DescribeListenerAttributesInput{
			ListenerArn: ls.Listeners[0].ListenerArn})
		if err != nil || len(attrs.Attributes) != 1 {
			return false, fmt.Sprint(attrs, err)
		}
		return aws.ToString(attrs.Attributes[0].Value) == "500", aws.ToString(attrs.Attributes[0].Value)
	})
	for _, call := range cl.mutatingCalls(t0) {
		for _, needless := range []string{"SetSubnets", "SetSecurityGroups", "SetIpAddressType", "CreateLoadBalancer"} {
			if strings.HasPrefix(call, needless+" ") {
				t.Errorf("needless write after convergence: %s", call)
			}
		}
	}
}
