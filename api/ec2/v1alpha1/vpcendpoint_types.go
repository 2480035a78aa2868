package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VPCEndpointSpec is the endpoint as the user wants it (ACK's fields).
// Fields AWS cannot change after creation are immutable here, so a change is
// refused by the API server instead of looping in the controller.
//
// +kubebuilder:validation:XValidation:rule="has(self.vpcID) == has(oldSelf.vpcID)",message="vpcID is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.vpcEndpointType) == has(oldSelf.vpcEndpointType)",message="vpcEndpointType is immutable"
type VPCEndpointSpec struct {
	// ServiceName is the endpoint service, e.g. com.amazonaws.us-west-2.s3.
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="serviceName is immutable"
	ServiceName *string `json:"serviceName"`
	// VPCID is the VPC of the endpoint.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vpcID is immutable"
	VPCID *string `json:"vpcID,omitempty"`
	// VPCEndpointType is Interface, Gateway (AWS's default when unset) or GatewayLoadBalancer.
	// +kubebuilder:validation:Enum=Interface;Gateway;GatewayLoadBalancer;Resource;ServiceNetwork
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vpcEndpointType is immutable"
	VPCEndpointType *string `json:"vpcEndpointType,omitempty"`
	// SubnetIDs of an Interface or GatewayLoadBalancer endpoint.
	SubnetIDs []*string `json:"subnetIDs,omitempty"`
	// SecurityGroupIDs of an Interface endpoint.
	SecurityGroupIDs []*string `json:"securityGroupIDs,omitempty"`
	// RouteTableIDs of a Gateway endpoint.
	RouteTableIDs []*string `json:"routeTableIDs,omitempty"`
	// PolicyDocument is the endpoint policy, a JSON document.
	PolicyDocument *string `json:"policyDocument,omitempty"`
	// PrivateDNSEnabled associates a private hosted zone (Interface endpoints).
	PrivateDNSEnabled *bool `json:"privateDNSEnabled,omitempty"`
	// IPAddressType is ipv4, dualstack or ipv6.
	// +kubebuilder:validation:Enum=ipv4;dualstack;ipv6
	IPAddressType *string `json:"ipAddressType,omitempty"`
	// DNSOptions of the endpoint.
	DNSOptions *DNSOptionsSpecification `json:"dnsOptions,omitempty"`
	// Tags on the endpoint, besides the ones kelb adds.
	Tags []*Tag `json:"tags,omitempty"`
}

// DNSOptionsSpecification are an endpoint's DNS options.
type DNSOptionsSpecification struct {
	// DNSRecordIPType is ipv4, dualstack, ipv6 or service-defined.
	DNSRecordIPType *string `json:"dnsRecordIPType,omitempty"`
	// PrivateDNSOnlyForInboundResolverEndpoint limits private DNS to inbound
	// Resolver endpoints.
	PrivateDNSOnlyForInboundResolverEndpoint *bool `json:"privateDNSOnlyForInboundResolverEndpoint,omitempty"`
}

// Tag is a key and a value.
type Tag struct {
	Key   *string `json:"key,omitempty"`
	Value *string `json:"value,omitempty"`
}

// DNSEntry is one DNS name of an endpoint.
type DNSEntry struct {
	DNSName      *string `json:"dnsName,omitempty"`
	HostedZoneID *string `json:"hostedZoneID,omitempty"`
}

// ResourceMetadata is ACK's record of where the AWS resource lives.
type ResourceMetadata struct {
	ARN            *string `json:"arn,omitempty"`
	OwnerAccountID *string `json:"ownerAccountID"`
	Region         *string `json:"region"`
}

// Condition is an ACK condition: ACK.ResourceSynced, ACK.Terminal,
// ACK.Recoverable or Ready.
type Condition struct {
	Type               string                 `json:"type"`
	Status             metav1.ConditionStatus `json:"status"`
	LastTransitionTime *metav1.Time           `json:"lastTransitionTime,omitempty"`
	Reason             *string                `json:"reason,omitempty"`
	Message            *string                `json:"message,omitempty"`
	// ObservedGeneration is the generation the condition was computed for.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// VPCEndpointStatus is the endpoint as AWS has it.
type VPCEndpointStatus struct {
	ACKResourceMetadata *ResourceMetadata `json:"ackResourceMetadata,omitempty"`
	Conditions          []*Condition      `json:"conditions,omitempty"`
	VPCEndpointID       *string           `json:"vpcEndpointID,omitempty"`
	// State is AWS's: pendingAcceptance, pending, available, deleting,
	// deleted, rejected, failed, expired.
	State               *string      `json:"state,omitempty"`
	DNSEntries          []*DNSEntry  `json:"dnsEntries,omitempty"`
	NetworkInterfaceIDs []*string    `json:"networkInterfaceIDs,omitempty"`
	OwnerID             *string      `json:"ownerID,omitempty"`
	CreationTimestamp   *metav1.Time `json:"creationTimestamp,omitempty"`
	RequesterManaged    *bool        `json:"requesterManaged,omitempty"`
	FailureReason       *string      `json:"failureReason,omitempty"`
}

// VPCEndpoint is an AWS VPC endpoint.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=".status.vpcEndpointID"
// +kubebuilder:printcolumn:name="STATE",type=string,JSONPath=".status.state"
// +kubebuilder:printcolumn:name="READY",type=string,JSONPath=".status.conditions[?(@.type==\"Ready\")].status"
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=".metadata.creationTimestamp"
type VPCEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   VPCEndpointSpec   `json:"spec,omitempty"`
	Status VPCEndpointStatus `json:"status,omitempty"`
}

// VPCEndpointList is a list of VPCEndpoints.
//
// +kubebuilder:object:root=true
type VPCEndpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VPCEndpoint `json:"items"`
}

func init() { SchemeBuilder.Register(&VPCEndpoint{}, &VPCEndpointList{}) }
