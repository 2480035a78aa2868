package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// The IngressGroup scenario: one explicit group (group.name "bench") of
// cfg.groupMembers member Ingresses sharing one ALB, each member with ip
// targets and one or two paths (/m<i>/a, /m<i>/b) to its own Services,
// measured from zero, through one member added in the middle of the group
// order and removed again, and the group's deletion. It reuses the Ingress
// scenario's backends, waits and deletion in a namespace of its own.
const (
	groupNamespace = "ingressgroup"
	groupName      = "bench"
	groupIPBase    = 128 // pod IPs 10.0.128.1 on, apart from the Ingress scenario's
)

// groupFigures are the scenario's headline numbers, printed at its end.
type groupFigures struct {
	converge, convergeQuiet           time.Duration
	convergeCalls, convergeQuietCalls float64
	lbs                               int // load balancers the members' hostnames name
	add, del, readd                   groupChange
	deletion                          ingressFigures // its delete* fields and leftovers
}

// groupChange is one member added to or removed from the converged group.
type groupChange struct {
	inAWS  time.Duration // until AWS's rules show the change
	calls  int
	moved  int // rules whose priority a SetRulePriorities call set
	counts map[string]int
}

func (b *bench) ingressGroupScenario(ctx context.Context) error {
	n := b.cfg.groupMembers
	header(fmt.Sprintf("IngressGroup: one explicit group of %d members (ip targets, 1 or 2 paths each to its own "+
		"Services of %d pods) from zero", n, ingPodsPer))
	var f groupFigures
	k, err := b.startIngressKelb(ctx, "ingressgroup", groupNamespace, n+1, groupIPBase)
	if err != nil {
		return err
	}
	defer func() { k.stop() }()

	// 1. From zero.
	t0 := time.Now()
	members := names("m", n)
	for i, name := range members {
		if err := b.c.Create(ctx, groupMember(name, i, i%2 == 0)); err != nil {
			return err
		}
	}
	allHosts, err := b.waitIngressHostnames(ctx, groupNamespace, members, b.scaleGroup(5*time.Minute))
	if err != nil {
		return err
	}
	hostCalls := b.calls(t0)
	f.converge = allHosts.Sub(t0)
	f.convergeCalls = float64(len(hostCalls)) / float64(n)
	if f.lbs, err = b.groupHostnames(ctx, members); err != nil {
		return err
	}
	fmt.Printf("  all hostnames after %s (%d distinct hostnames)\n", f.converge.Round(time.Millisecond), f.lbs)
	fmt.Printf("  until the last hostname:\n")
	printCallsPer(hostCalls, n, "member")
	quiet := b.waitQuiet(ctx, t0, 5*time.Second, b.scaleGroup(5*time.Minute))
	f.convergeQuiet = quiet.Sub(t0)
	all := b.calls(t0)
	f.convergeQuietCalls = float64(len(all)) / float64(n)
	fmt.Printf("  until kelb's calls stop (%s after the first member: targets registered, load balancer active):\n",
		f.convergeQuiet.Round(time.Millisecond))
	printCallsPer(all, n, "member")
	fmt.Println()

	// 2. to 4. One member added in the middle of the group order (its name
	// sorts between two members, so the rules after it move), removed (its
	// rules' priorities stay free), and added again (into that gap).
	newcomer := fmt.Sprintf("m%03d-new", n/2)
	listener, err := b.ingressListener(ctx, groupNamespace, members[0])
	if err != nil {
		return err
	}
	if f.add, err = b.groupMemberChange(ctx, listener, newcomer, n, true); err != nil {
		return err
	}
	if f.del, err = b.groupMemberChange(ctx, listener, newcomer, n, false); err != nil {
		return err
	}
	if f.readd, err = b.groupMemberChange(ctx, listener, newcomer, n, true); err != nil {
		return err
	}

	// 5. Delete the group.
	header(fmt.Sprintf("IngressGroup: delete the group's %d members", n+1))
	if err := b.ingressDeleteAll(ctx, groupNamespace, "member", n+1, &f.deletion); err != nil {
		return err
	}
	b.printGroupFigures(n, f)
	return nil
}

// scaleGroup stretches a timeout made for 50 members to the size measured.
func (b *bench) scaleGroup(d time.Duration) time.Duration {
	return d * time.Duration(max(1, b.cfg.groupMembers/50))
}

// groupMember is member i of the bench group: ip targets, the path
// /<name>/a to its first Service and, when two, /<name>/b to its second.
func groupMember(name string, i int, two bool) *networkingv1.Ingress {
	backends := ingBackend(i)
	paths := []networkingv1.HTTPIngressPath{ingPath("/"+name+"/a", backends[0])}
	if two {
		paths = append(paths, ingPath("/"+name+"/b", backends[1]))
	}
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: groupNamespace, Name: name,
			Annotations: map[string]string{"alb.ingress.kubernetes.io/target-type": "ip",
				"alb.ingress.kubernetes.io/group.name": groupName}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String(ingClass), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}}},
	}
}

// groupHostnames counts the distinct hostnames of the named members: one
// when the group has one ALB.
func (b *bench) groupHostnames(ctx context.Context, members []string) (int, error) {
	hosts := map[string]bool{}
	for _, name := range members {
		var ing networkingv1.Ingress
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: groupNamespace, Name: name}, &ing); err != nil {
			return 0, err
		}
		for _, lb := range ing.Status.LoadBalancer.Ingress {
			hosts[lb.Hostname] = true
		}
	}
	return len(hosts), nil
}

