package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestSourceRangeEdit: editing loadBalancerSourceRanges changes the
// frontend group make-before-break (no gap for a range kept, no exposure
// for a range added). The managed group is the load balancer's alone: as
// with LBC, a rule added to it by hand goes too (rules a user adds to
// groups of their own or to node groups stay: TestHandMadeRulesSurvive).
func TestSourceRangeEdit(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("ranged", func(s *corev1.Service) {
		s.Spec.LoadBalancerSourceRanges = []string{"10.1.0.0/16", "10.2.0.0/16"}
	})
	cl.waitReady("ranged")
	ctx := t.Context()
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	frontend := ""
	for _, sg := range lbs.LoadBalancers[0].SecurityGroups {
		out, _ := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
		if len(out.SecurityGroups) == 1 && strings.HasPrefix(aws.ToString(out.SecurityGroups[0].GroupName), "k8s-default-ranged") {
			frontend = sg
		}
	}
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(frontend), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
			FromPort: aws.Int32(80), ToPort: aws.Int32(80), IpRanges: []ec2types.IpRange{
				{CidrIp: aws.String("172.16.0.0/12"), Description: aws.String("office, by hand")}}}}}); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	cl.update("ranged", func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"10.2.0.0/16", "10.3.0.0/16"} })
	rules := func() string {
		out, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{frontend}})
		if err != nil {
			return err.Error()
		}
		var cidrs []string
		for _, p := range out.SecurityGroups[0].IpPermissions {
			for _, r := range p.IpRanges {
				cidrs = append(cidrs, aws.ToString(r.CidrIp))
			}
		}
		return strings.Join(cidrs, ",")
	}
	eventually(t, 20*time.Second, "new ranges", func() (bool, string) {
		r := rules()
		return strings.Contains(r, "10.3.0.0/16") && !strings.Contains(r, "10.1.0.0/16"), r
	})
	eventually(t, 20*time.Second, "the hand-made rule revoked", func() (bool, string) {
		r := rules()
		return !strings.Contains(r, "172.16.0.0/12"), r
	})
	if r := rules(); !strings.Contains(r, "10.2.0.0/16") {
		t.Errorf("a kept range went: %s", r)
	}
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	t.Logf("source range edit: gap %s, exposure %s, calls %v", rep.Gap, rep.Exposure, awsproxy.CountByAction(cl.calls(t0)))
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}
}

// TestSwitchToOwnSecurityGroups: a Service moves from the managed frontend
// group to the user's own (keeping managed backend rules): the load
// balancer takes the new groups before the managed one is deleted, and the
// node rules carry traffic throughout.
func TestSwitchToOwnSecurityGroups(t *testing.T) {
	env.Proxy.Dependencies.SetLinger(3 * time.Second) // AWS lets the old group go late
	t.Cleanup(func() { env.Proxy.Dependencies.SetLinger(0) })
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("switch")
	cl.waitReady("switch")
	mine := cl.userSG("mine")
	t0 := time.Now()
	cl.update("switch", func(s *corev1.Service) {
		s.Annotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-security-groups": mine,
			"service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules": "true"}
	})
	eventually(t, 20*time.Second, "managed frontend group gone", func() (bool, string) {
		// While AWS holds the old group, the Service stays Ready.
		for _, cond := range cl.get("switch").Status.Conditions {
			if cond.Type == "elbv2.k8s.aws/Ready" && cond.Status != "True" {
				t.Errorf("Ready went %s (%s) while AWS held the old group", cond.Status, cond.Reason)
			}
		}
		for _, c := range cl.calls(t0) {
			if c.Action == "DeleteSecurityGroup" && c.Status == 200 {
				return true, ""
			}
		}
		return false, "not yet"
	})
	if cl.refusals(t0, "DeleteSecurityGroup", "DependencyViolation") == 0 {
		t.Error("AWS never held the old group: the test proves nothing")
	}
	var set, deleted time.Time
	for _, c := range cl.calls(t0) {
		if c.Action == "SetSecurityGroups" {
			set = c.Time
		}
		if c.Action == "DeleteSecurityGroup" && c.Status == 200 {
			deleted = c.Time
		}
	}
	if set.IsZero() || !set.Before(deleted) {
		t.Errorf("want SetSecurityGroups (%s) before the managed group's deletion (%s)", set, deleted)
	}
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(), &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers[0].SecurityGroups) != 2 || !strings.Contains(strings.Join(lbs.LoadBalancers[0].SecurityGroups, ","), mine) {
		t.Errorf("want the user's group and the backend group: %+v %v", lbs.LoadBalancers[0].SecurityGroups, err)
	}
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}
}
