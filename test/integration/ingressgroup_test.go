package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// TestIngressGroup: three Ingresses of two namespaces share one load
// balancer (group "shared"). One member's bad annotation and another's
// conflicting scheme leave them out while the healthy member's new path
// reaches AWS, their rules (and a listener only one of them uses) kept in
// place; a member that leaves the group
// moves to its own load balancer and leaves nothing in the group's;
// deleting the members deletes the group's load balancer, and deleting
// two stacks at once leaves no shared backend security group.
func TestIngressGroup(t *testing.T) {
	cl := newCluster(t, 1)
	cl.opts.EnableIngress, cl.opts.IngressClass = true, "alb"
	cl.startKelb()
	ctx := t.Context()
	if err := cl.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team2"}}); err != nil {
		t.Fatal(err)
	}
	if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
		t.Fatal(err)
	}
	// One Service per member, told apart by node port in the rules.
	ports := map[string]int32{"default/a": 30971, "team2/b": 30972, "default/c": 30973}
	prefix := networkingv1.PathTypePrefix
	path := func(svc, p string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}}
	}
	for _, key := range []string{"default/a", "team2/b", "default/c"} {
		ns, name, _ := strings.Cut(key, "/")
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": name},
				Ports: []corev1.ServicePort{{Port: 80, NodePort: ports[key], TargetPort: intstr.FromInt32(8080)}}}}
		if err := cl.c.Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
		ann := map[string]string{ingress.AnnGroupName: "shared"}
		if key == "default/a" {
			// The first member (oldest; by namespace/name within a
			// second) sets the scheme.
			ann[ingress.AnnScheme] = "internal"
		}
		ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: ann},
			Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{path(name, "/"+name)}}}}}}}
		if err := cl.c.Create(ctx, ing); err != nil {
			t.Fatal(err)
		}
	}
	api := cl.world.Clients.ELBV2
	lbOf := func(prefix string) string {
		for name, arn := range cl.loadBalancers() {
			if strings.HasPrefix(name, prefix) {
				return arn
			}
		}
		return ""
	}
	// routes are the load balancer's rules as "<priority> <path> -> <node
	// port>", and its target groups' node ports.
	routes := func(lbARN string) ([]string, error) {
		ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
		if err != nil {
			return nil, err
		}
		tgs, err := api.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
		if err != nil {
			return nil, err
		}
		port := map[string]int32{}
		var out []string
		for _, tg := range tgs.TargetGroups {
			port[aws.ToString(tg.TargetGroupArn)] = aws.ToInt32(tg.Port)
			if slices.Contains(tg.LoadBalancerArns, lbARN) {
				out = append(out, fmt.Sprintf("tg %d", aws.ToInt32(tg.Port)))
			}
		}
		slices.Sort(out)
		for _, l := range ls.Listeners {
			rules, err := api.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
			if err != nil {
				return nil, err
			}
			for _, r := range rules.Rules {
				if aws.ToBool(r.IsDefault) {
					continue
				}
				out = append(out, fmt.Sprintf("%s %s -> %d", aws.ToString(r.Priority),
					r.Conditions[0].PathPatternConfig.Values[0], port[aws.ToString(r.Actions[0].ForwardConfig.TargetGroups[0].TargetGroupArn)]))
			}
		}
		return out, nil
	}
	var groupLB string
	converge := func(step string, want []string) {
		t.Helper()
		eventually(t, 90*time.Second, step, func() (bool, string) {
			if groupLB == "" {
				if groupLB = lbOf("k8s-shared-"); groupLB == "" {
					return false, fmt.Sprint(cl.loadBalancers())
				}
			}
			got, err := routes(groupLB)
			if err != nil {
				return false, err.Error()
			}
			d := cmp.Diff(want, got)
			return d == "", d
		})
	}
	// Rules in namespace/name order: default/a, default/c, team2/b.
	converge("the group's load balancer", []string{"tg 30971", "tg 30972", "tg 30973",
		"1 /a -> 30971", "2 /c -> 30973", "3 /b -> 30972"})

	edit := func(key string, mutate func(*networkingv1.Ingress)) {
		t.Helper()
		ns, name, _ := strings.Cut(key, "/")
		for i := 0; ; i++ {
			var ing networkingv1.Ingress
			if err := cl.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing); err != nil {
				t.Fatal(err)
			}
			mutate(&ing)
			err := cl.c.Update(ctx, &ing)
			if err == nil {
				return
			}
			if i > 5 {
				t.Fatal(err)
			}
		}
	}
	warnings := func(key string) []string {
		ns, name, _ := strings.Cut(key, "/")
		var list eventsv1.EventList
		if err := cl.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return []string{err.Error()}
		}
		var out []string
		for _, ev := range list.Items {
			if ev.Regarding.Kind == "Ingress" && ev.Regarding.Name == name && ev.Type == corev1.EventTypeWarning {
				out = append(out, ev.Reason+": "+ev.Note)
			}
		}
		return out
	}
	// b alone listens on 8080 too: a listener only its rules use.
	edit("team2/b", func(i *networkingv1.Ingress) {
		i.Annotations[ingress.AnnListenPorts] = `[{"HTTP": 80}, {"HTTP": 8080}]`
	})
	converge("b's own listener", []string{"tg 30971", "tg 30972", "tg 30973",
		"1 /a -> 30971", "2 /c -> 30973", "3 /b -> 30972", "1 /b -> 30972"})

	// b's typo and c's conflicting scheme; then a's new path.
	edit("team2/b", func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnBackendProtocol] = "FTP" })
	edit("default/c", func(i *networkingv1.Ingress) { i.Annotations[ingress.AnnScheme] = "internet-facing" })
	for key, want := range map[string]string{"team2/b": ingress.AnnBackendProtocol, "default/c": "conflicts with"} {
		eventually(t, 60*time.Second, key+"'s event", func() (bool, string) {
			ws := warnings(key)
			return slices.ContainsFunc(ws, func(w string) bool {
				return strings.HasPrefix(w, "FailedBuildModel") && strings.Contains(w, want) &&
					strings.Contains(w, "kept as they are")
			}), fmt.Sprint(ws)
		})
	}
	edit("default/a", func(i *networkingv1.Ingress) {
		i.Spec.Rules[0].HTTP.Paths = append(i.Spec.Rules[0].HTTP.Paths, path("a", "/a2"))
	})
	converge("a's new path, b's and c's rules kept", []string{"tg 30971", "tg 30972", "tg 30973",
		"1 /a2 -> 30971", "2 /a -> 30971", "3 /c -> 30973", "4 /b -> 30972", "1 /b -> 30972"})
	// b's listener stays open in the load balancer's security group.
	if got := openPorts(t, cl, groupLB); !slices.Contains(got, 8080) {
		t.Errorf("b's listener port closed while b is left out: open ports %v", got)
	}

	// b fixed, then out of the group: its own load balancer, nothing of it
	// left in the group's (rules, target group, binding).
	edit("team2/b", func(i *networkingv1.Ingress) { delete(i.Annotations, ingress.AnnBackendProtocol) })
	edit("team2/b", func(i *networkingv1.Ingress) { delete(i.Annotations, ingress.AnnGroupName) })
	converge("b gone from the group", []string{"tg 30971", "tg 30973",
		"1 /a2 -> 30971", "2 /a -> 30971", "3 /c -> 30973"})
	eventually(t, 90*time.Second, "b's own load balancer", func() (bool, string) {
		arn := lbOf("k8s-team2-b-")
		if arn == "" {
			return false, fmt.Sprint(cl.loadBalancers())
		}
		got, err := routes(arn)
		want := []string{"tg 30972", "1 /b -> 30972", "1 /b -> 30972"} // ports 80 and 8080
		return err == nil && cmp.Equal(want, got), fmt.Sprint(got, err)
	})
	eventually(t, 30*time.Second, "b's finalizers", func() (bool, string) {
		var b networkingv1.Ingress
		if err := cl.c.Get(ctx, client.ObjectKey{Namespace: "team2", Name: "b"}, &b); err != nil {
			return false, err.Error()
		}
		return slices.Equal(b.Finalizers, []string{"ingress.k8s.aws/resources"}), fmt.Sprint(b.Finalizers)
	})
	var bindings elbv2api.TargetGroupBindingList
	if err := bindingsClient(cl).List(ctx, &bindings, client.InNamespace("team2"),
		client.MatchingLabels{"ingress.k8s.aws/stack": "shared"}); err != nil {
		t.Fatal(err)
	}
	if len(bindings.Items) != 0 {
		t.Errorf("the group's bindings of b left behind: %d", len(bindings.Items))
	}

	// Deleting the members: c (left out) first; then a, the group's last
	// one, and b's own at once: both load balancers go, and the shared
	// backend security group after them (LBC leaves it when two stacks
	// go at once).
	if cl.backendSG() == "" {
		t.Fatal("no backend security group while load balancers use it")
	}
	for _, keys := range [][]string{{"default/c"}, {"default/a", "team2/b"}} {
		for _, key := range keys {
			ns, name, _ := strings.Cut(key, "/")
			err := cl.c.Delete(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, key := range keys {
			ns, name, _ := strings.Cut(key, "/")
			eventually(t, 90*time.Second, key+" gone", func() (bool, string) {
				var ing networkingv1.Ingress
				err := cl.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing)
				return err != nil, fmt.Sprint(ing.Finalizers)
			})
		}
	}
	eventually(t, 90*time.Second, "every load balancer and the backend security group deleted", func() (bool, string) {
		lbs, sg := cl.loadBalancers(), cl.backendSG()
		return len(lbs) == 0 && sg == "", fmt.Sprint(lbs, sg)
	})
}

// openPorts are the ports the load balancer's security groups let in.
func openPorts(t *testing.T, cl *cluster, lbARN string) []int32 {
	t.Helper()
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(),
		&elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("load balancer %s: %v", lbARN, err)
	}
	sgs, err := cl.world.Clients.EC2.DescribeSecurityGroups(t.Context(),
		&ec2.DescribeSecurityGroupsInput{GroupIds: lbs.LoadBalancers[0].SecurityGroups})
	if err != nil {
		t.Fatal(err)
	}
	var out []int32
	for _, sg := range sgs.SecurityGroups {
		for _, p := range sg.IpPermissions {
			out = append(out, aws.ToInt32(p.FromPort))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
