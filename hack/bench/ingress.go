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
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
)

// The Ingress scenario: cfg.ingresses Ingresses of LBC's class, each with
// ip targets and two paths to two backend Services of two running pods
// each (EndpointSlices naming the pods), measured from zero, through one
// path added and removed, a restart with one new Ingress, and deletion.
const (
	ingNamespace = "ingress"
	ingClass     = "alb"
	ingPodsPer   = 2 // pods behind each backend Service
)

// LBC v3.5's figures and kelb's aims for the Ingress scenario, from the
// issue (LBC converged 20 Ingresses with an ALB each).
const (
	lbcIngressConverge = 23.5
	lbcIngressAddPath  = 19
	lbcIngressDelPath  = 16
	lbcIngressDelete   = 9.7
	aimIngressConverge = 8
	aimIngressPath     = 6
)

// ingressFigures are the scenario's headline numbers, printed at its end.
type ingressFigures struct {
	converge, convergeQuiet           time.Duration
	convergeCalls, convergeQuietCalls float64
	addPath, delPath                  time.Duration
	addPathCalls, delPathCalls        int
	restartHostname                   time.Duration
	restartReads                      float64
	deleteObjects, deleteAWS          time.Duration
	deleteCalls                       float64
	leftovers                         int
}

func (b *bench) ingressScenario(ctx context.Context) error {
	n := b.cfg.ingresses
	header(fmt.Sprintf("Ingress: %d Ingresses (ip targets, 2 paths to 2 Services of %d pods each) from zero", n, ingPodsPer))
	if kelbMain != nil {
		kelbMain.stop() // never two kelbs at once
	}
	var f ingressFigures
	if err := b.ingressBackends(ctx, ingNamespace, n+1, 64); err != nil {
		return err
	}
	k, err := b.startKelb("ingress", "--enable-ingress")
	if err != nil {
		return err
	}
	defer func() { k.stop() }()
	// Let kelb start, sync its caches and finish with what earlier
	// scenarios left, so that only the Ingresses' calls are counted.
	start := time.Now()
	time.Sleep(2 * time.Second)
	b.waitQuiet(ctx, start, 3*time.Second, time.Minute)

	// 1. From zero.
	t0 := time.Now()
	ings := names("ing", n)
	for _, name := range ings {
		if err := b.c.Create(ctx, benchIngress(name)); err != nil {
			return err
		}
	}
	allHosts, err := b.waitIngressHostnames(ctx, ingNamespace, ings, b.scaleIngress(5*time.Minute))
	if err != nil {
		return err
	}
	hostCalls := b.calls(t0)
	f.converge = allHosts.Sub(t0)
	f.convergeCalls = float64(len(hostCalls)) / float64(n)
	fmt.Printf("  all hostnames after %s\n", f.converge.Round(time.Millisecond))
	fmt.Printf("  until the last hostname:\n")
	printCallsPer(hostCalls, n, "Ingress")
	quiet := b.waitQuiet(ctx, t0, 5*time.Second, b.scaleIngress(5*time.Minute))
	f.convergeQuiet = quiet.Sub(t0)
	all := b.calls(t0)
	f.convergeQuietCalls = float64(len(all)) / float64(n)
	fmt.Printf("  until kelb's calls stop (%s after the first Ingress: targets registered, load balancers active):\n",
		f.convergeQuiet.Round(time.Millisecond))
	printCallsPer(all, n, "Ingress")
	fmt.Println()

	// 2. One path added to one converged Ingress, then removed.
	if f.addPath, f.addPathCalls, err = b.ingressPathChange(ctx, ings[0], true); err != nil {
		return err
	}
	if f.delPath, f.delPathCalls, err = b.ingressPathChange(ctx, ings[0], false); err != nil {
		return err
	}

	// 3. Restart with the converged Ingresses; one new Ingress created while
	// kelb is down. Its name sorts after every other.
	const newcomer = "zz-newcomer"
	header(fmt.Sprintf("Ingress: restart with %d converged Ingresses, one new Ingress created while kelb is down", n))
	k.stop()
	if err := b.c.Create(ctx, benchIngressNamed(newcomer, ingBackend(n))); err != nil {
		return err
	}
	t0 = time.Now()
	if k, err = b.startKelb("ingress-restart", "--enable-ingress"); err != nil {
		return err
	}
	got, err := b.waitIngressHostnames(ctx, ingNamespace, []string{newcomer}, b.scaleIngress(2*time.Minute))
	if err != nil {
		return err
	}
	f.restartHostname = got.Sub(t0)
	fmt.Printf("  new Ingress's hostname %s after kelb started\n", f.restartHostname.Round(time.Millisecond))
	quiet = b.waitQuiet(ctx, t0, 5*time.Second, b.scaleIngress(2*time.Minute))
	fmt.Printf("  the restart's calls ended %s after kelb started\n", quiet.Sub(t0).Round(time.Second))
	calls := b.calls(t0)
	var reads []awsproxy.Call
	writes := map[string]int{}
	for _, c := range calls {
		if c.Mutating() {
			writes[c.Action]++
		} else {
			reads = append(reads, c)
		}
	}
	fmt.Printf("  the new Ingress's writes: %s\n", actionList(writes))
	fmt.Printf("  restart's reads (the new Ingress's included), per existing Ingress:\n")
	printCallsPer(reads, n, "Ingress")
	f.restartReads = float64(len(reads)) / float64(n)
	fmt.Println()

	// 4. Delete them all.
	if err := b.ingressDeleteAll(ctx, ingNamespace, "Ingress", n+1, &f); err != nil {
		return err
	}
	b.printIngressFigures(n, f)
	return nil
}

