package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

func (cl *cluster) routeTable() string {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.CreateRouteTable(cl.t.Context(), &ec2.CreateRouteTableInput{VpcId: aws.String(cl.world.VPCID)})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.RouteTable.RouteTableId)
}

// TestVPCEndpointUpdates: every mutable field changes in place, with one
// ModifyVpcEndpoint (or tag call) per change and never a new endpoint;
// then drift made by hand is put back on the drift period, which is all
// kelb reads while every endpoint is at rest.
func TestVPCEndpointUpdates(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()
	sg := cl.userSG("endpoint-clients")
	cl.createEndpoint("api", s3Service, cl.interfaceEndpoint(s3Service), func(e *v1alpha1.VPCEndpoint) {
		e.Spec.Tags = []*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String("old"), Value: aws.String("x")}}
	})
	id := aws.ToString(cl.waitSynced("api").Status.VPCEndpointID)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	steps := []struct {
		field  string
		mutate func(*v1alpha1.VPCEndpoint)
		check  func(ec2types.VpcEndpoint) bool
	}{
		{"subnetIDs", func(e *v1alpha1.VPCEndpoint) {
			e.Spec.SubnetIDs = aws.StringSlice([]string{cl.world.PrivateSubnets[1], cl.world.PrivateSubnets[2]})
		},
			func(a ec2types.VpcEndpoint) bool {
				return slices.Equal(sorted(a.SubnetIds), sorted(cl.world.PrivateSubnets[1:3]))
			}},
		{"securityGroupIDs", func(e *v1alpha1.VPCEndpoint) { e.Spec.SecurityGroupIDs = aws.StringSlice([]string{sg}) },
			func(a ec2types.VpcEndpoint) bool {
				return len(a.Groups) == 1 && aws.ToString(a.Groups[0].GroupId) == sg
			}},
		{"policyDocument", func(e *v1alpha1.VPCEndpoint) { e.Spec.PolicyDocument = aws.String(policy) },
			func(a ec2types.VpcEndpoint) bool { return aws.ToString(a.PolicyDocument) == policy }},
		{"privateDNSEnabled", func(e *v1alpha1.VPCEndpoint) { e.Spec.PrivateDNSEnabled = aws.Bool(false) },
			func(a ec2types.VpcEndpoint) bool { return !aws.ToBool(a.PrivateDnsEnabled) }},
		{"ipAddressType", func(e *v1alpha1.VPCEndpoint) { e.Spec.IPAddressType = aws.String("dualstack") },
			func(a ec2types.VpcEndpoint) bool { return a.IpAddressType == "dualstack" }},
		{"dnsOptions", func(e *v1alpha1.VPCEndpoint) {
			e.Spec.DNSOptions = &v1alpha1.DNSOptionsSpecification{DNSRecordIPType: aws.String("dualstack")}
		}, func(a ec2types.VpcEndpoint) bool {
			return a.DnsOptions != nil && a.DnsOptions.DnsRecordIpType == "dualstack"
		}},
		{"tags", func(e *v1alpha1.VPCEndpoint) {
			e.Spec.Tags = []*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("new"), Value: aws.String("y")}}
		}, func(a ec2types.VpcEndpoint) bool {
			m := awsclient.EC2TagMap(a.Tags)
			_, old := m["old"]
			return m["team"] == "platform" && m["new"] == "y" && !old && ownedBy(m, "api")
		}},
	}
	for _, s := range steps {
		t0 := time.Now()
		cl.updateEndpoint("api", s.mutate)
		e := cl.waitSynced("api")
		got := cl.awsEndpoint(id)
		if !s.check(got) {
			t.Errorf("%s: AWS has %+v", s.field, got)
		}
		writes := 0
		for _, c := range cl.calls(t0) {
			if c.Mutating() {
				writes++
			}
		}
		t.Logf("%s: synced in %s, %d AWS writes", s.field, time.Since(t0).Round(time.Millisecond), writes)
		if writes < 1 || writes > 2 || cl.kelbCalls(t0, "CreateVpcEndpoint") != 0 {
			t.Errorf("%s: %d writes, calls %v", s.field, writes, cl.calls(t0))
		}
		if aws.ToString(e.Status.VPCEndpointID) != id {
			t.Errorf("%s: endpoint replaced: %s", s.field, describeEndpoint(e))
		}
	}

	// Route tables, on a Gateway endpoint.
	rt1, rt2 := cl.routeTable(), cl.routeTable()
	cl.createEndpoint("gw", s3Service, func(e *v1alpha1.VPCEndpoint) {
		e.Spec.VPCEndpointType = aws.String("Gateway")
		e.Spec.RouteTableIDs = aws.StringSlice([]string{rt1})
	})
	gw := aws.ToString(cl.waitSynced("gw").Status.VPCEndpointID)
	cl.updateEndpoint("gw", func(e *v1alpha1.VPCEndpoint) { e.Spec.RouteTableIDs = aws.StringSlice([]string{rt2}) })
	cl.waitSynced("gw")
	if got := cl.awsEndpoint(gw).RouteTableIds; !slices.Equal(got, []string{rt2}) {
		t.Errorf("route tables: %v, want [%s]", got, rt2)
	}

	// Drift: a subnet removed and a tag changed by hand are put back.
	cl.stopKelb()
	cl.opts.DriftPeriod = 3 * time.Second
	cl.startKelb()
	time.Sleep(2 * time.Second) // the restart's own pass is over: the drift period finds what follows
	ctx := t.Context()
	if _, err := cl.world.Clients.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id),
		RemoveSubnetIds: cl.world.PrivateSubnets[1:2]}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.world.Clients.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id},
		Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("someone-else")}}}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	eventually(t, 15*time.Second, "drift repaired", func() (bool, string) {
		a := cl.awsEndpoint(id)
		return len(a.SubnetIds) == 2 && awsclient.EC2TagMap(a.Tags)["team"] == "platform", fmt.Sprintf("%v %v", a.SubnetIds, awsclient.EC2TagMap(a.Tags))
	})
	t.Logf("drift repaired after %s", time.Since(t0).Round(time.Millisecond))
	rest := time.Now()
	time.Sleep(9 * time.Second)
	reads, writes := cl.kelbCalls(rest, "DescribeVpcEndpoints"), 0
	for _, c := range cl.calls(rest) {
		if c.Mutating() {
			writes++
		}
	}
	t.Logf("at rest with a 3 s drift period: %d endpoint reads, %d writes in 9 s for 2 endpoints", reads, writes)
	if reads > 4 || writes != 0 {
		t.Errorf("at rest: %d reads, %d writes in 9 s (want one read per drift period, no write)", reads, writes)
	}
	if n := len(cl.liveEndpoints()); n != 2 {
		t.Errorf("%d live endpoints after restart and drift, want 2", n)
	}
}
