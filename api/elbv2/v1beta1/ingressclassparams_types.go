package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// IPAddressType is the address family of a load balancer.
// +kubebuilder:validation:Enum=ipv4;dualstack;dualstack-without-public-ipv4
type IPAddressType string

// The load balancer address families.
const (
	IPAddressTypeIPV4                       IPAddressType = "ipv4"
	IPAddressTypeDualStack                  IPAddressType = "dualstack"
	IPAddressTypeDualStackWithoutPublicIPV4 IPAddressType = "dualstack-without-public-ipv4"
)

// LoadBalancerScheme says whether a load balancer is reachable from the
// internet (internet-facing) or only from inside the VPC (internal).
// +kubebuilder:validation:Enum=internal;internet-facing
type LoadBalancerScheme string

// The load balancer schemes.
const (
	LoadBalancerSchemeInternal       LoadBalancerScheme = "internal"
	LoadBalancerSchemeInternetFacing LoadBalancerScheme = "internet-facing"
)

// IngressGroup names the group the class's Ingresses join.
type IngressGroup struct {
	// Name of the IngressGroup.
	Name string `json:"name"`
}

// Tag is an AWS tag.
type Tag struct {
	// Key of the tag.
	Key string `json:"key"`
	// Value of the tag.
	Value string `json:"value"`
}

// Attribute is a key/value attribute of an AWS resource (load balancer,
// listener).
type Attribute struct {
	// Key of the attribute.
	Key string `json:"key"`
	// Value of the attribute.
	Value string `json:"value"`
}

// SubnetID is an EC2 subnet ID.
// +kubebuilder:validation:Pattern=subnet-[0-9a-f]+
type SubnetID string

// SubnetSelector picks the load balancer's subnets by ID or by tags, not both
// (LBC's webhook rules, here as CEL).
//
// +kubebuilder:validation:XValidation:rule="has(self.ids) || has(self.tags)",message="must have either `ids` or `tags`"
// +kubebuilder:validation:XValidation:rule="!(has(self.ids) && has(self.tags))",message="may not have both `ids` and `tags` set"
type SubnetSelector struct {
	// IDs of the subnets; set this or tags.
	// A set: the API server refuses a repeated ID ("Duplicate value"), as
	// LBC's webhook does.
	// +kubebuilder:validation:MinItems=1
	// +listType=set
	// +optional
	IDs []SubnetID `json:"ids,omitempty"`

	// Tags select the subnets of the load balancer's VPC that carry, for each
	// key, one of the listed values; set this or ids.
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must have at least one tag key"
	// +optional
	Tags map[string]SubnetTagValues `json:"tags,omitempty"`
}

// SubnetTagValues are the accepted values of one subnet tag key. A set: the
// API server refuses a repeated value ("Duplicate value"), as LBC's webhook
// does.
// +listType=set
type SubnetTagValues []string

// Listener is a listener's protocol, port and attributes.
type Listener struct {
	// Protocol of the listener.
	Protocol string `json:"protocol,omitempty"`
	// Port of the listener.
	Port int32 `json:"port,omitempty"`
	// ListenerAttributes of the listener.
	ListenerAttributes []Attribute `json:"listenerAttributes,omitempty"`
}

// MinimumLoadBalancerCapacity is a capacity reservation.
type MinimumLoadBalancerCapacity struct {
	// CapacityUnits reserved.
	CapacityUnits int32 `json:"capacityUnits"`
}

// IPAMConfiguration takes the load balancer's addresses from an IPAM pool.
type IPAMConfiguration struct {
	// IPv4IPAMPoolId is the pool of the IPv4 addresses.
	// +optional
	IPv4IPAMPoolId *string `json:"ipv4IPAMPoolId,omitempty"`
}

