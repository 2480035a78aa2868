package integration

import (
	"strings"
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

// TestProxyVPCEndpointRequests: what moto gets wrong about endpoint
// requests, answered by the proxy as AWS does.
func TestProxyVPCEndpointRequests(t *testing.T) {
	cl := newCluster(t, 1)
	ctx := t.Context()
	api := cl.world.Clients.EC2
	in := func(service, vpc, token string) *ec2.CreateVpcEndpointInput {
		return &ec2.CreateVpcEndpointInput{VpcId: aws.String(vpc), ServiceName: aws.String(service),
			VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: cl.world.PrivateSubnets[:1], ClientToken: aws.String(token),
			IpAddressType: ec2types.IpAddressTypeIpv4}
	}
	first, err := api.CreateVpcEndpoint(ctx, in(s3Service, cl.world.VPCID, "token-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := api.CreateVpcEndpoint(ctx, in(s3Service, cl.world.VPCID, "token-1"))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(first.VpcEndpoint.VpcEndpointId)
	if got := aws.ToString(again.VpcEndpoint.VpcEndpointId); got != id || len(cl.liveEndpoints()) != 1 {
		t.Errorf("same client token: %s then %s, %d endpoints", id, got, len(cl.liveEndpoints()))
	}
	for _, c := range []struct{ service, vpc, code string }{
		{"com.amazonaws.us-west-2.nothing", cl.world.VPCID, "InvalidServiceName"},
		{s3Service, "vpc1", "InvalidVpcId.Malformed"},
	} {
		_, err := api.CreateVpcEndpoint(ctx, in(c.service, c.vpc, ""))
		if err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("create to %s in %s: %v, want %s", c.service, c.vpc, err, c.code)
		}
	}
	other, err := api.CreateVpcEndpoint(ctx, in(s3Service, cl.world.VPCID, "token-2"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-endpoint-id"), Values: []string{id, "vpce-0123456789abcdef0"}}}})
	if err != nil || len(out.VpcEndpoints) != 1 || aws.ToString(out.VpcEndpoints[0].VpcEndpointId) != id {
		t.Errorf("vpc-endpoint-id filter: %v %v (other endpoint %s)", out, err, aws.ToString(other.VpcEndpoint.VpcEndpointId))
	}
	if _, err := api.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(false),
		IpAddressType: ec2types.IpAddressTypeDualstack, DnsOptions: &ec2types.DnsOptionsSpecification{DnsRecordIpType: ec2types.DnsRecordIpTypeDualstack}}); err != nil {
		t.Fatal(err)
	}
	got := cl.awsEndpoint(id)
	if aws.ToBool(got.PrivateDnsEnabled) || got.IpAddressType != "dualstack" || got.DnsOptions == nil || got.DnsOptions.DnsRecordIpType != "dualstack" {
		t.Errorf("settings after modify: dns %v ip %s options %+v", aws.ToBool(got.PrivateDnsEnabled), got.IpAddressType, got.DnsOptions)
	}
	if o := cl.awsEndpoint(aws.ToString(other.VpcEndpoint.VpcEndpointId)); o.IpAddressType != "ipv4" || !aws.ToBool(o.PrivateDnsEnabled) {
		t.Errorf("the other endpoint changed too: %s %v", o.IpAddressType, aws.ToBool(o.PrivateDnsEnabled))
	}
}
