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
	// Optional as in ACK: an endpoint of type ServiceNetwork names a
	// service network (serviceNetworkARN) instead.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="serviceName is immutable"
	ServiceName *string `json:"serviceName,omitempty"`
	// ServiceNetworkARN is the service network of an endpoint of type
	// ServiceNetwork.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="Value is immutable once set"
	ServiceNetworkARN *string `json:"serviceNetworkARN,omitempty"`
	// ServiceRegion is the Region of the service, the endpoint's own when
	// unset.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="Value is immutable once set"
	ServiceRegion *string `json:"serviceRegion,omitempty"`
	// VPCID is the VPC of the endpoint.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vpcID is immutable"
	VPCID *string `json:"vpcID,omitempty"`
	// VPCRef names an ACK VPC object whose status.vpcID is used as vpcID.
	VPCRef *AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// VPCEndpointType is Interface, Gateway (AWS's default when unset) or GatewayLoadBalancer.
	// +kubebuilder:validation:Enum=Interface;Gateway;GatewayLoadBalancer;Resource;ServiceNetwork
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vpcEndpointType is immutable"
	VPCEndpointType *string `json:"vpcEndpointType,omitempty"`
	// SubnetIDs of an Interface or GatewayLoadBalancer endpoint.
	SubnetIDs []*string `json:"subnetIDs,omitempty"`
	// SubnetRefs name ACK Subnet objects whose status.subnetID are used
	// as subnetIDs.
	SubnetRefs []*AWSResourceReferenceWrapper `json:"subnetRefs,omitempty"`
	// SecurityGroupIDs of an Interface endpoint.
	SecurityGroupIDs []*string `json:"securityGroupIDs,omitempty"`
	// SecurityGroupRefs name ACK SecurityGroup objects whose status.id are
	// used as securityGroupIDs.
	SecurityGroupRefs []*AWSResourceReferenceWrapper `json:"securityGroupRefs,omitempty"`
	// RouteTableIDs of a Gateway endpoint.
	RouteTableIDs []*string `json:"routeTableIDs,omitempty"`
	// RouteTableRefs name ACK RouteTable objects whose status.routeTableID
	// are used as routeTableIDs.
	RouteTableRefs []*AWSResourceReferenceWrapper `json:"routeTableRefs,omitempty"`
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

// AWSResourceReferenceWrapper is ACK's reference to another ACK object:
// from.name (and from.namespace, the referring object's by default).
type AWSResourceReferenceWrapper struct {
	From *AWSResourceReference `json:"from,omitempty"`
}

// AWSResourceReference names the referenced object.
type AWSResourceReference struct {
	Name      *string `json:"name,omitempty"`
	Namespace *string `json:"namespace,omitempty"`
}

// SecurityGroupIdentifier is a security group of an endpoint's network
// interfaces.
type SecurityGroupIdentifier struct {
	GroupID   *string `json:"groupID,omitempty"`
	GroupName *string `json:"groupName,omitempty"`
}

// LastError is the last error AWS reports for the endpoint.
type LastError struct {
	Code    *string `json:"code,omitempty"`
	Message *string `json:"message,omitempty"`
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
	Partition      *string `json:"partition,omitempty"`
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

// VPCEndpointStatus is the endpoint as AWS has it (ACK's fields).
type VPCEndpointStatus struct {
	// +kubebuilder:validation:Optional
	ACKResourceMetadata *ResourceMetadata `json:"ackResourceMetadata"`
	// +kubebuilder:validation:Optional
	Conditions    []*Condition `json:"conditions"`
	VPCEndpointID *string      `json:"vpcEndpointID,omitempty"`
	// State is AWS's: pendingAcceptance, pending, available, deleting,
	// deleted, rejected, failed, expired, partial.
	State               *string                    `json:"state,omitempty"`
	DNSEntries          []*DNSEntry                `json:"dnsEntries,omitempty"`
	Groups              []*SecurityGroupIdentifier `json:"groups,omitempty"`
	LastError           *LastError                 `json:"lastError,omitempty"`
	NetworkInterfaceIDs []*string                  `json:"networkInterfaceIDs,omitempty"`
	OwnerID             *string                    `json:"ownerID,omitempty"`
	CreationTimestamp   *metav1.Time               `json:"creationTimestamp,omitempty"`
	RequesterManaged    *bool                      `json:"requesterManaged,omitempty"`
}

// VPCEndpoint is an AWS VPC endpoint.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="ID",type=string,priority=0,JSONPath=`.status.vpcEndpointID`
// +kubebuilder:printcolumn:name="state",type=string,priority=0,JSONPath=`.status.state`
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
