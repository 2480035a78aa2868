// Package podreadiness is the mutating admission webhook that gives pods
// LBC's target-health readiness gates when they are created: one gate per
// TargetGroupBinding of ip targets whose Service selects the pod, so that a
// rolling update waits for the load balancer to find the new pods healthy.
package podreadiness

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/readinessgate"
)

// Outcomes of one admission, the label of the webhook's metric.
const (
	OutcomeInjected     = "injected"       // gates added (or legacy gates replaced)
	OutcomeUnchanged    = "unchanged"      // the namespace asks for gates, none to add
	OutcomeNotEnabled   = "not-enabled"    // the namespace lacks the label, or --enable-pod-readiness-gate-inject=false
	OutcomeError        = "error"          // a read failed: the pod is created unchanged
	OutcomeNotPodCreate = "not-pod-create" // the configuration sent something else
)

// Input is what the decision for one pod is made from, gathered by the
// handler from the cache.
type Input struct {
	// Enabled is --enable-pod-readiness-gate-inject.
	Enabled bool
	// NamespaceLabels are the labels of the pod's namespace.
	NamespaceLabels map[string]string
	Pod             *corev1.Pod
	// Bindings are the TargetGroupBindings of the pod's namespace.
	Bindings []elbv2.TargetGroupBinding
	// Services are the Services of the pod's namespace the bindings name,
	// by name; a Service that does not exist is absent.
	Services map[string]*corev1.Service
}

// Decision is the pod's readiness gates after admission and what changed.
type Decision struct {
	Outcome string
	// Gates is the pod's new list of readiness gates (when Outcome is
	// OutcomeInjected).
	Gates []corev1.PodReadinessGate
	// Added and Removed are the condition types added, and the legacy ones
	// removed, for the log.
	Added, Removed []string
}

// Decide computes a pod's readiness gates as LBC does: for every binding of
// ip targets (LBC injects for ip targets alone: with instance targets the
// load balancer sees nodes, not pods) whose Service's selector, not empty,
// selects the pod, the gate target-health.elbv2.k8s.aws/<binding>, unless
// the pod has it. When any target-health gate applies, the AWS ALB Ingress
// Controller's legacy gates go, as in LBC. Bindings are taken by name, so
// the result does not depend on list order.
func Decide(in Input) Decision {
	if !in.Enabled || in.NamespaceLabels[readinessgate.NamespaceLabel] != readinessgate.NamespaceLabelValue {
		return Decision{Outcome: OutcomeNotEnabled}
	}
	bindings := append([]elbv2.TargetGroupBinding(nil), in.Bindings...)
	sort.Slice(bindings, func(i, j int) bool { return bindings[i].Name < bindings[j].Name })

	var wanted []string
	for _, b := range bindings {
		if b.Spec.TargetType == nil || *b.Spec.TargetType != elbv2.TargetTypeIP {
			continue
		}
		svc := in.Services[b.Spec.ServiceRef.Name]
		if svc == nil || len(svc.Spec.Selector) == 0 {
			continue // no Service, or one without selector: it selects no pod
		}
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(in.Pod.Labels)) {
			wanted = append(wanted, readinessgate.ConditionType(b.Name))
		}
	}
	if len(wanted) == 0 {
		return Decision{Outcome: OutcomeUnchanged}
	}

	var d Decision
	for _, g := range in.Pod.Spec.ReadinessGates {
		if strings.HasPrefix(string(g.ConditionType), readinessgate.LegacyPrefix) {
			d.Removed = append(d.Removed, string(g.ConditionType))
			continue
		}
		d.Gates = append(d.Gates, g)
	}
	for _, t := range wanted {
		if !hasGate(d.Gates, t) {
			d.Gates = append(d.Gates, corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(t)})
			d.Added = append(d.Added, t)
		}
	}
	if len(d.Added) == 0 && len(d.Removed) == 0 {
		return Decision{Outcome: OutcomeUnchanged}
	}
	d.Outcome = OutcomeInjected
	return d
}

// ServiceNames are the Services the decision needs read: those named by
// the namespace's bindings of ip targets.
func ServiceNames(bindings []elbv2.TargetGroupBinding) []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range bindings {
		if b.Spec.TargetType == nil || *b.Spec.TargetType != elbv2.TargetTypeIP || seen[b.Spec.ServiceRef.Name] {
			continue
		}
		seen[b.Spec.ServiceRef.Name] = true
		out = append(out, b.Spec.ServiceRef.Name)
	}
	sort.Strings(out)
	return out
}

func hasGate(gates []corev1.PodReadinessGate, t string) bool {
	for _, g := range gates {
		if string(g.ConditionType) == t {
			return true
		}
	}
	return false
}