// scaleIngress stretches a timeout made for 50 Ingresses to the size measured.
func (b *bench) scaleIngress(d time.Duration) time.Duration {
	return d * time.Duration(max(1, b.cfg.ingresses/50))
}

// ingBackend names the i-th Ingress's backend Services.
func ingBackend(i int) [2]string {
	return [2]string{fmt.Sprintf("be%03d-a", i), fmt.Sprintf("be%03d-b", i)}
}

// ingressBackends creates the namespace, the IngressClass and, for each of
// count Ingresses, two ClusterIP Services with running pods and their
// EndpointSlices, before kelb starts. Pod IPs start at 10.0.<ipBase>.1, so
// that scenarios in different namespaces never share a target.
func (b *bench) ingressBackends(ctx context.Context, ns string, count, ipBase int) error {
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	class := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: ingClass},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}
	if err := b.c.Create(ctx, class); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	nodes, err := b.benchNodes(ctx)
	if err != nil {
		return err
	}
	pod := 0
	for i := range count {
		for _, name := range ingBackend(i) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
					Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP,
						TargetPort: intstr.FromString("http")}}}}
			if err := b.c.Create(ctx, svc); err != nil {
				return err
			}
			var pods []*corev1.Pod
			for j := range ingPodsPer {
				node := b.world.Nodes[pod%len(b.world.Nodes)]
				p := benchPod(ns, name, j, node)
				if err := b.c.Create(ctx, p); err != nil {
					return err
				}
				p.Status = benchPodStatus(nodes[node].ip, fmt.Sprintf("10.0.%d.%d", ipBase+pod/250, 1+pod%250))
				if err := b.c.Status().Update(ctx, p); err != nil {
					return err
				}
				pods = append(pods, p)
				pod++
			}
			for _, s := range benchSlices(svc, pods, nodes) {
				if err := b.c.Create(ctx, s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func benchIngress(name string) *networkingv1.Ingress {
	var i int
	_, _ = fmt.Sscanf(name, "ing%d", &i)
	return benchIngressNamed(name, ingBackend(i))
}

// benchIngressNamed is an Ingress of LBC's class with ip targets and two
// paths, /a and /b, to the two backend Services.
func benchIngressNamed(name string, backends [2]string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ingNamespace, Name: name,
			Annotations: map[string]string{"alb.ingress.kubernetes.io/target-type": "ip"}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String(ingClass), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{ingPath("/a", backends[0]), ingPath("/b", backends[1])}}}}}},
	}
}

func ingPath(path, service string) networkingv1.HTTPIngressPath {
	prefix := networkingv1.PathTypePrefix
	return networkingv1.HTTPIngressPath{Path: path, PathType: &prefix, Backend: networkingv1.IngressBackend{
		Service: &networkingv1.IngressServiceBackend{Name: service, Port: networkingv1.ServiceBackendPort{Number: 80}}}}
}

