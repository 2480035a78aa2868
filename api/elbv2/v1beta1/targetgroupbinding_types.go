package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TargetType says what a target group's targets are: nodes on the Service's
// NodePort (instance) or pods on their container port (ip).
// +kubebuilder:validation:Enum=instance;ip
type TargetType string

// The target types.
const (
	TargetTypeInstance TargetType = "instance"
	TargetTypeIP       TargetType = "ip"
)

// TargetGroupIPAddressType is the address family of a target group.
// +kubebuilder:validation:Enum=ipv4;ipv6
type TargetGroupIPAddressType string

// The target group address families.
const (
	TargetGroupIPAddressTypeIPv4 TargetGroupIPAddressType = "ipv4"
	TargetGroupIPAddressTypeIPv6 TargetGroupIPAddressType = "ipv6"
)

// TargetGroupProtocol is the protocol of a target group.
// +kubebuilder:validation:Enum=HTTP;HTTPS;TCP;TLS;UDP;TCP_UDP;QUIC;TCP_QUIC
type TargetGroupProtocol string

// The target group protocols.
const (
	TargetGroupProtocolHTTP    TargetGroupProtocol = "HTTP"
	TargetGroupProtocolHTTPS   TargetGroupProtocol = "HTTPS"
	TargetGroupProtocolTCP     TargetGroupProtocol = "TCP"
	TargetGroupProtocolTLS     TargetGroupProtocol = "TLS"
	TargetGroupProtocolUDP     TargetGroupProtocol = "UDP"
	TargetGroupProtocolTCPUDP  TargetGroupProtocol = "TCP_UDP"
	TargetGroupProtocolQUIC    TargetGroupProtocol = "QUIC"
	TargetGroupProtocolTCPQUIC TargetGroupProtocol = "TCP_QUIC"
)

// NetworkingProtocol is the protocol of a networking rule's port.
// +kubebuilder:validation:Enum=TCP;UDP
type NetworkingProtocol string

// The networking rule protocols.
const (
	NetworkingProtocolTCP NetworkingProtocol = "TCP"
	NetworkingProtocolUDP NetworkingProtocol = "UDP"
)

// ServiceReference names the Service, and its port, whose endpoints are the
// targets.
type ServiceReference struct {
	// Name of the Service in the binding's namespace.
	Name string `json:"name"`
	// Port of the Service: its number or its name.
	Port intstr.IntOrString `json:"port"`
}

// IPBlock is a CIDR allowed to reach the targets.
type IPBlock struct {
	// CIDR is an IPv4 or IPv6 network.
	CIDR string `json:"cidr"`
}

// SecurityGroup is an EC2 security group allowed to reach the targets.
type SecurityGroup struct {
	// GroupID is the security group's ID.
	GroupID string `json:"groupID"`
}

// NetworkingPeer is one source of traffic: an IP block or a security group.
type NetworkingPeer struct {
	// IPBlock is a CIDR source; set it or securityGroup, not both.
	// +optional
	IPBlock *IPBlock `json:"ipBlock,omitempty"`
	// SecurityGroup is a security-group source; set it or ipBlock, not both.
	// +optional
	SecurityGroup *SecurityGroup `json:"securityGroup,omitempty"`
}

// NetworkingPort is a port, and its protocol, that the sources may reach.
type NetworkingPort struct {
	// Protocol of the traffic; TCP when unset.
	Protocol *NetworkingProtocol `json:"protocol,omitempty"`
	// Port on the targets; every port when unset. A number for instance
	// targets; a number or a pod's port name for ip targets.
	// +optional
	Port *intstr.IntOrString `json:"port,omitempty"`
}

// NetworkingIngressRule lets a set of sources reach a set of ports on the
// targets.
type NetworkingIngressRule struct {
	// From lists the sources; at least one.
	From []NetworkingPeer `json:"from"`
	// Ports lists the ports; every TCP port when empty.
	Ports []NetworkingPort `json:"ports"`
}

// TargetGroupBindingNetworking is the traffic the controller allows into the
// targets' security groups.
type TargetGroupBindingNetworking struct {
	// Ingress rules for traffic from the load balancer to the targets.
	// +optional
	Ingress []NetworkingIngressRule `json:"ingress,omitempty"`
}

