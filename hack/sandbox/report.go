package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/testenv"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// report prints, per Service, what kelb made in AWS.
func report(ctx context.Context, c client.Client, w *testenv.World, services []client.ObjectKey) error {
	elb, ec := w.Clients.ELBV2, w.Clients.EC2
	byDNS, err := loadBalancersByDNS(ctx, elb)
	if err != nil {
		return err
	}
	fmt.Println()
	for _, key := range services {
		var s corev1.Service
		if err := c.Get(ctx, key, &s); err != nil {
			return err
		}
		fmt.Printf("Service %s\n", key)
		for _, cond := range s.Status.Conditions {
			fmt.Printf("  condition %s=%s %s %s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
		}
		if len(s.Status.LoadBalancer.Ingress) == 0 {
			fmt.Println("  (no load balancer)")
			continue
		}
		lb, ok := byDNS[s.Status.LoadBalancer.Ingress[0].Hostname]
		if !ok {
			fmt.Printf("  hostname %s (load balancer not found)\n", s.Status.LoadBalancer.Ingress[0].Hostname)
			continue
		}
		printLoadBalancer(lb)
		ls, err := elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return err
		}
		tgNames := map[string]string{}
		tgs, err := elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return err
		}
		for _, tg := range tgs.TargetGroups {
			tgNames[aws.ToString(tg.TargetGroupArn)] = aws.ToString(tg.TargetGroupName)
		}
		for _, l := range ls.Listeners {
			fwd := ""
			for _, a := range l.DefaultActions {
				fwd = tgNames[aws.ToString(a.TargetGroupArn)]
			}
			fmt.Printf("  listener %d/%s -> %s\n", aws.ToInt32(l.Port), l.Protocol, fwd)
		}
		if err := printTargetGroups(ctx, elb, tgs.TargetGroups); err != nil {
			return err
		}
		if err := printGroups(ctx, ec, "  security group", lb.SecurityGroups); err != nil {
			return err
		}
	}
	return nil
}

func loadBalancersByDNS(ctx context.Context, elb *elbv2.Client) (map[string]elbtypes.LoadBalancer, error) {
	lbs, err := elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		return nil, err
	}
	byDNS := map[string]elbtypes.LoadBalancer{}
	for _, lb := range lbs.LoadBalancers {
		byDNS[aws.ToString(lb.DNSName)] = lb
	}
	return byDNS, nil
}

func printLoadBalancer(lb elbtypes.LoadBalancer) {
	fmt.Printf("  load balancer %s  %s %s %s\n    dns %s\n    arn %s\n", aws.ToString(lb.LoadBalancerName), lb.Type,
		lb.Scheme, stateOf(lb), aws.ToString(lb.DNSName), aws.ToString(lb.LoadBalancerArn))
}

// printTargetGroups prints each target group with its registered targets
// (address or instance, port).
func printTargetGroups(ctx context.Context, elb *elbv2.Client, tgs []elbtypes.TargetGroup) error {
	for _, tg := range tgs {
		h, err := elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return err
		}
		var targets []string
		for _, d := range h.TargetHealthDescriptions {
			targets = append(targets, fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)))
		}
		hc := aws.ToString(tg.HealthCheckPort)
		if tg.HealthCheckPath != nil {
			hc += " " + aws.ToString(tg.HealthCheckPath)
		}
		fmt.Printf("  target group %s  %s/%d %s, health check %s %s\n    targets %s\n", aws.ToString(tg.TargetGroupName),
			tg.Protocol, aws.ToInt32(tg.Port), tg.TargetType, tg.HealthCheckProtocol, hc, strings.Join(targets, " "))
	}
	return nil
}

func stateOf(lb elbtypes.LoadBalancer) string {
	if lb.State == nil {
		return ""
	}
	return string(lb.State.Code)
}

func printGroups(ctx context.Context, ec *ec2.Client, label string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	out, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		return err
	}
	for _, sg := range out.SecurityGroups {
		fmt.Printf("%s %s (%s)\n", label, aws.ToString(sg.GroupId), aws.ToString(sg.GroupName))
		for _, r := range describeRules(sg.IpPermissions) {
			fmt.Printf("    allow %s\n", r)
		}
	}
	return nil
}

func describeRules(perms []ec2types.IpPermission) []string {
	var out []string
	for _, p := range perms {
		ports := fmt.Sprintf("%s %d-%d", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
		for _, r := range p.IpRanges {
			out = append(out, fmt.Sprintf("%s from %s", ports, aws.ToString(r.CidrIp)))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, fmt.Sprintf("%s from %s", ports, aws.ToString(r.CidrIpv6)))
		}
		for _, g := range p.UserIdGroupPairs {
			out = append(out, fmt.Sprintf("%s from %s (%s)", ports, aws.ToString(g.GroupId), aws.ToString(g.Description)))
		}
	}
	return out
}
