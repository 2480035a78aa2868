// Package model holds kelb's desired state: what AWS should contain for one
// Kubernetes object ("stack"). Builders produce it purely; deployers diff it
// against what AWS has and apply the difference. It holds no AWS clients.
package model

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// Tag keys kelb (and LBC before it) puts on every resource.
const (
	TagCluster         = "elbv2.k8s.aws/cluster"
	TagServiceStack    = "service.k8s.aws/stack"
	TagServiceResource = "service.k8s.aws/resource"
	TagResource        = "elbv2.k8s.aws/resource"
	// LBC v2 tags the resources of Ingress groups with these today (see
	// StackKind.TagKeys): current keys, not legacy ones.
	TagIngressStack    = "ingress.k8s.aws/stack"
	TagIngressResource = "ingress.k8s.aws/resource"
	// TagLegacyCluster is the cluster key of the AWS ALB Ingress Controller
	// (v1), which v2 replaced with TagCluster.
	TagLegacyCluster = "ingress.k8s.aws/cluster"
	// TagClusterUID is kelb's own: the UID of the kube-system Namespace of
	// the cluster whose kelb created the resource. It tells two clusters
	// that share a cluster name apart. Only create calls set it; tag updates
	// never add, change or remove it (TagDiff leaves it alone), so resources
	// LBC made never get it.
	TagClusterUID = "kelb.dev/cluster-uid"

	ResourceLoadBalancer   = "LoadBalancer"
	ResourceManagedLBSG    = "ManagedLBSecurityGroup"
	ResourceBackendSG      = "backend-sg"
	BackendRuleDescription = "elbv2.k8s.aws/targetGroupBinding=shared"
)

// Stack is everything one Service (or Ingress group) asks of AWS.
type Stack struct {
	// ID is the stack's kind and name (the value of its stack tag).
	ID           StackID
	LoadBalancer LoadBalancer
	Listeners    []Listener
	TargetGroups []TargetGroup
	// FrontendSG is the managed security group of the load balancer; nil when
	// the user supplies security groups or the load balancer has none.
	FrontendSG *SecurityGroup
	// BackendRules are the ports the node security groups must allow, from
	// the shared backend security group or, for a load balancer without
	// security groups, from CIDRs.
	BackendRules []BackendRule
	// Bindings are the TargetGroupBindings of the target groups, one each.
	Bindings []TargetGroupBinding
	// TagPolicy says which tags of the stack's resources kelb may remove:
	// only those it put there from the object's annotation.
	TagPolicy TagPolicy
}

// LoadBalancer is the desired load balancer.
type LoadBalancer struct {
	Name          string
	Type          string // network
	Scheme        string // internet-facing | internal
	IPAddressType string // ipv4 | dualstack
	Subnets       []string
	// SecurityGroups lists user-supplied groups; UseFrontendSG and
	// UseBackendSG add the managed ones, whose ids the deployer knows.
	SecurityGroups []string
	UseFrontendSG  bool
	UseBackendSG   bool
	// Attributes holds only the attributes the user asked for; others are
	// left as AWS has them.
	Attributes map[string]string
	Tags       map[string]string
	// SubnetMappings carry what the Service pins per subnet (Elastic IPs,
	// private IPv4 and IPv6 addresses, source-NAT prefixes), one per subnet
	// in Subnets' order; nil when it pins nothing.
	SubnetMappings []SubnetMapping
	// EnablePrefixForIPv6SourceNAT is "on" or "off", or "" when the Service
	// leaves it to AWS.
	EnablePrefixForIPv6SourceNAT string
	// PrivateLinkInboundRules (EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic)
	// is "on" or "off", or "" when the Service leaves it as AWS has it.
	PrivateLinkInboundRules string
	// MinimumCapacity is the capacity units to reserve, 0 to reset the
	// reservation; nil leaves the reservation as AWS has it.
	MinimumCapacity *int32
}

// SubnetMapping is what a load balancer pins in one subnet. Only
// SourceNATPrefix can change after creation (AWS keeps a subnet's addresses
// for the life of the load balancer).
type SubnetMapping struct {
	SubnetID        string
	AllocationID    string // Elastic IP (internet-facing)
	PrivateIPv4     string // internal
	IPv6Address     string // dualstack
	SourceNATPrefix string // a /80 of the subnet, or "auto_assigned"
}

