package integration

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// crashFlow is one flow of a Service whose every mutating AWS call is a
// point where kelb may be killed.
type crashFlow struct {
	name string
	// setup brings the Service to where the flow starts (uncounted).
	setup func(cl *cluster, name string)
	// act starts the flow.
	act func(cl *cluster, name string)
	// converged waits for the end state after the restart and checks it.
	converged func(cl *cluster, name string)
	// cleanup deletes every object of the flow's kind and checks nothing
	// is left in AWS.
	cleanup func(cl *cluster)
}

// crashNodePorts hands out node ports for the update flow.
var crashNodePorts atomic.Int32

var crashFlows = []crashFlow{
	{
		name:  "create",
		setup: func(*cluster, string) {},
		act: func(cl *cluster, name string) {
			cl.createService(name, withPort(80, 0, corev1.ProtocolTCP), withPort(443, 0, corev1.ProtocolTCP))
		},
		converged: func(cl *cluster, name string) { cl.waitReady(name); cl.wantStack(name, 1, 2, 1) },
		cleanup:   deleteServices,
	},
	{
		name: "update",
		setup: func(cl *cluster, name string) {
			cl.createService(name, withPort(80, 0, corev1.ProtocolTCP))
			cl.waitReady(name)
		},
		act: func(cl *cluster, name string) {
			cl.update(name, func(s *corev1.Service) {
				s.Spec.Ports[0].NodePort = 31000 + crashNodePorts.Add(1) // a new rule and new targets
				s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "p53", Port: 53, Protocol: corev1.ProtocolUDP})
				s.Annotations = map[string]string{service.AnnAdditionalTags: "team=blue"}
			})
		},
		converged: func(cl *cluster, name string) {
			// The old target group goes once the listener has moved, and
			// AWS may hold it back a while: wait for the end state.
			eventually(cl.t, 60*time.Second, name+" updated", func() (bool, string) {
				lbs, tgs, sgs := cl.stackResources(name)
				listeners := cl.listenerPorts(name)
				return lbs == 1 && tgs == 2 && sgs == 1 && listeners == "53,80", fmt.Sprint(lbs, tgs, sgs, listeners)
			})
			cl.waitReady(name)
		},
		cleanup: deleteServices,
	},
	{
		name: "delete",
		setup: func(cl *cluster, name string) {
			cl.createService(name, withPort(80, 0, corev1.ProtocolTCP))
			cl.waitReady(name)
		},
		act: func(cl *cluster, name string) {
			if err := cl.c.Delete(cl.t.Context(), cl.get(name)); err != nil {
				cl.t.Fatal(err)
			}
		},
		converged: func(cl *cluster, name string) { cl.waitGone(name); cl.wantStack(name, 0, 0, 0) },
		cleanup:   deleteServices,
	},
}

// TestCrashAtEveryStep kills kelb right after the k-th mutating AWS call of
// a flow, for every k, and starts it again: the Service converges, nothing
// is duplicated or leaked, and no rule gap or exposure shows in the call
// log. The kill is abrupt: from the k-th call on, every AWS call of the old
// process fails, and its manager is cancelled without waiting for anything.
func TestCrashAtEveryStep(t *testing.T) {
	for _, flow := range append(crashFlows, endpointCrashFlows...) {
		t.Run(flow.name, func(t *testing.T) {
			cl := newCluster(t, 3)
			cl.startKelb()
			cl.createService("anchor") // keeps the backend group between cases
			cl.waitReady("anchor")

			// How many mutating calls the flow makes when nothing goes wrong.
			flow.setup(cl, "dry")
			t0 := time.Now()
			flow.act(cl, "dry")
			flow.converged(cl, "dry")
			steps := 0
			for _, c := range cl.calls(t0) {
				if c.Mutating() && c.Status == 200 {
					steps++
				}
			}
			if steps == 0 {
				t.Fatal("the flow made no mutating call")
			}
			kills := 0
			for k := 1; k <= steps; k++ {
				name := fmt.Sprintf("%s-%d", flow.name, k)
				flow.setup(cl, name)
				start := time.Now()
				crashed := env.Proxy.Crash.Arm(cl.world.Account, k)
				flow.act(cl, name)
				if !cl.waitCrash(crashed, start) {
					// Timing made this run take fewer calls than the dry
					// run (a clean-up AWS let go at once): it must have
					// converged by itself.
					env.Proxy.Crash.Disarm()
					flow.converged(cl, name)
					t.Logf("k=%d: the flow ended after fewer than %d mutating calls", k, k)
					continue
				}
				kills++
				cl.stopKelb()
				env.Proxy.Crash.Disarm()
				cl.startKelb()
				flow.converged(cl, name)
				if rep := awsproxy.Analyze(cl.accountCalls(), start, time.Now()); rep.Gap != 0 || rep.Exposure != 0 {
					t.Errorf("k=%d: gap %s, exposure %s: %v", k, rep.Gap, rep.Exposure, rep.Details)
				}
			}
			t.Logf("%s: killed after %d of the %d mutating calls", flow.name, kills, steps)
			if kills < steps-1 {
				t.Errorf("only %d of %d kills happened", kills, steps)
			}

			flow.cleanup(cl)
		})
	}
}

