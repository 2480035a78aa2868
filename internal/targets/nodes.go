package targets

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kelb-dev/kelb/internal/model"
)

// Node labels and taints that keep a node out of load balancers.
const (
	// LabelExcludeFromLB marks nodes that must not receive load balancer
	// traffic (Kubernetes' well-known label).
	LabelExcludeFromLB = "node.kubernetes.io/exclude-from-external-load-balancers"
	// LabelExcludeBalancerAlpha is the label's older, alpha spelling.
	LabelExcludeBalancerAlpha = "alpha.service-controller.kubernetes.io/exclude-balancer"
	// LabelNodeRoleMaster marks control-plane nodes of older clusters.
	LabelNodeRoleMaster = "node-role.kubernetes.io/master"
	// LabelComputeType is "fargate" on EKS Fargate nodes, which cannot be
	// instance targets.
	LabelComputeType = "eks.amazonaws.com/compute-type"
	// TaintToBeDeletedByClusterAutoscaler is put on a node the cluster
	// autoscaler is about to remove.
	TaintToBeDeletedByClusterAutoscaler = "ToBeDeletedByClusterAutoscaler"
)

// NodeReady reports whether the node's Ready condition is True.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// InstanceID reads the EC2 instance id from spec.providerID
// ("aws:///us-west-2a/i-0123456789abcdef0"); "" when it names none.
func InstanceID(n *corev1.Node) string {
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

// BindingNodeSelector is the selector a TargetGroupBinding's instance
// targets come from, as LBC builds it: no control-plane role label, no
// exclusion label (either spelling), not Fargate, and the binding's own
// nodeSelector on top.
func BindingNodeSelector(nodeSelector *metav1.LabelSelector) (labels.Selector, error) {
	base := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: LabelNodeRoleMaster, Operator: metav1.LabelSelectorOpDoesNotExist},
		{Key: LabelExcludeFromLB, Operator: metav1.LabelSelectorOpDoesNotExist},
		{Key: LabelExcludeBalancerAlpha, Operator: metav1.LabelSelectorOpDoesNotExist},
		{Key: LabelComputeType, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"fargate"}},
	}}
	sel, err := metav1.LabelSelectorAsSelector(base)
	if err != nil {
		return nil, err
	}
	if nodeSelector != nil {
		own, err := metav1.LabelSelectorAsSelector(nodeSelector)
		if err != nil {
			return nil, err
		}
		reqs, _ := own.Requirements()
		sel = sel.Add(reqs...)
	}
	return sel, nil
}

// leaving reports whether a node is on its way out: being deleted, or
// marked by the cluster autoscaler for removal. Its targets are
// deregistered at once, so that connections drain while it still runs.
func leaving(n *corev1.Node) bool {
	if n.DeletionTimestamp != nil {
		return true
	}
	for _, t := range n.Spec.Taints {
		if t.Key == TaintToBeDeletedByClusterAutoscaler {
			return true
		}
	}
	return false
}

// BindingInstances are a TargetGroupBinding's instance targets: the ready
// nodes the selector matches that are not leaving, each with the node
// port. Cordoned (unschedulable) nodes are being drained and are left out
// too, unless every other candidate is cordoned as well: a whole node
// group cordoned for a replacement must not empty the target group
// before the new nodes are ready.
func BindingInstances(nodes []*corev1.Node, selector labels.Selector, nodePort int32) []model.Target {
	var schedulable, cordoned []model.Target
	for _, n := range nodes {
		id := InstanceID(n)
		if id == "" || !selector.Matches(labels.Set(n.Labels)) || !NodeReady(n) || leaving(n) {
			continue
		}
		t := model.Target{ID: id, Port: nodePort}
		if n.Spec.Unschedulable {
			cordoned = append(cordoned, t)
		} else {
			schedulable = append(schedulable, t)
		}
	}
	out := schedulable
	if len(out) == 0 {
		out = cordoned
	}
	Sort(out)
	return out
}
