package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestDeleteWaitsForDependencies: with the proxy refusing to delete a
// security group still in use (as AWS does), deleting a Service still
// leaves nothing behind: kelb waits for AWS to release the groups.
func TestDeleteWaitsForDependencies(t *testing.T) {
	env.Proxy.Dependencies.SetLinger(3 * time.Second)
	t.Cleanup(func() { env.Proxy.Dependencies.SetLinger(0) })
	cl := newCluster(t, 3)
	cl.startKelb()
	svc := cl.createService("deps")
	cl.waitReady("deps")
	ctx := t.Context()

	// In use by the load balancer and by the node group's rule.
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sg := range lbs.LoadBalancers[0].SecurityGroups {
		_, err := cl.world.Clients.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)})
		if awsclient.ErrorCode(err) != "DependencyViolation" {
			t.Errorf("deleting %s in use: got %v, want DependencyViolation", sg, err)
		}
	}

	t0 := time.Now()
	if err := cl.c.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("deps")
	if left := cl.tagged(); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
	refused := cl.refusals(t0, "DeleteSecurityGroup", "DependencyViolation")
	if refused == 0 {
		t.Error("kelb never met a DependencyViolation: the test proves nothing")
	}
	t.Logf("deleted in %s; %d deletions refused while AWS held the groups", time.Since(t0).Round(100*time.Millisecond), refused)
}

// TestGroupReferencedByRuleCannotBeDeleted: a group that another group's
// rule names is in use, as in AWS.
func TestGroupReferencedByRuleCannotBeDeleted(t *testing.T) {
	cl := newCluster(t, 1)
	ctx := t.Context()
	a, b := cl.userSG("a"), cl.userSG("b")
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(b), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
			FromPort: aws.Int32(80), ToPort: aws.Int32(80), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(a)}}}}}); err != nil {
		t.Fatal(err)
	}
	_, err := cl.world.Clients.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(a)})
	if awsclient.ErrorCode(err) != "DependencyViolation" {
		t.Errorf("deleting a referenced group: got %v, want DependencyViolation", err)
	}
	if _, err := cl.world.Clients.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(b)}); err != nil {
		t.Errorf("deleting the referencing group: %v", err)
	}
	if _, err := cl.world.Clients.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(a)}); err != nil {
		t.Errorf("deleting the group once free: %v", err)
	}
}

// TestProxyRuleLimit: the proxy refuses rules past its limit per group.
func TestProxyRuleLimit(t *testing.T) {
	env.Proxy.RuleLimit.SetLimit(3)
	t.Cleanup(func() { env.Proxy.RuleLimit.SetLimit(awsproxy.DefaultRuleLimit) })
	cl := newCluster(t, 1)
	sg := cl.userSG("limited")
	authorize := func(port int32, cidrs ...string) error {
		var ranges []ec2types.IpRange
		for _, c := range cidrs {
			ranges = append(ranges, ec2types.IpRange{CidrIp: aws.String(c)})
		}
		_, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(sg), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
				FromPort: aws.Int32(port), ToPort: aws.Int32(port), IpRanges: ranges}}})
		return err
	}
	if err := authorize(80, "10.0.0.0/8", "192.168.0.0/16"); err != nil {
		t.Fatal(err)
	}
	if err := authorize(443, "10.0.0.0/8", "192.168.0.0/16"); awsclient.ErrorCode(err) != "RulesPerSecurityGroupLimitExceeded" {
		t.Errorf("4 rules with a limit of 3: got %v", err)
	}
	if err := authorize(443, "10.0.0.0/8"); err != nil {
		t.Errorf("3 rules with a limit of 3: %v", err)
	}
}
