package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

// What the Ingress scenarios read from AWS with the bench's own
// credentials (not counted): listeners and rules, what is left of the
// Ingress stacks, and their deletion.

func (b *bench) ingressListener(ctx context.Context, ns, name string) (string, error) {
	var ing networkingv1.Ingress
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing); err != nil {
		return "", err
	}
	if len(ing.Status.LoadBalancer.Ingress) == 0 {
		return "", fmt.Errorf("ingress %s has no hostname", name)
	}
	host := ing.Status.LoadBalancer.Ingress[0].Hostname
	api := b.world.Clients.ELBV2
	p := elbv2.NewDescribeLoadBalancersPaginator(api, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, lb := range page.LoadBalancers {
			if aws.ToString(lb.DNSName) != host {
				continue
			}
			ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
			if err != nil {
				return "", err
			}
			if len(ls.Listeners) != 1 {
				return "", fmt.Errorf("%s has %d listeners, want 1", aws.ToString(lb.LoadBalancerName), len(ls.Listeners))
			}
			return aws.ToString(ls.Listeners[0].ListenerArn), nil
		}
	}
	return "", fmt.Errorf("no load balancer with the hostname %s of ingress %s", host, name)
}

func (b *bench) ruleHasPath(ctx context.Context, listener, path string) (bool, error) {
	rules, err := b.world.Clients.ELBV2.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(listener)})
	if err != nil {
		return false, err
	}
	for _, r := range rules.Rules {
		for _, c := range r.Conditions {
			if c.PathPatternConfig != nil && slices.Contains(c.PathPatternConfig.Values, path) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (b *bench) ingressDeleteAll(ctx context.Context, ns, unit string, n int, f *ingressFigures) error {
	if unit == "Ingress" {
		header(fmt.Sprintf("Ingress: delete %d Ingresses", n))
	}
	t0 := time.Now()
	if err := b.c.DeleteAllOf(ctx, &networkingv1.Ingress{}, client.InNamespace(ns)); err != nil {
		return err
	}
	deadline := t0.Add(b.scaleIngress(5 * time.Minute))
	objectsGone, awsGone := time.Duration(0), time.Duration(0)
	for objectsGone == 0 || awsGone == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("not all gone after %s (objects gone after %s, AWS after %s)",
				time.Since(t0).Round(time.Second), objectsGone, awsGone)
		}
		if objectsGone == 0 {
			var list networkingv1.IngressList
			if err := b.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
				return err
			}
			if len(list.Items) == 0 {
				objectsGone = time.Since(t0)
			}
		}
		if awsGone == 0 {
			lbs, tgs, err := b.ingressELB(ctx)
			if err != nil {
				return err
			}
			if lbs+tgs == 0 {
				awsGone = time.Since(t0)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	f.deleteObjects, f.deleteAWS = objectsGone, awsGone
	fmt.Printf("  %s objects gone after %s; every load balancer and target group gone after %s\n", unit,
		objectsGone.Round(time.Millisecond), awsGone.Round(time.Millisecond))
	b.waitQuiet(ctx, t0, 5*time.Second, b.scaleIngress(2*time.Minute))
	calls := b.calls(t0)
	printCallsPer(calls, n, unit)
	f.deleteCalls = float64(len(calls)) / float64(n)
	lbs, tgs, err := b.ingressELB(ctx)
	if err != nil {
		return err
	}
	sgs, backendSG, err := b.ingressSecurityGroups(ctx)
	if err != nil {
		return err
	}
	var bindings v1beta1.TargetGroupBindingList
	if err := b.c.List(ctx, &bindings, client.InNamespace(ns)); err != nil {
		return err
	}
	f.leftovers = lbs + tgs + sgs + len(bindings.Items)
	fmt.Printf("  left: %d load balancers, %d target groups, %d security groups of Ingress stacks, %d TargetGroupBindings "+
		"(the shared backend security group: %d, kept or deleted as LBC does)\n\n",
		lbs, tgs, sgs, len(bindings.Items), backendSG)
	return nil
}

func (b *bench) ingressELB(ctx context.Context) (lbs, tgs int, err error) {
	p := tagging.NewGetResourcesPaginator(b.world.Clients.Tagging, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup"},
		TagFilters: []taggingtypes.TagFilter{{Key: aws.String(model.TagCluster), Values: []string{b.world.Cluster}},
			{Key: aws.String(model.TagIngressStack)}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, err
		}
		for _, r := range page.ResourceTagMappingList {
			if strings.Contains(aws.ToString(r.ResourceARN), ":targetgroup/") {
				tgs++
			} else {
				lbs++
			}
		}
	}
	return lbs, tgs, nil
}

func (b *bench) ingressSecurityGroups(ctx context.Context) (stacks, backend int, err error) {
	out, err := b.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagCluster), Values: []string{b.world.Cluster}}}})
	if err != nil {
		return 0, 0, err
	}
	for _, sg := range out.SecurityGroups {
		for _, t := range sg.Tags {
			switch {
			case aws.ToString(t.Key) == model.TagIngressStack:
				stacks++
			case aws.ToString(t.Key) == model.TagResource && aws.ToString(t.Value) == model.ResourceBackendSG:
				backend++
			}
		}
	}
	return stacks, backend, nil
}