// waitCrash waits until the proxy killed kelb, and reports false when kelb
// settled first: no mutating call for 5 s.
func (cl *cluster) waitCrash(crashed <-chan struct{}, since time.Time) bool {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-crashed:
			return true
		case <-time.After(200 * time.Millisecond):
		}
		last := since
		for _, c := range cl.calls(since) {
			if c.Mutating() && c.Time.After(last) {
				last = c.Time
			}
		}
		if time.Since(last) > 5*time.Second {
			return false
		}
	}
	cl.t.Fatal("kelb neither crashed nor settled within 60s")
	return false
}

// deleteServices deletes every Service of type LoadBalancer and waits until
// nothing tagged for the cluster is left.
func deleteServices(cl *cluster) {
	cl.t.Helper()
	var list corev1.ServiceList
	if err := cl.c.List(cl.t.Context(), &list); err != nil {
		cl.t.Fatal(err)
	}
	for i := range list.Items {
		if list.Items[i].Spec.Type == corev1.ServiceTypeLoadBalancer {
			if err := cl.c.Delete(cl.t.Context(), &list.Items[i]); err != nil {
				cl.t.Fatal(err)
			}
		}
	}
	eventually(cl.t, 60*time.Second, "nothing left", func() (bool, string) {
		left := cl.tagged()
		return len(left) == 0, fmt.Sprint(left)
	})
}

// stackResources counts the load balancers, target groups and security
// groups tagged for the Service's stack.
func (cl *cluster) stackResources(name string) (lbs, tgs, sgs int) {
	cl.t.Helper()
	ctx, stack := cl.t.Context(), "default/"+name
	res, err := cl.world.Clients.Tagging.GetResources(ctx, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup"},
		TagFilters:          []taggingtypes.TagFilter{{Key: aws.String(model.TagServiceStack), Values: []string{stack}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, r := range res.ResourceTagMappingList {
		switch arn := aws.ToString(r.ResourceARN); {
		case strings.Contains(arn, ":targetgroup/"):
			tgs++
		default:
			lbs++
		}
	}
	out, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagServiceStack), Values: []string{stack}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return lbs, tgs, len(out.SecurityGroups)
}

// listenerPorts returns the ports of the Service's load balancer's
// listeners, sorted and joined.
func (cl *cluster) listenerPorts(name string) string {
	cl.t.Helper()
	ctx := cl.t.Context()
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, lb := range lbs.LoadBalancers {
		tags, err := cl.world.Clients.ELBV2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{aws.ToString(lb.LoadBalancerArn)}})
		if err != nil || len(tags.TagDescriptions) == 0 {
			continue
		}
		for _, t := range tags.TagDescriptions[0].Tags {
			if aws.ToString(t.Key) == model.TagServiceStack && aws.ToString(t.Value) == "default/"+name {
				ls, err := cl.world.Clients.ELBV2.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
				if err != nil {
					cl.t.Fatal(err)
				}
				var ports []string
				for _, l := range ls.Listeners {
					ports = append(ports, fmt.Sprint(aws.ToInt32(l.Port)))
				}
				sort.Strings(ports)
				return strings.Join(ports, ",")
			}
		}
	}
	return ""
}

// wantStack checks the Service's stack holds exactly that many resources.
func (cl *cluster) wantStack(name string, lbs, tgs, sgs int) {
	cl.t.Helper()
	gotLBs, gotTGs, gotSGs := cl.stackResources(name)
	if gotLBs != lbs || gotTGs != tgs || gotSGs != sgs {
		cl.t.Errorf("%s: %d load balancers, %d target groups, %d security groups; want %d, %d, %d",
			name, gotLBs, gotTGs, gotSGs, lbs, tgs, sgs)
	}
}
