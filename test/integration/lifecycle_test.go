package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

func TestCreateConvergeDelete(t *testing.T) {
	cl := newCluster(t, 3)
	before := cl.nodeRules()
	cl.startKelb()
	t0 := time.Now()
	cl.createService("web")
	s := cl.waitReady("web")
	t.Logf("create: AWS calls by action %v", awsproxy.CountByAction(cl.calls(t0)))
	host := s.Status.LoadBalancer.Ingress[0].Hostname
	if host == "" {
		t.Fatal("no hostname")
	}
	ctx := t.Context()
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("want one load balancer, got %v (%v)", lbs, err)
	}
	lb := lbs.LoadBalancers[0]
	if aws.ToString(lb.DNSName) != host || lb.Type != "network" || lb.Scheme != "internal" {
		t.Errorf("load balancer %s type %s scheme %s; service hostname %s", aws.ToString(lb.DNSName), lb.Type, lb.Scheme, host)
	}
	if len(lb.SecurityGroups) != 2 {
		t.Errorf("want frontend + backend security groups on the load balancer, got %v", lb.SecurityGroups)
	}
	tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil || len(tgs.TargetGroups) != 1 {
		t.Fatalf("want one target group, got %v (%v)", tgs, err)
	}
	health, err := cl.world.Clients.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{
		TargetGroupArn: tgs.TargetGroups[0].TargetGroupArn})
	if err != nil || len(health.TargetHealthDescriptions) != 3 {
		t.Fatalf("want 3 instance targets, got %v (%v)", health, err)
	}
	if rules := cl.nodeRules(); len(rules) != len(before)+1 {
		t.Errorf("want one rule added to the node security group, got %v", rules)
	}

	if err := cl.c.Delete(ctx, s); err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	cl.waitGone("web")
	t.Logf("delete: AWS calls by action %v", awsproxy.CountByAction(cl.calls(t1)))
	if left := cl.tagged(); len(left) != 0 {
		t.Errorf("resources tagged for the cluster left after delete: %v", left)
	}
	if after := cl.nodeRules(); len(after) != len(before) {
		t.Errorf("node security group rules: before %v, after %v", before, after)
	}
}