// TargetGroupBindingSpec is the target group and the Service whose endpoints
// are registered in it.
//
// LBC's webhook checks these; kelb has no webhook, so the API server does:
// +kubebuilder:validation:XValidation:rule="(has(self.targetGroupARN) && size(self.targetGroupARN) > 0) || (has(self.targetGroupName) && size(self.targetGroupName) > 0)",message="TargetGroupBinding must specify these fields: either TargetGroupARN or TargetGroupName"
// +kubebuilder:validation:XValidation:rule="!(has(self.nodeSelector) && has(self.targetType) && self.targetType == 'ip')",message="TargetGroupBinding cannot set NodeSelector when TargetType is ip"
// +kubebuilder:validation:XValidation:rule="!(has(self.iamRoleArnToAssume) && size(self.iamRoleArnToAssume) > 0 && has(self.targetType) && self.targetType == 'instance')",message="Unable to use instance target type while using assume role"
// +kubebuilder:validation:XValidation:rule="!(has(self.targetGroupProtocol) && self.targetGroupProtocol in ['QUIC', 'TCP_QUIC'] && has(self.targetType) && self.targetType == 'instance')",message="QUIC protocol is not supported for Instance target types."
//
// Fields AWS cannot change, or that the binding's identity rests on, are
// immutable once set (LBC's webhook fills them at creation; kelb may fill an
// unset one later, so setting an unset field is allowed where LBC allows it):
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.targetGroupARN) || size(oldSelf.targetGroupARN) == 0 || (has(self.targetGroupARN) && self.targetGroupARN == oldSelf.targetGroupARN)",message="TargetGroupBinding update may not change these immutable fields: spec.targetGroupARN"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.targetType) || (has(self.targetType) && self.targetType == oldSelf.targetType)",message="TargetGroupBinding update may not change these immutable fields: spec.targetType"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.ipAddressType) ? (has(self.ipAddressType) && self.ipAddressType == oldSelf.ipAddressType) : (!has(self.ipAddressType) || self.ipAddressType == 'ipv4')",message="TargetGroupBinding update may not change these immutable fields: spec.ipAddressType"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.vpcID) || size(oldSelf.vpcID) == 0 || (has(self.vpcID) && self.vpcID == oldSelf.vpcID)",message="TargetGroupBinding update may not change these immutable fields: spec.vpcID"
type TargetGroupBindingSpec struct {
	// TargetGroupARN is the target group's ARN. Either it or targetGroupName
	// is required.
	TargetGroupARN string `json:"targetGroupARN,omitempty"`

	// TargetGroupName is the target group's name, used to find its ARN when
	// targetGroupARN is unset.
	TargetGroupName string `json:"targetGroupName,omitempty"`

	// TargetType is the target group's target type; read from the target
	// group when unset.
	// +optional
	TargetType *TargetType `json:"targetType,omitempty"`

	// ServiceRef is the Service, and its port, whose endpoints are the targets.
	ServiceRef ServiceReference `json:"serviceRef"`

	// Networking is the traffic allowed from the load balancer to the targets.
	// +optional
	Networking *TargetGroupBindingNetworking `json:"networking,omitempty"`

	// NodeSelector limits the nodes registered in an instance target group.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`

	// IPAddressType is the target group's address family; read from the
	// target group when unset.
	// +optional
	IPAddressType *TargetGroupIPAddressType `json:"ipAddressType,omitempty"`

	// VpcID is the target group's VPC; read from the target group when unset.
	// +kubebuilder:validation:XValidation:rule="self == '' || self.matches('^(?:vpc-[0-9a-f]{8}|vpc-[0-9a-f]{17}|vpc-[0-9a-f]{32})$')",message="ValidationError: vpcID failed to satisfy constraint: VPC Id must begin with 'vpc-' followed by 8, 17 or 32 lowercase letters (a-f) or numbers."
	// +optional
	VpcID string `json:"vpcID,omitempty"`

	// IamRoleArnToAssume is a role to assume for the AWS calls about this
	// target group, e.g. when it is in another account.
	// +optional
	IamRoleArnToAssume string `json:"iamRoleArnToAssume,omitempty"`

	// AssumeRoleExternalId is the external ID given when assuming
	// iamRoleArnToAssume (guards against the confused-deputy problem).
	// +optional
	AssumeRoleExternalId string `json:"assumeRoleExternalId,omitempty"`

	// MultiClusterTargetGroup says the target group is shared with other
	// clusters: only the targets this binding registered are deregistered.
	// +optional
	MultiClusterTargetGroup bool `json:"multiClusterTargetGroup,omitempty"`

	// TargetGroupProtocol is the target group's protocol; read from the
	// target group when unset.
	// +optional
	TargetGroupProtocol *TargetGroupProtocol `json:"targetGroupProtocol,omitempty"`
}

// TargetGroupBindingStatus is what the controller last observed.
type TargetGroupBindingStatus struct {
	// ObservedGeneration is the generation the controller last reconciled.
	// +optional
	ObservedGeneration *int64 `json:"observedGeneration,omitempty"`

	// Conditions report the binding's state (kelb's addition; LBC reports
	// only through events).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TargetGroupBinding registers a Service's endpoints in an existing target
// group and opens the targets' security groups to it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="SERVICE-NAME",type="string",JSONPath=".spec.serviceRef.name",description="The Kubernetes Service's name"
// +kubebuilder:printcolumn:name="SERVICE-PORT",type="string",JSONPath=".spec.serviceRef.port",description="The Kubernetes Service's port"
// +kubebuilder:printcolumn:name="TARGET-TYPE",type="string",JSONPath=".spec.targetType",description="The AWS TargetGroup's TargetType"
// +kubebuilder:printcolumn:name="ARN",type="string",JSONPath=".spec.targetGroupARN",description="The AWS TargetGroup's Amazon Resource Name",priority=1
// +kubebuilder:printcolumn:name="NAME",type="string",JSONPath=".spec.targetGroupName",description="The AWS TargetGroup's Name",priority=2
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type TargetGroupBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TargetGroupBindingSpec   `json:"spec,omitempty"`
	Status TargetGroupBindingStatus `json:"status,omitempty"`
}

// TargetGroupBindingList is a list of TargetGroupBindings.
//
// +kubebuilder:object:root=true
type TargetGroupBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TargetGroupBinding `json:"items"`
}

func init() {
	SchemeBuilder.Register(&TargetGroupBinding{}, &TargetGroupBindingList{})
}