// Listener is one listener, keyed by port.
type Listener struct {
	Port          int32
	Protocol      string // TCP | UDP | TCP_UDP | TLS
	TargetGroupID string // ResourceID of the target group it forwards to
	// Tags are the cluster, stack and resource (the port) tags plus the
	// user's, as LBC tags listeners.
	Tags         map[string]string
	Certificates []string
	SSLPolicy    string
	ALPNPolicy   string
	// Attributes holds only the listener attributes the user asked for.
	Attributes map[string]string
}

// TargetGroup is one target group, keyed by ResourceID.
type TargetGroup struct {
	ResourceID    string // "<ns>/<svc>:<port>"
	Name          string
	Protocol      string
	Port          int32
	TargetType    string // instance | ip
	IPAddressType string // ipv4 | ipv6
	HealthCheck   HealthCheck
	Attributes    map[string]string
	Tags          map[string]string
	Targets       []Target
}

// HealthCheck is a target group's health check.
type HealthCheck struct {
	Protocol           string
	Port               string // "traffic-port" or a number
	Path               string // HTTP/HTTPS only
	Matcher            string // HTTP/HTTPS only
	IntervalSeconds    int32
	TimeoutSeconds     int32
	HealthyThreshold   int32
	UnhealthyThreshold int32
}

// Target is an instance id or an IP address with its port.
type Target struct {
	ID   string
	Port int32
}

// SecurityGroup is a managed security group with its ingress rules.
type SecurityGroup struct {
	Name        string
	Description string
	Tags        map[string]string
	Ingress     []Rule
}

// Rule is one ingress permission from a CIDR, a security group or a
// managed prefix list. For icmp and icmpv6, FromPort is the ICMP type and
// ToPort the code.
type Rule struct {
	Protocol string // tcp | udp | icmp | icmpv6 | -1
	FromPort int32
	ToPort   int32
	CIDR     string // IPv4 or IPv6 CIDR, or "" with SourceSG or PrefixListID
	SourceSG string
	// PrefixListID is a managed prefix list ("pl-..."): the rule allows
	// exactly the list's entries.
	PrefixListID string
	Description  string
}

// BackendRule is a port a node security group must allow, from the backend
// security group (CIDR "") or from a CIDR.
type BackendRule struct {
	NodeSG   string
	Protocol string // tcp | udp
	Port     int32
	CIDR     string
}

// SortedBackendRules returns the rules of a set in a fixed order: node
// group, port, protocol, source.
func SortedBackendRules(set map[BackendRule]bool) []BackendRule {
	out := make([]BackendRule, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.NodeSG != b.NodeSG {
			return a.NodeSG < b.NodeSG
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.CIDR < b.CIDR
	})
	return out
}

// MergeTags returns a new map with the keys of every map, later ones winning.
func MergeTags(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// TagPolicy says which tags kelb may change on a resource besides the ones
// it wants there. The zero policy removes every key it does not want (ACK's
// behaviour for VPC endpoints); keys AWS reserves ("aws:") are always left
// alone.
type TagPolicy struct {
	// OnlyRemovable: remove only keys in Removable; tags other tools add
	// stay.
	OnlyRemovable bool
	// Removable are the keys kelb put there from the object's own tag
	// annotation, now or before.
	Removable map[string]bool
	// External are keys managed outside kelb (--external-managed-tags):
	// never set, never removed.
	External map[string]bool
}

// TagDiff returns the tags to set and the keys to remove (sorted) so that
// have gets want, as the policy allows. The cluster identity
// (TagClusterUID) is set only at creation: never added, changed or removed;
// TagOIDCClient is written only with the action it describes.
func TagDiff(have, want map[string]string, p TagPolicy) (add map[string]string, remove []string) {
	add = map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; (!ok || hv != v) && !p.External[k] && k != TagClusterUID && k != TagOIDCClient {
			add[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[k]; ok || strings.HasPrefix(k, "aws:") || k == TagClusterUID || k == TagOIDCClient || p.External[k] ||
			p.OnlyRemovable && !p.Removable[k] {
			continue
		}
		remove = append(remove, k)
	}
	return add, remove
}

// ApplyTagDiff returns have with add set and remove gone.
func ApplyTagDiff(have, add map[string]string, remove []string) map[string]string {
	out := MergeTags(have, add)
	for _, k := range remove {
		delete(out, k)
	}
	return out
}

// RuleProtocols maps a listener or target group protocol to the protocols of
// the security-group rules its traffic needs.
func RuleProtocols(p string) []string {
	switch p {
	case "UDP":
		return []string{"udp"}
	case "TCP_UDP":
		return []string{"tcp", "udp"}
	}
	return []string{"tcp"}
}
