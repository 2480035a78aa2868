package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestNoSecurityGroupsPreserveClientIPFlips: a load balancer without
// security groups; node rules follow where traffic comes from, and flipping
// preserve_client_ip either way leaves no gap and no exposure: the new
// rules are in before the attribute changes, the old ones go after.
func TestNoSecurityGroupsPreserveClientIPFlips(t *testing.T) {
	cl := newCluster(t, 3)
	before := cl.nodeRules()
	cl.startKelb()
	svc := cl.createService("nosg", annotate(service.AnnNLBDisableSG, "true"), annotate(service.AnnTargetType, "ip"))
	cl.createEndpoints(svc, "10.0.10.41", "10.0.11.42")
	cl.waitReady("nosg")
	subnetRules := func(rules string) bool {
		return strings.Contains(rules, "8080-8080 from 10.0.10.0/24") && strings.Contains(rules, "8080-8080 from 10.0.11.0/24")
	}
	if rules := strings.Join(cl.nodeRules(), ";"); !subnetRules(rules) || strings.Contains(rules, "10.0.0.0/16") {
		t.Fatalf("ip targets without client IPs: want the subnets' CIDRs, got %s", rules)
	}

	flip := func(to string, want func(string) bool) {
		t.Helper()
		t0 := time.Now()
		cl.update("nosg", func(s *corev1.Service) {
			s.Annotations[service.AnnTargetGroupAttributes] = "preserve_client_ip.enabled=" + to
		})
		eventually(t, 30*time.Second, "rules for preserve_client_ip="+to, func() (bool, string) {
			rules := strings.Join(cl.nodeRules(), ";")
			return want(rules), rules
		})
		time.Sleep(time.Second)
		calls := cl.calls(t0)
		rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
		t.Logf("preserve_client_ip -> %s: gap %s, exposure %s, AWS calls %v", to, rep.Gap, rep.Exposure,
			awsproxy.CountByAction(calls))
		if rep.Gap != 0 || rep.Exposure != 0 {
			t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
		}
	}
	flip("true", func(r string) bool { return strings.Contains(r, "8080-8080 from 10.0.0.0/16") && !subnetRules(r) })
	flip("false", func(r string) bool { return subnetRules(r) && !strings.Contains(r, "8080-8080 from 10.0.0.0/16") })

	if err := cl.c.Delete(t.Context(), cl.get("nosg")); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("nosg")
	eventually(t, 20*time.Second, "node group as before", func() (bool, string) {
		after := cl.nodeRules()
		return strings.Join(after, ";") == strings.Join(before, ";"), strings.Join(after, "; ")
	})
}

// TestAdoptedLoadBalancerWithoutSecurityGroups: an NLB an older controller
// made without security groups (AWS cannot add them) is adopted as it is:
// no groups, node rules from where its traffic comes from.
func TestAdoptedLoadBalancerWithoutSecurityGroups(t *testing.T) {
	cl := newCluster(t, 3)
	ctx := t.Context()
	lb, err := cl.world.Clients.ELBV2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String("k8s-default-old-0123456789"), Type: elbtypes.LoadBalancerTypeEnumNetwork,
		Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: cl.world.PrivateSubnets, Tags: []elbtypes.Tag{
			{Key: aws.String(model.TagCluster), Value: aws.String(cl.world.Cluster)},
			{Key: aws.String(model.TagServiceStack), Value: aws.String("default/old")},
			{Key: aws.String(model.TagServiceResource), Value: aws.String(model.ResourceLoadBalancer)}}})
	if err != nil {
		t.Fatal(err)
	}
	cl.startKelb()
	cl.createService("old", withPort(80, 31600, corev1.ProtocolTCP))
	s := cl.waitReady("old")
	if s.Status.LoadBalancer.Ingress[0].Hostname != aws.ToString(lb.LoadBalancers[0].DNSName) {
		t.Errorf("not adopted: %s", s.Status.LoadBalancer.Ingress[0].Hostname)
	}
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 || len(lbs.LoadBalancers[0].SecurityGroups) != 0 {
		t.Fatalf("want the one load balancer, still without groups: %+v %v", lbs, err)
	}
	if rules := strings.Join(cl.nodeRules(), ";"); !strings.Contains(rules, "31600-31600 from 10.0.0.0/16") {
		t.Errorf("instance targets of an internal load balancer: want the VPC's CIDR, got %s", rules)
	}
	if strings.Contains(strings.Join(cl.tagged(), ","), "sg-") {
		t.Errorf("security groups made for a load balancer that cannot use them: %v", cl.tagged())
	}
}

// TestSubnetChangeOrdersRules: a load balancer without security groups moves
// to another subnet: the new subnet's rule is in before the load balancer
// uses the subnet, the old one's goes after it left.
func TestSubnetChangeOrdersRules(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	private := cl.world.PrivateSubnets
	svc := cl.createService("moving", annotate(service.AnnNLBDisableSG, "true"), annotate(service.AnnTargetType, "ip"),
		annotate(service.AnnSubnets, private[0]+","+private[1]))
	cl.createEndpoints(svc, "10.0.10.51")
	cl.waitReady("moving")
	t0 := time.Now()
	cl.update("moving", func(s *corev1.Service) { s.Annotations[service.AnnSubnets] = private[1] + "," + private[2] })
	eventually(t, 20*time.Second, "rules follow the subnets", func() (bool, string) {
		r := strings.Join(cl.nodeRules(), ";")
		return strings.Contains(r, "from 10.0.12.0/24") && !strings.Contains(r, "from 10.0.10.0/24"), r
	})
	var authorized, set, revoked time.Time
	for _, c := range cl.calls(t0) {
		switch {
		case c.Action == "AuthorizeSecurityGroupIngress" && strings.Contains(fmtParams(c), "10.0.12.0/24"):
			authorized = c.Time
		case c.Action == "SetSubnets":
			set = c.Time
		case c.Action == "RevokeSecurityGroupIngress" && strings.Contains(fmtParams(c), "10.0.10.0/24"):
			revoked = c.Time
		}
	}
	if authorized.IsZero() || set.IsZero() || revoked.IsZero() || !authorized.Before(set) || !set.Before(revoked) {
		t.Errorf("want authorize (%s) < SetSubnets (%s) < revoke (%s)", authorized.Format("15:04:05.000"),
			set.Format("15:04:05.000"), revoked.Format("15:04:05.000"))
	}
}

func fmtParams(c awsproxy.Call) string {
	var parts []string
	for k, v := range c.Params {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}