// groupMemberChange creates the member (two paths, to the Services of
// backend index i) or deletes it, and returns the time until the group's
// listener shows the change and kelb's calls for it.
func (b *bench) groupMemberChange(ctx context.Context, listener, name string, i int, add bool) (groupChange, error) {
	var ch groupChange
	path := "/" + name + "/a"
	if add {
		header(fmt.Sprintf("IngressGroup: one member (%s, 2 paths to 2 new Services) added to the converged group", name))
	} else {
		header(fmt.Sprintf("IngressGroup: that member (%s) removed from the group", name))
	}
	t0 := time.Now()
	if add {
		if err := b.c.Create(ctx, groupMember(name, i, true)); err != nil {
			return ch, err
		}
	} else {
		err := b.c.Delete(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: groupNamespace, Name: name}})
		if err != nil {
			return ch, err
		}
	}
	limit := b.scaleGroup(2 * time.Minute)
	for {
		has, err := b.ruleHasPath(ctx, listener, path)
		if err != nil {
			return ch, err
		}
		if has == add {
			ch.inAWS = time.Since(t0)
			break
		}
		if time.Since(t0) > limit {
			return ch, fmt.Errorf("the rule of %s's path %s not changed in AWS within %s", name, path, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if add {
		if _, err := b.waitIngressHostnames(ctx, groupNamespace, []string{name}, limit); err != nil {
			return ch, err
		}
	} else if err := b.waitIngressGone(ctx, name, limit); err != nil {
		return ch, err
	}
	b.waitQuiet(ctx, t0, 5*time.Second, limit)
	calls := b.calls(t0)
	ch.calls, ch.counts, ch.moved = len(calls), awsproxy.CountByAction(calls), movedRules(calls)
	var order []string
	for _, c := range calls {
		order = append(order, c.Action)
	}
	fmt.Printf("  in AWS's rules %s after the %s\n", ch.inAWS.Round(time.Millisecond),
		map[bool]string{true: "create", false: "delete"}[add])
	fmt.Printf("  AWS calls: %d (%s)\n", ch.calls, actionList(ch.counts))
	fmt.Printf("  rules whose priority moved: %d\n", ch.moved)
	fmt.Printf("  in order: %s\n", strings.Join(order, ", "))
	printRefused(calls)
	fmt.Println()
	return ch, nil
}

// waitIngressGone waits until the named Ingress of the group's namespace is
// gone (kelb removed its finalizer).
func (b *bench) waitIngressGone(ctx context.Context, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ing networkingv1.Ingress
		err := b.c.Get(ctx, client.ObjectKey{Namespace: groupNamespace, Name: name}, &ing)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ingress %s still there after %s (finalizers %v)", name, timeout, ing.Finalizers)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// movedRules counts the rules whose priority successful SetRulePriorities
// calls set: one RuleArn parameter per pair.
func movedRules(calls []awsproxy.Call) int {
	moved := 0
	for _, c := range calls {
		if c.Action != "SetRulePriorities" || c.ErrorCode != "" {
			continue
		}
		for k := range c.Params {
			if strings.HasSuffix(k, ".RuleArn") {
				moved++
			}
		}
	}
	return moved
}

// printRefused prints the calls AWS refused, by action and error code.
func printRefused(calls []awsproxy.Call) {
	refused := map[string]int{}
	for _, c := range calls {
		if c.ErrorCode != "" {
			refused[c.Action+" "+c.ErrorCode]++
		}
	}
	if len(refused) > 0 {
		fmt.Printf("  refused by AWS: %s\n", actionList(refused))
	}
}

func (b *bench) printGroupFigures(n int, f groupFigures) {
	header(fmt.Sprintf("IngressGroup: one explicit group of %d members", n))
	ms := func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
	change := func(c groupChange) string {
		return fmt.Sprintf("%s (%d calls, %d writes, %d rules moved)", ms(c.inAWS), c.calls, writes(c.counts), c.moved)
	}
	fmt.Printf("  %-46s | %s\n", "", "kelb")
	fmt.Printf("  %-46s | %s (%.2f), %d ALB\n", "converge: all hostnames (calls per member)", ms(f.converge),
		f.convergeCalls, f.lbs)
	fmt.Printf("  %-46s | %s (%.2f)\n", "converge: until calls stop (calls per member)", ms(f.convergeQuiet),
		f.convergeQuietCalls)
	fmt.Printf("  %-46s | %s\n", "add a member: its rules in AWS", change(f.add))
	fmt.Printf("  %-46s | %s\n", "remove it: its rules gone from AWS", change(f.del))
	fmt.Printf("  %-46s | %s\n", "add it again: its rules in AWS", change(f.readd))
	fmt.Printf("  %-46s | %s (%.2f), %d left\n", "delete: ALB and TGs gone (calls per member)",
		ms(f.deletion.deleteAWS), f.deletion.deleteCalls, f.deletion.leftovers)
	fmt.Println()
}

// writes counts the mutating actions' calls.
func writes(counts map[string]int) int {
	w := 0
	for a, k := range counts {
		if (awsproxy.Call{Action: a}).Mutating() {
			w += k
		}
	}
	return w
}