// waitIngressHostnames waits until every named Ingress has a hostname and
// returns when the last one got it.
func (b *bench) waitIngressHostnames(ctx context.Context, ns string, names []string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for {
		var list networkingv1.IngressList
		if err := b.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return time.Time{}, err
		}
		var left []string
		for _, i := range list.Items {
			if want[i.Name] && (len(i.Status.LoadBalancer.Ingress) == 0 || i.Status.LoadBalancer.Ingress[0].Hostname == "") {
				left = append(left, i.Name)
			}
		}
		if len(left) == 0 {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			slices.Sort(left)
			return time.Time{}, fmt.Errorf("%d Ingresses without a hostname after %s: %v", len(left), timeout,
				left[:min(len(left), 10)])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ingressPathChange adds the path /c (to the Ingress's first backend, so
// only a rule changes) or removes it again, and returns the time until
// AWS shows the change and kelb's calls for it.
func (b *bench) ingressPathChange(ctx context.Context, name string, add bool) (time.Duration, int, error) {
	verb := "added to"
	if !add {
		verb = "removed from"
	}
	header(fmt.Sprintf("Ingress: one path (/c, to an existing backend) %s one converged Ingress", verb))
	listener, err := b.ingressListener(ctx, ingNamespace, name)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	for attempt := 0; ; attempt++ {
		var ing networkingv1.Ingress
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: ingNamespace, Name: name}, &ing); err != nil {
			return 0, 0, err
		}
		paths := &ing.Spec.Rules[0].HTTP.Paths
		if add {
			*paths = append(*paths, ingPath("/c", (*paths)[0].Backend.Service.Name))
		} else {
			*paths = slices.DeleteFunc(*paths, func(p networkingv1.HTTPIngressPath) bool { return p.Path == "/c" })
		}
		err := b.c.Update(ctx, &ing)
		if err == nil {
			break
		}
		if !apierrors.IsConflict(err) || attempt > 10 {
			return 0, 0, err
		}
	}
	var seen time.Duration
	for {
		has, err := b.ruleHasPath(ctx, listener, "/c")
		if err != nil {
			return 0, 0, err
		}
		if has == add {
			seen = time.Since(t0)
			break
		}
		if time.Since(t0) > time.Minute {
			return 0, 0, fmt.Errorf("the path /c not %s AWS's rules within a minute", verb)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.waitQuiet(ctx, t0, 5*time.Second, time.Minute)
	calls := b.calls(t0)
	var order []string
	for _, c := range calls {
		order = append(order, c.Action)
	}
	fmt.Printf("  in AWS's rules %s after the edit\n", seen.Round(time.Millisecond))
	fmt.Printf("  AWS calls: %d (%s)\n", len(calls), actionList(awsproxy.CountByAction(calls)))
	fmt.Printf("  in order: %s\n\n", strings.Join(order, ", "))
	return seen, len(calls), nil
}

// ingressListener finds the listener of the named Ingress's load balancer
// by the hostname in its status.
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

// ruleHasPath reports whether a rule of the listener matches the path.
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

// ingressDeleteAll deletes every Ingress of the namespace and waits until
// the objects and every load balancer and target group of Ingress stacks
// are gone; calls are counted per unit (an Ingress, a group member).
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

// ingressELB counts the load balancers and target groups of the cluster's
// Ingress stacks (tagged ingress.k8s.aws/stack).
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

// ingressSecurityGroups counts the security groups of the cluster's
// Ingress stacks and the shared backend group.
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

// actionList is "Action n, ..." in the order of the counts, largest first.
func actionList(counts map[string]int) string {
	actions := awsproxy.Actions(counts)
	slices.SortStableFunc(actions, func(x, y string) int { return counts[y] - counts[x] })
	var parts []string
	for _, a := range actions {
		parts = append(parts, fmt.Sprintf("%s %d", a, counts[a]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (b *bench) printIngressFigures(n int, f ingressFigures) {
	header(fmt.Sprintf("Ingress: %d Ingresses, kelb beside LBC v3.5 (from the issue) and kelb's aim", n))
	ms := func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
	fmt.Printf("  %-44s | %-34s | %-8s | %s\n", "", "kelb", "LBC v3.5", "aim")
	fmt.Printf("  %-44s | %-34s | %-8.1f | ~%d\n", "converge: all hostnames (calls per Ingress)",
		fmt.Sprintf("%s (%.2f)", ms(f.converge), f.convergeCalls), lbcIngressConverge, aimIngressConverge)
	fmt.Printf("  %-44s | %-34s | %-8s |\n", "converge: until calls stop (calls per Ingress)",
		fmt.Sprintf("%s (%.2f)", ms(f.convergeQuiet), f.convergeQuietCalls), "")
	fmt.Printf("  %-44s | %-34s | %-8d | ~%d\n", "add a path: in AWS (calls)",
		fmt.Sprintf("%s (%d)", ms(f.addPath), f.addPathCalls), lbcIngressAddPath, aimIngressPath)
	fmt.Printf("  %-44s | %-34s | %-8d | ~%d\n", "remove it: gone from AWS (calls)",
		fmt.Sprintf("%s (%d)", ms(f.delPath), f.delPathCalls), lbcIngressDelPath, aimIngressPath)
	fmt.Printf("  %-44s | %-34s | %-8s |\n", "restart: new hostname (reads per existing)",
		fmt.Sprintf("%s (%.2f)", ms(f.restartHostname), f.restartReads), "")
	fmt.Printf("  %-44s | %-34s | %-8.1f |\n", "delete: ALBs and TGs gone (calls per Ingress)",
		fmt.Sprintf("%s (%.2f), %d left", ms(f.deleteAWS), f.deleteCalls, f.leftovers), lbcIngressDelete)
	fmt.Println()
}
