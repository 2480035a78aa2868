package vpcendpoint

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

func observed() *ec2types.VpcEndpoint {
	return &ec2types.VpcEndpoint{
		VpcEndpointId: aws.String("vpce-1"), ServiceName: aws.String("com.amazonaws.us-west-2.s3"), State: "available",
		SubnetIds: []string{"subnet-a", "subnet-b"}, Groups: []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-1")}},
		RouteTableIds: []string{}, PolicyDocument: aws.String(`{"Statement": [{"Effect": "Allow", "Action": "*"}], "Version": "2012-10-17"}`),
		PrivateDnsEnabled: aws.Bool(true), IpAddressType: "ipv4", DnsOptions: &ec2types.DnsOptions{DnsRecordIpType: "ipv4"},
		Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String("aws:cloudformation:stack-name"), Value: aws.String("x")}},
	}
}

func TestDiff(t *testing.T) {
	tags := map[string]string{"team": "data"}
	tests := []struct {
		name   string
		spec   v1alpha1.VPCEndpointSpec
		tags   map[string]string
		fields []string
		check  func(*testing.T, Changes)
	}{
		{name: "unset fields are AWS's", spec: v1alpha1.VPCEndpointSpec{}, tags: tags},
		{name: "same sets in another order, same policy with other spacing", tags: tags, spec: v1alpha1.VPCEndpointSpec{
			SubnetIDs: aws.StringSlice([]string{"subnet-b", "subnet-a"}), SecurityGroupIDs: aws.StringSlice([]string{"sg-1"}),
			PolicyDocument:    aws.String(`{"Version":"2012-10-17","Statement":[{"Action":"*","Effect":"Allow"}]}`),
			PrivateDNSEnabled: aws.Bool(true), IPAddressType: aws.String("ipv4"),
			DNSOptions: &v1alpha1.DNSOptionsSpecification{DNSRecordIPType: aws.String("ipv4")}}},
		{name: "subnets: add and remove only the difference", tags: tags, spec: v1alpha1.VPCEndpointSpec{SubnetIDs: aws.StringSlice([]string{"subnet-b", "subnet-c"})},
			fields: []string{"subnetIDs"}, check: func(t *testing.T, c Changes) {
				if !slices.Equal(c.Modify.AddSubnetIds, []string{"subnet-c"}) || !slices.Equal(c.Modify.RemoveSubnetIds, []string{"subnet-a"}) {
					t.Errorf("add %v remove %v", c.Modify.AddSubnetIds, c.Modify.RemoveSubnetIds)
				}
			}},
		{name: "security groups replaced", tags: tags, spec: v1alpha1.VPCEndpointSpec{SecurityGroupIDs: aws.StringSlice([]string{"sg-2"})},
			fields: []string{"securityGroupIDs"}, check: func(t *testing.T, c Changes) {
				if !slices.Equal(c.Modify.AddSecurityGroupIds, []string{"sg-2"}) || !slices.Equal(c.Modify.RemoveSecurityGroupIds, []string{"sg-1"}) {
					t.Errorf("add %v remove %v", c.Modify.AddSecurityGroupIds, c.Modify.RemoveSecurityGroupIds)
				}
			}},
		{name: "route tables added", tags: tags, spec: v1alpha1.VPCEndpointSpec{RouteTableIDs: aws.StringSlice([]string{"rtb-1"})},
			fields: []string{"routeTableIDs"}},
		{name: "policy, private DNS, IP type and DNS options in one request", tags: tags, spec: v1alpha1.VPCEndpointSpec{
			PolicyDocument: aws.String(`{"Statement":[]}`), PrivateDNSEnabled: aws.Bool(false), IPAddressType: aws.String("dualstack"),
			DNSOptions: &v1alpha1.DNSOptionsSpecification{DNSRecordIPType: aws.String("dualstack"),
				PrivateDNSOnlyForInboundResolverEndpoint: aws.Bool(true)}},
			fields: []string{"policyDocument", "privateDNSEnabled", "ipAddressType", "dnsOptions"}, check: func(t *testing.T, c Changes) {
				m := c.Modify
				if aws.ToBool(m.PrivateDnsEnabled) || m.IpAddressType != "dualstack" || m.DnsOptions.DnsRecordIpType != "dualstack" ||
					!aws.ToBool(m.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint) || aws.ToString(m.VpcEndpointId) != "vpce-1" {
					t.Errorf("modify %+v", m)
				}
			}},
		{name: "tags only: no modify; aws: tags stay", spec: v1alpha1.VPCEndpointSpec{}, tags: map[string]string{"team": "web", "env": "prod"},
			fields: []string{"tags"}, check: func(t *testing.T, c Changes) {
				add, remove := model.TagDiff(awsclient.EC2TagMap(observed().Tags), c.Tags, model.TagPolicy{})
				if c.Modify != nil || len(add) != 2 || len(remove) != 0 {
					t.Errorf("%+v: add %v remove %v", c, add, remove)
				}
			}},
		{name: "a tag nobody wants is removed", spec: v1alpha1.VPCEndpointSpec{}, tags: map[string]string{},
			fields: []string{"tags"}, check: func(t *testing.T, c Changes) {
				if _, remove := model.TagDiff(awsclient.EC2TagMap(observed().Tags), c.Tags, model.TagPolicy{}); !slices.Equal(remove, []string{"team"}) {
					t.Errorf("remove %v", remove)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Diff(&tt.spec, observed(), tt.tags)
			if !slices.Equal(c.Fields, tt.fields) {
				t.Fatalf("fields %v, want %v", c.Fields, tt.fields)
			}
			if c.Empty() != (len(tt.fields) == 0) {
				t.Errorf("Empty() = %v", c.Empty())
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestCreateInput(t *testing.T) {
	spec := &v1alpha1.VPCEndpointSpec{ServiceName: aws.String("svc"), SubnetIDs: aws.StringSlice([]string{"subnet-a"})}
	in := CreateInput(spec, "vpc-cluster", map[string]string{"b": "2", "a": "1"}, "tok")
	if aws.ToString(in.VpcId) != "vpc-cluster" || in.VpcEndpointType != "Gateway" || aws.ToString(in.ClientToken) != "tok" ||
		len(in.TagSpecifications) != 1 || aws.ToString(in.TagSpecifications[0].Tags[0].Key) != "a" {
		t.Errorf("defaults: %+v", in)
	}
	spec.VPCID, spec.VPCEndpointType = aws.String("vpc-own"), aws.String("Interface")
	if in := CreateInput(spec, "vpc-cluster", nil, "tok"); aws.ToString(in.VpcId) != "vpc-own" || in.VpcEndpointType != "Interface" {
		t.Errorf("spec's VPC and type: %+v", in)
	}
}
