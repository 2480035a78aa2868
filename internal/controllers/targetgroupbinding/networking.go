package targetgroupbinding

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

// A binding's spec.networking says what may reach its targets. Before a
// target is registered, the security group of its node (instance targets)
// or of its pod's node (ip targets) must let that in: otherwise a load
// balancer sends traffic, and health checks, where nothing lets them in,
// and a new node port is exposed only to be closed again. So the binding
// controller computes the rules from the networking and the targets it is
// about to register, and has the node-rules writer (the one writer of
// those rules) add them first.

// placedTarget is a target and the node security group it is reached in
// ("" when its node's group is unknown: nothing is written for it).
type placedTarget struct {
	target model.Target
	nodeSG string
}

// networkingRules are the node rules a binding's networking asks for on
// the groups of its targets, as LBC's networking manager computes them,
// with two deliberate differences:
//   - a port left out (or a rule without ports) stands for the ports the
//     binding's targets receive traffic on, not every port (LBC opens
//     0-65535): the rules never open more than the targets use;
//   - a named port resolves to the targets' ports only when it is the name
//     the Service port's targets are reached by (targetPortName); another
//     name is left out (reported in skipped), as kelb reads no pod specs.
//
// A securityGroup peer is written only when it is the backend group kelb
// manages rules from (backendSG): rules from any other group are not
// kelb's to write yet and are reported in skipped. An ipBlock peer whose
// CIDR does not parse is an invalid spec (nothing is written).
func networkingRules(n *elbv2api.TargetGroupBindingNetworking, backendSG, targetPortName string,
	placed []placedTarget) (rules []model.BackendRule, skipped []string, err error) {
	if n == nil {
		return nil, nil, nil
	}
	groups := map[string]map[int32]bool{} // node group -> the ports its targets receive
	for _, p := range placed {
		if p.nodeSG == "" {
			continue
		}
		if groups[p.nodeSG] == nil {
			groups[p.nodeSG] = map[int32]bool{}
		}
		groups[p.nodeSG][p.target.Port] = true
	}
	seen := map[model.BackendRule]bool{}
	skip := map[string]bool{}
	for i, rule := range n.Ingress {
		ports := rule.Ports
		if len(ports) == 0 {
			ports = []elbv2api.NetworkingPort{{}} // every TCP port of the targets
		}
		for j, peer := range rule.From {
			cidr, ok, why, err := peerSource(peer, backendSG, i, j)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				skip[why] = true
				continue
			}
			for _, port := range ports {
				proto := "tcp"
				if port.Protocol != nil && *port.Protocol == elbv2api.NetworkingProtocolUDP {
					proto = "udp"
				}
				for sg, targetPorts := range groups {
					nums, why := portNumbers(port.Port, targetPortName, targetPorts)
					if why != "" {
						skip[why] = true
					}
					for _, num := range nums {
						seen[model.BackendRule{NodeSG: sg, Protocol: proto, Port: num, CIDR: cidr}] = true
					}
				}
			}
		}
	}
	return model.SortedBackendRules(seen), sortedKeys(skip), nil
}

// peerSource turns a peer into a rule source: a CIDR, or "" for the
// backend group. ok is false for a peer kelb does not write rules from.
func peerSource(peer elbv2api.NetworkingPeer, backendSG string, rule, index int) (cidr string, ok bool, why string, err error) {
	field := fmt.Sprintf("spec.networking.ingress[%d].from[%d]", rule, index)
	switch {
	case peer.IPBlock != nil && peer.SecurityGroup != nil:
		return "", false, "", &invalidError{Field: field, Allowed: "set either ipBlock or securityGroup, not both"}
	case peer.IPBlock != nil:
		prefix, err := netip.ParsePrefix(peer.IPBlock.CIDR)
		if err != nil {
			return "", false, "", &invalidError{Field: field + ".ipBlock.cidr", Value: peer.IPBlock.CIDR,
				Allowed: "an IPv4 or IPv6 CIDR"}
		}
		return prefix.String(), true, "", nil
	case peer.SecurityGroup != nil:
		if backendSG != "" && peer.SecurityGroup.GroupID == backendSG {
			return "", true, "", nil
		}
		return "", false, "rules from security group " + peer.SecurityGroup.GroupID + " (not the backend group)", nil
	}
	return "", false, "", &invalidError{Field: field, Allowed: "either ipBlock or securityGroup"}
}

// portNumbers resolves one networking port for the targets of one node
// group: a number is itself; no port, or the targets' own port name, is the
// ports those targets receive traffic on.
func portNumbers(port *intstr.IntOrString, targetPortName string, targetPorts map[int32]bool) ([]int32, string) {
	if port != nil && port.Type == intstr.Int {
		return []int32{port.IntVal}, ""
	}
	if port != nil && port.StrVal != targetPortName {
		return nil, "port name " + port.StrVal + " (not the Service's target port name)"
	}
	out := make([]int32, 0, len(targetPorts))
	for p := range targetPorts {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, ""
}

// uncoveredPorts returns the target ports (per node group) that no rule
// lets in from anywhere: a binding whose networking names other ports than
// the targets receive (a Service's node port changed and the deployer has
// not rewritten the binding yet) would register targets nothing lets in.
func uncoveredPorts(rules []model.BackendRule, placed []placedTarget) []string {
	allowed := map[string]bool{}
	for _, r := range rules {
		allowed[fmt.Sprintf("%s:%d", r.NodeSG, r.Port)] = true
	}
	missing := map[string]bool{}
	for _, p := range placed {
		k := fmt.Sprintf("%s:%d", p.nodeSG, p.target.Port)
		if p.nodeSG != "" && !allowed[k] {
			missing[k] = true
		}
	}
	return sortedKeys(missing)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// claimKey is the binding's key in the node-rules writer. Service stacks
// are keyed "<namespace>/<name>"; a namespace never holds a colon, so a
// binding's key never equals a stack's.
func claimKey(namespace, name string) model.StackID {
	return model.BindingClaimID(namespace, name)
}

// joinOr joins a list for a message.
func joinOr(xs []string) string { return strings.Join(xs, ", ") }
