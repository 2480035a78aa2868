package vpcendpoint

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

// Endpoint states, as AWS writes them.
const (
	StatePending           = "pending"
	StatePendingAcceptance = "pendingAcceptance"
	StateAvailable         = "available"
	StateDeleting          = "deleting"
	StateDeleted           = "deleted"
	StateRejected          = "rejected"
	StateFailed            = "failed"
	StateExpired           = "expired"
	StatePartial           = "partial"
)

// Transitional reports whether AWS will move the endpoint out of state by
// itself (or the service provider will): such endpoints are followed
// closely.
func Transitional(state string) bool {
	switch state {
	case StatePending, StatePendingAcceptance, StateDeleting, StatePartial:
		return true
	}
	return false
}

// FailedState reports whether state is one AWS leaves only when someone acts.
func FailedState(state string) bool {
	return state == StateRejected || state == StateFailed || state == StateExpired
}

// Gone reports whether the endpoint no longer exists (AWS lists deleted
// endpoints for a while, then not at all).
func Gone(obs *ec2types.VpcEndpoint) bool { return obs == nil || string(obs.State) == StateDeleted }

// SetObserved writes what AWS says of the endpoint into the status.
func SetObserved(st *v1alpha1.VPCEndpointStatus, obs *ec2types.VpcEndpoint, region string) {
	id, owner := aws.ToString(obs.VpcEndpointId), aws.ToString(obs.OwnerId)
	st.VPCEndpointID = aws.String(id)
	st.State = aws.String(string(obs.State))
	st.OwnerID = obs.OwnerId
	st.RequesterManaged = obs.RequesterManaged
	st.LastError = nil
	if e := obs.LastError; e != nil {
		st.LastError = &v1alpha1.LastError{Code: e.Code, Message: e.Message}
	}
	partition := Partition(region)
	st.ACKResourceMetadata = &v1alpha1.ResourceMetadata{OwnerAccountID: aws.String(owner), Region: aws.String(region),
		Partition: aws.String(partition),
		ARN:       aws.String(fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-endpoint/%s", partition, region, owner, id))}
	st.Groups = nil
	for _, g := range obs.Groups {
		st.Groups = append(st.Groups, &v1alpha1.SecurityGroupIdentifier{GroupID: g.GroupId, GroupName: g.GroupName})
	}
	st.DNSEntries = nil
	for _, d := range obs.DnsEntries {
		st.DNSEntries = append(st.DNSEntries, &v1alpha1.DNSEntry{DNSName: d.DnsName, HostedZoneID: d.HostedZoneId})
	}
	st.NetworkInterfaceIDs = nil
	for _, n := range obs.NetworkInterfaceIds {
		st.NetworkInterfaceIDs = append(st.NetworkInterfaceIDs, aws.String(n))
	}
	if obs.CreationTimestamp != nil {
		t := metav1.NewTime(obs.CreationTimestamp.UTC().Truncate(1e9))
		st.CreationTimestamp = &t
	}
}

// FailureReason is why AWS says the endpoint failed: its failure reason,
// else its last error, "" when it says neither.
func FailureReason(obs *ec2types.VpcEndpoint) string {
	switch {
	case obs == nil:
		return ""
	case aws.ToString(obs.FailureReason) != "":
		return aws.ToString(obs.FailureReason)
	case obs.LastError != nil:
		return aws.ToString(obs.LastError.Message)
	}
	return ""
}

// Partition is the AWS partition of a region, as ACK writes it into
// ackResourceMetadata.partition and ARNs.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	}
	return "aws"
}

// SpecFrom returns the spec of an endpoint as AWS has it: what a strict
// adoption writes into the object.
func SpecFrom(obs *ec2types.VpcEndpoint, keep v1alpha1.VPCEndpointSpec) v1alpha1.VPCEndpointSpec {
	s := v1alpha1.VPCEndpointSpec{
		ServiceName:       obs.ServiceName,
		VPCID:             obs.VpcId,
		VPCEndpointType:   aws.String(string(obs.VpcEndpointType)),
		PolicyDocument:    obs.PolicyDocument,
		PrivateDNSEnabled: obs.PrivateDnsEnabled,
		Tags:              UserTags(obs.Tags),
	}
	for _, id := range obs.SubnetIds {
		s.SubnetIDs = append(s.SubnetIDs, aws.String(id))
	}
	for _, g := range obs.Groups {
		s.SecurityGroupIDs = append(s.SecurityGroupIDs, g.GroupId)
	}
	for _, id := range obs.RouteTableIds {
		s.RouteTableIDs = append(s.RouteTableIDs, aws.String(id))
	}
	if obs.IpAddressType != "" {
		s.IPAddressType = aws.String(string(obs.IpAddressType))
	}
	if o := obs.DnsOptions; o != nil && o.DnsRecordIpType != "" {
		s.DNSOptions = &v1alpha1.DNSOptionsSpecification{DNSRecordIPType: aws.String(string(o.DnsRecordIpType)),
			PrivateDNSOnlyForInboundResolverEndpoint: o.PrivateDnsOnlyForInboundResolverEndpoint}
	}
	// Fields the API server keeps immutable stay as the user wrote them
	// when they were set (a mismatch is refused before adoption).
	if keep.VPCID == nil {
		s.VPCID = nil
	}
	if keep.VPCEndpointType == nil {
		s.VPCEndpointType = nil
	}
	if keep.ServiceName == nil && keep.ServiceNetworkARN != nil {
		s.ServiceName = nil
	}
	s.ServiceNetworkARN, s.ServiceRegion = keep.ServiceNetworkARN, keep.ServiceRegion
	// References stay, and the ids they resolve to stay out of the spec
	// (ACK refuses an id with its reference).
	s.VPCRef, s.SubnetRefs, s.SecurityGroupRefs, s.RouteTableRefs = keep.VPCRef, keep.SubnetRefs, keep.SecurityGroupRefs, keep.RouteTableRefs
	if keep.VPCRef != nil {
		s.VPCID = nil
	}
	if len(keep.SubnetRefs) > 0 {
		s.SubnetIDs = nil
	}
	if len(keep.SecurityGroupRefs) > 0 {
		s.SecurityGroupIDs = nil
	}
	if len(keep.RouteTableRefs) > 0 {
		s.RouteTableIDs = nil
	}
	return s
}
