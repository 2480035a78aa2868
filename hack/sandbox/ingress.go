package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/testenv"
)

// waitIngresses waits until every Ingress has its hostname and each target
// group of its load balancer has targets (the bindings register them after
// the load balancer exists), printing each hostname as it comes.
func waitIngresses(ctx context.Context, c client.Client, w *testenv.World, ingresses []client.ObjectKey,
	timeout time.Duration) error {
	seen := map[client.ObjectKey]bool{}
	return pollUntil(ctx, timeout, "not every Ingress had its load balancer and targets", func() (bool, error) {
		done := true
		for _, key := range ingresses {
			var ing networkingv1.Ingress
			if err := c.Get(ctx, key, &ing); err != nil {
				return false, err
			}
			host := hostnameOf(&ing)
			if host != "" && !seen[key] {
				fmt.Printf("   Ingress %s: %s\n", key, host)
				seen[key] = true
			}
			ok, err := registered(ctx, w.Clients.ELBV2, host)
			if err != nil {
				return false, err
			}
			done = done && ok
		}
		return done, nil
	})
}

func hostnameOf(ing *networkingv1.Ingress) string {
	if len(ing.Status.LoadBalancer.Ingress) == 0 {
		return ""
	}
	return ing.Status.LoadBalancer.Ingress[0].Hostname
}

// registered reports whether the load balancer of that DNS name exists and
// every one of its target groups has a target.
func registered(ctx context.Context, elb *elbv2.Client, dns string) (bool, error) {
	if dns == "" {
		return false, nil
	}
	byDNS, err := loadBalancersByDNS(ctx, elb)
	if err != nil {
		return false, err
	}
	lb, ok := byDNS[dns]
	if !ok {
		return false, nil
	}
	tgs, err := elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil {
		return false, err
	}
	for _, tg := range tgs.TargetGroups {
		h, err := elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return false, err
		}
		if len(h.TargetHealthDescriptions) == 0 {
			return false, nil
		}
	}
	return len(tgs.TargetGroups) > 0, nil
}

// reportIngresses prints, per Ingress, the application load balancer kelb
// made: its listeners, each listener's rules (conditions -> action, in
// priority order), its target groups with their targets and its security
// groups. An Ingress without a load balancer shows its events instead: the
// Ingress API has no conditions, so events are where kelb says why.
func reportIngresses(ctx context.Context, c client.Client, w *testenv.World, ingresses []client.ObjectKey) error {
	elb, ec := w.Clients.ELBV2, w.Clients.EC2
	byDNS, err := loadBalancersByDNS(ctx, elb)
	if err != nil {
		return err
	}
	for _, key := range ingresses {
		var ing networkingv1.Ingress
		if err := c.Get(ctx, key, &ing); err != nil {
			return err
		}
		fmt.Printf("Ingress %s (class %s)\n", key, aws.ToString(ing.Spec.IngressClassName))
		host := hostnameOf(&ing)
		if host == "" {
			fmt.Println("  (no load balancer)")
			if err := printEvents(ctx, c, &ing); err != nil {
				return err
			}
			continue
		}
		lb, ok := byDNS[host]
		if !ok {
			fmt.Printf("  hostname %s (load balancer not found)\n", host)
			continue
		}
		printLoadBalancer(lb)
		tgs, err := elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return err
		}
		tgNames := map[string]string{}
		for _, tg := range tgs.TargetGroups {
			tgNames[aws.ToString(tg.TargetGroupArn)] = aws.ToString(tg.TargetGroupName)
		}
		ls, err := elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return err
		}
		for _, l := range ls.Listeners {
			fmt.Printf("  listener %d/%s\n", aws.ToInt32(l.Port), l.Protocol)
			rules, err := elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
			if err != nil {
				return err
			}
			for _, r := range sortedRules(rules.Rules) {
				fmt.Printf("    rule %-7s %s -> %s\n", aws.ToString(r.Priority), describeConditions(r.Conditions),
					describeActions(r.Actions, tgNames))
			}
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

// sortedRules puts rules in the order the listener evaluates them: by
// priority, the default rule last.
func sortedRules(rules []elbtypes.Rule) []elbtypes.Rule {
	out := append([]elbtypes.Rule(nil), rules...)
	rank := func(r elbtypes.Rule) int {
		if aws.ToBool(r.IsDefault) {
			return 1 << 30
		}
		var n int
		_, _ = fmt.Sscan(aws.ToString(r.Priority), &n)
		return n
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

func describeConditions(conds []elbtypes.RuleCondition) string {
	if len(conds) == 0 {
		return "(any request)"
	}
	var out []string
	for _, c := range conds {
		values := c.Values
		switch {
		case c.PathPatternConfig != nil:
			values = c.PathPatternConfig.Values
		case c.HostHeaderConfig != nil:
			values = c.HostHeaderConfig.Values
		case c.HttpRequestMethodConfig != nil:
			values = c.HttpRequestMethodConfig.Values
		case c.SourceIpConfig != nil:
			values = c.SourceIpConfig.Values
		case c.HttpHeaderConfig != nil:
			values = []string{aws.ToString(c.HttpHeaderConfig.HttpHeaderName) + ":" +
				strings.Join(c.HttpHeaderConfig.Values, "|")}
		case c.QueryStringConfig != nil:
			for _, kv := range c.QueryStringConfig.Values {
				values = append(values, aws.ToString(kv.Key)+"="+aws.ToString(kv.Value))
			}
		}
		out = append(out, aws.ToString(c.Field)+" "+strings.Join(values, "|"))
	}
	return strings.Join(out, " and ")
}

func describeActions(actions []elbtypes.Action, tgNames map[string]string) string {
	var out []string
	for _, a := range actions {
		switch a.Type {
		case elbtypes.ActionTypeEnumForward:
			var tgs []string
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				for _, t := range a.ForwardConfig.TargetGroups {
					name := tgNames[aws.ToString(t.TargetGroupArn)]
					if len(a.ForwardConfig.TargetGroups) > 1 {
						name += fmt.Sprintf(" (weight %d)", aws.ToInt32(t.Weight))
					}
					tgs = append(tgs, name)
				}
			} else {
				tgs = append(tgs, tgNames[aws.ToString(a.TargetGroupArn)])
			}
			out = append(out, "forward to "+strings.Join(tgs, ", "))
		case elbtypes.ActionTypeEnumFixedResponse:
			if f := a.FixedResponseConfig; f != nil {
				out = append(out, "fixed response "+aws.ToString(f.StatusCode))
				continue
			}
			out = append(out, string(a.Type))
		case elbtypes.ActionTypeEnumRedirect:
			if r := a.RedirectConfig; r != nil {
				out = append(out, fmt.Sprintf("redirect %s to %s:%s", r.StatusCode, aws.ToString(r.Protocol),
					aws.ToString(r.Port)))
				continue
			}
			out = append(out, string(a.Type))
		default:
			out = append(out, string(a.Type))
		}
	}
	return strings.Join(out, ", then ")
}

// printEvents prints the object's events, oldest first.
func printEvents(ctx context.Context, c client.Client, obj client.Object) error {
	var events eventsv1.EventList
	if err := c.List(ctx, &events, client.InNamespace(obj.GetNamespace())); err != nil {
		return err
	}
	sort.SliceStable(events.Items, func(i, j int) bool {
		return events.Items[i].EventTime.Before(&events.Items[j].EventTime)
	})
	for _, e := range events.Items {
		if e.Regarding.UID == obj.GetUID() {
			fmt.Printf("  event %s %s: %s\n", e.Type, e.Reason, e.Note)
		}
	}
	return nil
}
