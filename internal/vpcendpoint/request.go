package vpcendpoint

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// CreateInput is the request that creates the endpoint the spec asks for,
// tagged on create. vpcID is used when the spec names none (the cluster's
// VPC). The token makes a repeated request return the first endpoint.
func CreateInput(spec *v1alpha1.VPCEndpointSpec, vpcID string, tags map[string]string, token string) *ec2.CreateVpcEndpointInput {
	in := &ec2.CreateVpcEndpointInput{
		ServiceName:       spec.ServiceName,
		VpcId:             aws.String(vpcID),
		VpcEndpointType:   ec2types.VpcEndpointTypeGateway, // AWS's default, said explicitly
		SubnetIds:         values(spec.SubnetIDs),
		SecurityGroupIds:  values(spec.SecurityGroupIDs),
		RouteTableIds:     values(spec.RouteTableIDs),
		PolicyDocument:    spec.PolicyDocument,
		PrivateDnsEnabled: spec.PrivateDNSEnabled,
		ServiceNetworkArn: spec.ServiceNetworkARN,
		ServiceRegion:     spec.ServiceRegion,
		ClientToken:       aws.String(token),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: awsclient.EC2Tags(tags)}},
	}
	if spec.VPCID != nil {
		in.VpcId = spec.VPCID
	}
	if spec.VPCEndpointType != nil {
		in.VpcEndpointType = ec2types.VpcEndpointType(*spec.VPCEndpointType)
	}
	if spec.IPAddressType != nil {
		in.IpAddressType = ec2types.IpAddressType(*spec.IPAddressType)
	}
	if o := spec.DNSOptions; o != nil {
		in.DnsOptions = &ec2types.DnsOptionsSpecification{PrivateDnsOnlyForInboundResolverEndpoint: o.PrivateDNSOnlyForInboundResolverEndpoint}
		if o.DNSRecordIPType != nil {
			in.DnsOptions.DnsRecordIpType = ec2types.DnsRecordIpType(*o.DNSRecordIPType)
		}
	}
	return in
}

// Changes is what must change in AWS for the endpoint to match the spec.
type Changes struct {
	// Modify is nil when nothing but tags differ.
	Modify *ec2.ModifyVpcEndpointInput
	// Tags are the tags the endpoint should have, nil when it has them.
	Tags map[string]string
	// Fields names what differs, for events and logs (spec field names).
	Fields []string
}

// Empty reports whether AWS already matches.
func (c Changes) Empty() bool { return len(c.Fields) == 0 }

// Diff compares the spec with the endpoint AWS has. A field the spec leaves
// unset is AWS's to choose and never changed. Subnets, security groups and
// route tables are changed by adding and removing only the difference.
func Diff(spec *v1alpha1.VPCEndpointSpec, obs *ec2types.VpcEndpoint, tags map[string]string) Changes {
	var c Changes
	m := &ec2.ModifyVpcEndpointInput{VpcEndpointId: obs.VpcEndpointId}
	if add, remove := setDiff(values(spec.SubnetIDs), obs.SubnetIds); len(add)+len(remove) > 0 {
		m.AddSubnetIds, m.RemoveSubnetIds = add, remove
		c.Fields = append(c.Fields, "subnetIDs")
	}
	var groups []string
	for _, g := range obs.Groups {
		groups = append(groups, aws.ToString(g.GroupId))
	}
	if add, remove := setDiff(values(spec.SecurityGroupIDs), groups); len(add)+len(remove) > 0 {
		m.AddSecurityGroupIds, m.RemoveSecurityGroupIds = add, remove
		c.Fields = append(c.Fields, "securityGroupIDs")
	}
	if add, remove := setDiff(values(spec.RouteTableIDs), obs.RouteTableIds); len(add)+len(remove) > 0 {
		m.AddRouteTableIds, m.RemoveRouteTableIds = add, remove
		c.Fields = append(c.Fields, "routeTableIDs")
	}
	if spec.PolicyDocument != nil && !samePolicy(*spec.PolicyDocument, aws.ToString(obs.PolicyDocument)) {
		m.PolicyDocument = spec.PolicyDocument
		c.Fields = append(c.Fields, "policyDocument")
	}
	if spec.PrivateDNSEnabled != nil && *spec.PrivateDNSEnabled != aws.ToBool(obs.PrivateDnsEnabled) {
		m.PrivateDnsEnabled = spec.PrivateDNSEnabled
		c.Fields = append(c.Fields, "privateDNSEnabled")
	}
	if spec.IPAddressType != nil && *spec.IPAddressType != string(obs.IpAddressType) {
		m.IpAddressType = ec2types.IpAddressType(*spec.IPAddressType)
		c.Fields = append(c.Fields, "ipAddressType")
	}
	if o := spec.DNSOptions; o != nil {
		var have ec2types.DnsOptions
		if obs.DnsOptions != nil {
			have = *obs.DnsOptions
		}
		d := &ec2types.DnsOptionsSpecification{}
		changed := false
		if o.DNSRecordIPType != nil && *o.DNSRecordIPType != string(have.DnsRecordIpType) {
			d.DnsRecordIpType, changed = ec2types.DnsRecordIpType(*o.DNSRecordIPType), true
		}
		if o.PrivateDNSOnlyForInboundResolverEndpoint != nil &&
			*o.PrivateDNSOnlyForInboundResolverEndpoint != aws.ToBool(have.PrivateDnsOnlyForInboundResolverEndpoint) {
			d.PrivateDnsOnlyForInboundResolverEndpoint, changed = o.PrivateDNSOnlyForInboundResolverEndpoint, true
		}
		if changed {
			m.DnsOptions = d
			c.Fields = append(c.Fields, "dnsOptions")
		}
	}
	if len(c.Fields) > 0 {
		c.Modify = m
	}
	if add, remove := model.TagDiff(awsclient.EC2TagMap(obs.Tags), tags, model.TagPolicy{}); len(add)+len(remove) > 0 {
		c.Tags = tags
		c.Fields = append(c.Fields, "tags")
	}
	return c
}

// setDiff returns what to add to have and what to remove from it to make
// it want; an empty want is unmanaged.
func setDiff(want, have []string) (add, remove []string) {
	if len(want) == 0 {
		return nil, nil
	}
	for _, w := range want {
		if !slices.Contains(have, w) && !slices.Contains(add, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			remove = append(remove, h)
		}
	}
	return add, remove
}

// samePolicy compares two JSON documents by meaning, not by spacing or key
// order.
func samePolicy(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func values(ps []*string) []string {
	var out []string
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}
