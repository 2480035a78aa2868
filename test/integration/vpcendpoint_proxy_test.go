package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestProxyVPCEndpointLifecycle: through the proxy, VPC endpoints pass
// through the states AWS gives them, which moto skips.
func TestProxyVPCEndpointLifecycle(t *testing.T) {
	env.Proxy.VPCEndpoints.SetDelays(2*time.Second, 2*time.Second)
	env.Proxy.VPCEndpoints.RequireAcceptance("com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0")
	t.Cleanup(func() { env.Proxy.VPCEndpoints.SetDelays(0, 0) })
	cl := newCluster(t, 1)
	ctx := t.Context()
	api := cl.world.Clients.EC2
	create := func(service string) string {
		out, err := api.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(cl.world.VPCID),
			ServiceName: aws.String(service), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
			SubnetIds: cl.world.PrivateSubnets[:1]})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VpcEndpoint.VpcEndpointId)
	}
	state := func(id string) string {
		out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if err != nil || len(out.VpcEndpoints) != 1 {
			t.Fatalf("%v %v", out, err)
		}
		return string(out.VpcEndpoints[0].State)
	}
	s3 := create("com.amazonaws.us-west-2.s3")
	if got := state(s3); got != "pending" {
		t.Errorf("new endpoint: %s, want pending", got)
	}
	eventually(t, 10*time.Second, "available", func() (bool, string) { s := state(s3); return s == "available", s })

	private := create("com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0")
	time.Sleep(2500 * time.Millisecond)
	if got := state(private); got != "pendingAcceptance" {
		t.Errorf("endpoint to a service that requires acceptance: %s", got)
	}
	env.Proxy.VPCEndpoints.Accept(private)
	if got := state(private); got != "available" {
		t.Errorf("accepted: %s", got)
	}
	env.Proxy.VPCEndpoints.Fail(private, "failed")
	if got := state(private); got != "failed" {
		t.Errorf("failed: %s", got)
	}

	if _, err := api.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{s3}}); err != nil {
		t.Fatal(err)
	}
	if got := state(s3); got != "deleting" {
		t.Errorf("deleted endpoint: %s, want deleting", got)
	}
	eventually(t, 10*time.Second, "deleted", func() (bool, string) { s := state(s3); return s == "deleted", s })
}
