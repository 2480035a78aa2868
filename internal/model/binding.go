package model

// Labels LBC puts on the TargetGroupBindings of a Service's stack; the
// deployer finds a stack's bindings by them.
const (
	LabelServiceStackNamespace = "service.k8s.aws/stack-namespace"
	LabelServiceStackName      = "service.k8s.aws/stack-name"
	// An implicit Ingress group's bindings carry the Ingress's namespace
	// and name; an explicit group's carry the group name.
	LabelIngressStackNamespace = "ingress.k8s.aws/stack-namespace"
	LabelIngressStackName      = "ingress.k8s.aws/stack-name"
	LabelIngressStack          = "ingress.k8s.aws/stack"
)

// BindingLabels are the labels LBC puts on the TargetGroupBindings of a
// stack, and the namespace they are in ("" for an explicit Ingress group:
// its members' namespaces).
func BindingLabels(id StackID) (namespace string, labels map[string]string) {
	ns, name, implicit := id.NamespacedName()
	switch {
	case id.Kind == ServiceKind:
		return ns, map[string]string{LabelServiceStackNamespace: ns, LabelServiceStackName: name}
	case implicit:
		return ns, map[string]string{LabelIngressStackNamespace: ns, LabelIngressStackName: name}
	}
	return "", map[string]string{LabelIngressStack: id.Name}
}

// TargetGroupBinding is the TargetGroupBinding object (elbv2.k8s.aws) one
// target group gets, as LBC makes it: the binding controller keeps the
// target group's members and the targets' security-group rules from it.
// What only AWS knows (the target group's ARN, the backend group's id, the
// VPC) the deployer fills in.
type TargetGroupBinding struct {
	Namespace string
	// Name is the target group's name.
	Name   string
	Labels map[string]string
	// TargetGroupID is the ResourceID of the target group it binds.
	TargetGroupID string
	TargetType    string // instance | ip
	IPAddressType string // ipv4 | ipv6
	ServiceName   string
	ServicePort   int32
	// ServicePortName, when set, is the Service port by name: an Ingress
	// backend that names its port (port.name) gets serviceRef.port as that
	// name, as LBC writes it, so that a switch rewrites no binding.
	ServicePortName string
	// NodeSelector selects the nodes of an instance target group; nil for all.
	NodeSelector            map[string]string
	MultiClusterTargetGroup bool
	// Networking is nil when the binding controller manages no rules.
	Networking *BindingNetworking
}

// BindingNetworking is the traffic allowed into the targets.
type BindingNetworking struct {
	Ingress []BindingIngressRule
}

// BindingIngressRule lets its sources reach its ports.
type BindingIngressRule struct {
	From  []BindingPeer
	Ports []BindingPort
}

// BindingPeer is a CIDR, or the backend security group (whose id the
// deployer knows).
type BindingPeer struct {
	CIDR      string
	BackendSG bool
}

// BindingPort is a protocol and a port on the targets.
type BindingPort struct {
	Protocol string // TCP | UDP
	// Port is a number, a pod's port name (ip targets), or "" for every port.
	Port string
}
