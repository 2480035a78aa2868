package service

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/targets"
)

// LabelExcludeFromLB marks nodes that must not receive load balancer traffic.
const LabelExcludeFromLB = targets.LabelExcludeFromLB

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
			!targets.NodeReady(n) {
			continue
		}
		if id := targets.InstanceID(n); id != "" {
			out = append(out, model.Target{ID: id, Port: port})
		}
	}
	targets.Sort(out)
	return out, nil
}

// instanceID reads the EC2 instance id from spec.providerID.
func instanceID(n *corev1.Node) string { return targets.InstanceID(n) }

// InstanceIDs returns the instance ids of nodes, for fact lookups.
func InstanceIDs(nodes []*corev1.Node) []string {
	var out []string
	for _, n := range nodes {
		if id := targets.InstanceID(n); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// ipTargets are the ready endpoints of the target group's IP family
// serving the Service port.
func ipTargets(slices []*discoveryv1.EndpointSlice, p corev1.ServicePort, tgIPType string) []model.Target {
	return targets.Endpoints(slices, targets.EndpointFilter{PortName: p.Name, AddressType: endpointAddressType(tgIPType),
		Protocol: func(got corev1.Protocol) bool { return protocolMatches(got, p.Protocol) }})
}

func protocolMatches(got, p corev1.Protocol) bool {
	// A TCP_UDP port is the first of its TCP and UDP ports (listenerPorts),
	// whose name it keeps: the slice's port of that name has its protocol.
	return got == p || (p == "TCP_UDP" && (got == corev1.ProtocolTCP || got == corev1.ProtocolUDP))
}

// ipTargetNodes maps endpoint addresses to their node names.
func ipTargetNodes(slices []*discoveryv1.EndpointSlice) map[string]string {
	return targets.EndpointNodes(slices)
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
