package vpcendpoint

import (
	"fmt"

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
	st.FailureReason = obs.FailureReason
	if obs.LastError != nil && st.FailureReason == nil {
		st.FailureReason = obs.LastError.Message
	}
	st.ACKResourceMetadata = &v1alpha1.ResourceMetadata{OwnerAccountID: aws.String(owner), Region: aws.String(region),
		ARN: aws.String(fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint/%s", region, owner, id))}
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
	return s
}