// IngressClassParamsSpec holds the settings for every Ingress of the
// IngressClass that references these params; they override the Ingresses'
// annotations.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.prefixListsIDs) && has(self.PrefixListsIDs))",message="cannot specify both 'prefixListsIDs' and 'PrefixListsIDs' fields"
type IngressClassParamsSpec struct {
	// NamespaceSelector limits the namespaces whose Ingresses may use the
	// class; every namespace when absent or empty.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// Group is the IngressGroup every Ingress of the class joins.
	// +optional
	Group *IngressGroup `json:"group,omitempty"`

	// Scheme of the load balancers.
	// +optional
	Scheme *LoadBalancerScheme `json:"scheme,omitempty"`

	// InboundCIDRs are the sources allowed to reach the load balancers.
	// The bounds let the API server accept the CEL rules' cost and refuse
	// nothing that could work: no CIDR is longer than 43 characters, and a
	// security group holds at most 1000 rules.
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:XValidation:rule="self.all(c, isCIDR(c))",message="Could not be parsed as a CIDR"
	// +kubebuilder:validation:XValidation:rule="self.all(c, !isCIDR(c) || cidr(c).ip() == cidr(c).masked().ip())",message="Network contains bits outside prefix"
	// +optional
	InboundCIDRs []string `json:"inboundCIDRs,omitempty"`

	// CertificateArn lists the certificates of the HTTPS listeners.
	// +optional
	CertificateArn []string `json:"certificateArn,omitempty"`

	// SSLPolicy of the HTTPS listeners.
	// +optional
	SSLPolicy string `json:"sslPolicy,omitempty"`

	// SSLRedirectPort is the HTTPS port HTTP requests are redirected to.
	// +optional
	SSLRedirectPort string `json:"sslRedirectPort,omitempty"`

	// Subnets of the load balancers.
	// +optional
	Subnets *SubnetSelector `json:"subnets,omitempty"`

	// IPAddressType of the load balancers.
	// +optional
	IPAddressType *IPAddressType `json:"ipAddressType,omitempty"`

	// Tags on the AWS resources made for the class's Ingresses.
	// +optional
	Tags []Tag `json:"tags,omitempty"`

	// TargetType of the class's target groups.
	// +optional
	TargetType TargetType `json:"targetType,omitempty"`

	// LoadBalancerName is the name of the load balancer.
	// +optional
	LoadBalancerName string `json:"loadBalancerName,omitempty"`

	// LoadBalancerAttributes of the load balancers.
	// +optional
	LoadBalancerAttributes []Attribute `json:"loadBalancerAttributes,omitempty"`

	// Listeners sets attributes of listeners by protocol and port.
	// +optional
	Listeners []Listener `json:"listeners,omitempty"`

	// MinimumLoadBalancerCapacity is the load balancers' capacity
	// reservation.
	// +optional
	MinimumLoadBalancerCapacity *MinimumLoadBalancerCapacity `json:"minimumLoadBalancerCapacity,omitempty"`

	// IPAMConfiguration of the load balancers.
	// +optional
	IPAMConfiguration *IPAMConfiguration `json:"ipamConfiguration,omitempty"`

	// PrefixListsIDs are managed prefix lists allowed to reach the load
	// balancers.
	// +optional
	PrefixListsIDs []string `json:"prefixListsIDs,omitempty"`

	// PrefixListsIDsLegacy is LBC's first spelling of prefixListsIDs, still
	// accepted; set one of the two.
	// +optional
	PrefixListsIDsLegacy []string `json:"PrefixListsIDs,omitempty"`

	// WAFv2ACLArn is the WAFv2 web ACL of the load balancers, by ARN.
	// +optional
	WAFv2ACLArn string `json:"wafv2AclArn,omitempty"`

	// WAFv2ACLName is the WAFv2 web ACL of the load balancers, by name.
	// +optional
	WAFv2ACLName string `json:"wafv2AclName,omitempty"`
}

// IngressClassParams are the settings an IngressClass points to through
// spec.parameters.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,path=ingressclassparams,singular=ingressclassparam
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="GROUP-NAME",type="string",JSONPath=".spec.group.name",description="The Ingress Group name"
// +kubebuilder:printcolumn:name="SCHEME",type="string",JSONPath=".spec.scheme",description="The AWS Load Balancer scheme"
// +kubebuilder:printcolumn:name="IP-ADDRESS-TYPE",type="string",JSONPath=".spec.ipAddressType",description="The AWS Load Balancer ipAddressType"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type IngressClassParams struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec IngressClassParamsSpec `json:"spec,omitempty"`
}

// IngressClassParamsList is a list of IngressClassParams.
//
// +kubebuilder:object:root=true
type IngressClassParamsList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []IngressClassParams `json:"items"`
}

func init() {
	SchemeBuilder.Register(&IngressClassParams{}, &IngressClassParamsList{})
}
