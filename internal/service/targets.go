package service

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kelb-dev/kelb/internal/model"
)

// LabelExcludeFromLB marks nodes that must not receive load balancer traffic.
const LabelExcludeFromLB = "node.kubernetes.io/exclude-from-external-load-balancers"

// instanceTargets are the ready nodes matching target-node-labels, each with
// the Service's node port.
func instanceTargets(a annotations, nodes []*corev1.Node, port int32) ([]model.Target, error) {
	selector := labels.Everything()
	if sel, err := a.keyValues(AnnTargetNodeLabels); err != nil {
		return nil, err
	} else if len(sel) > 0 {
		if selector, err = labels.ValidatedSelectorFromSet(sel); err != nil {
			return nil, &AnnotationError{Annotation: AnnTargetNodeLabels, Value: a[AnnTargetNodeLabels],
				Allowed: "comma-separated label=value pairs with valid label keys and values (no spaces around =)"}
		}
	}
	var out []model.Target
	for _, n := range nodes {
		if _, excluded := n.Labels[LabelExcludeFromLB]; excluded || !selector.Matches(labels.Set(n.Labels)) ||
			!nodeReady(n) {
			continue
		}
		if id := instanceID(n); id != "" {
			out = append(out, model.Target{ID: id, Port: port})
		}
	}
	sortTargets(out)
	return out, nil
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// instanceID reads the EC2 instance id from spec.providerID
// ("aws:///us-west-2a/i-0123456789abcdef0").
func instanceID(n *corev1.Node) string {
	id := n.Spec.ProviderID
	if !strings.HasPrefix(id, "aws://") {
		return ""
	}
	id = id[strings.LastIndex(id, "/")+1:]
	if !strings.HasPrefix(id, "i-") {
		return ""
	}
	return id
}

// InstanceIDs returns the instance ids of nodes, for fact lookups.
func InstanceIDs(nodes []*corev1.Node) []string {
	var out []string
	for _, n := range nodes {
		if id := instanceID(n); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// ipTargets are the ready endpoints of the target group's IP family
// serving the Service port.
func ipTargets(slices []*discoveryv1.EndpointSlice, p corev1.ServicePort, tgIPType string) []model.Target {
	seen := map[model.Target]bool{}
	for _, s := range slices {
		if s.AddressType != endpointAddressType(tgIPType) {
			continue
		}
		var port int32
		for _, sp := range s.Ports {
			if sp.Port != nil && ptrString(sp.Name) == p.Name && protocolMatches(sp.Protocol, p.Protocol) {
				port = *sp.Port
			}
		}
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, addr := range ep.Addresses {
				seen[model.Target{ID: addr, Port: port}] = true
			}
		}
	}
	out := make([]model.Target, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sortTargets(out)
	return out
}

func protocolMatches(sp *corev1.Protocol, p corev1.Protocol) bool {
	got := corev1.ProtocolTCP
	if sp != nil {
		got = *sp
	}
	// A TCP_UDP port is the first of its TCP and UDP ports (listenerPorts),
	// whose name it keeps: the slice's port of that name has its protocol.
	return got == p || (p == "TCP_UDP" && (got == corev1.ProtocolTCP || got == corev1.ProtocolUDP))
}

// ipTargetNodes maps endpoint addresses to their node names.
func ipTargetNodes(slices []*discoveryv1.EndpointSlice) map[string]string {
	out := map[string]string{}
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			for _, addr := range ep.Addresses {
				if ep.NodeName != nil {
					out[addr] = *ep.NodeName
				}
			}
		}
	}
	return out
}

func sortTargets(ts []model.Target) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].ID != ts[j].ID {
			return ts[i].ID < ts[j].ID
		}
		return ts[i].Port < ts[j].Port
	})
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// NodeSelectionWarning says why a Service with instance targets has none
// because its target-node-labels select no node, most often a typo; "" when
// some node matches (ready or not), or the annotation does not apply.
func NodeSelectionWarning(cfg Config, svc *corev1.Service, nodes []*corev1.Node) string {
	a := annotations(svc.Annotations)
	sel, err := a.keyValues(AnnTargetNodeLabels)
	if err != nil || len(sel) == 0 {
		return ""
	}
	if targetType, err := targetTypeOf(cfg, a); err != nil || targetType != TargetInstance {
		return ""
	}
	selector := labels.SelectorFromSet(sel)
	for _, n := range nodes {
		if _, excluded := n.Labels[LabelExcludeFromLB]; !excluded && selector.Matches(labels.Set(n.Labels)) {
			return ""
		}
	}
	return fmt.Sprintf("no node matches annotation %s (%s) among %d nodes: the load balancer has no targets",
		AnnTargetNodeLabels, selector.String(), len(nodes))
}
