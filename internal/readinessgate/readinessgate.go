// Package readinessgate holds what the pod readiness gate webhook and the
// TargetGroupBinding controller share: the condition type a binding's gate
// carries, and the pod status patch that reports a target's health on it.
// It has no controller dependencies, so both sides import it freely.
package readinessgate

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// Prefix is LBC's prefix of a binding's target-health condition type:
	// the type is Prefix + "/" + the TargetGroupBinding's name.
	Prefix = "target-health.elbv2.k8s.aws"
	// LegacyPrefix is the prefix the AWS ALB Ingress Controller (LBC v1)
	// used. LBC drops such gates from a pod it injects gates into, and so
	// does kelb.
	LegacyPrefix = "target-health.alb.ingress.k8s.aws"

	// NamespaceLabel and NamespaceLabelValue are LBC's namespace label that
	// turns gate injection on for the pods created in that namespace.
	NamespaceLabel      = "elbv2.k8s.aws/pod-readiness-gate-inject"
	NamespaceLabelValue = "enabled"

	// healthyState is AWS's TargetHealth state of a target taking traffic.
	healthyState = "healthy"
)

// ConditionType is the pod condition type of the readiness gate of the
// TargetGroupBinding named bindingName (in the pod's namespace).
func ConditionType(bindingName string) string {
	return Prefix + "/" + bindingName
}

// BindingName is the TargetGroupBinding a condition type belongs to, and
// whether the type is a target-health type at all (a pod event then
// concerns that binding).
func BindingName(conditionType string) (string, bool) {
	name, ok := strings.CutPrefix(conditionType, Prefix+"/")
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// HasGate reports whether the pod carries the readiness gate of condition
// type t: only such pods get the condition (the kubelet ignores conditions
// without a gate, and LBC patches only gated pods).
func HasGate(pod *corev1.Pod, t string) bool {
	for _, g := range pod.Spec.ReadinessGates {
		if string(g.ConditionType) == t {
			return true
		}
	}
	return false
}

// TargetHealth is what DescribeTargetHealth says of one target, in AWS's
// words (state e.g. "healthy", "initial"; reason e.g.
// "Elb.InitialHealthChecking"; description a sentence). A zero value means
// AWS said nothing of the target.
type TargetHealth struct {
	State       string
	Reason      string
	Description string
}

// Condition is the pod condition of type t for a target's health, as LBC
// writes it: status True only when the target is healthy, False for any
// other state, Unknown when AWS reported nothing; reason and message are
// AWS's reason and description. The transition time is now when the status
// changes (or the condition is new) and is kept otherwise. existing is the
// pod's current condition of that type, nil when it has none.
func Condition(t string, h TargetHealth, existing *corev1.PodCondition, now metav1.Time) corev1.PodCondition {
	status := corev1.ConditionUnknown
	switch {
	case h.State == healthyState:
		status = corev1.ConditionTrue
	case h.State != "":
		status = corev1.ConditionFalse
	}
	c := corev1.PodCondition{Type: corev1.PodConditionType(t), Status: status, Reason: h.Reason, Message: h.Description,
		LastTransitionTime: now}
	if existing != nil && existing.Status == status {
		c.LastTransitionTime = existing.LastTransitionTime
	}
	return c
}

// Existing returns the pod's condition of type t, nil when it has none.
func Existing(pod *corev1.Pod, t string) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if string(pod.Status.Conditions[i].Type) == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// NeedsPatch reports whether writing desired changes anything: LBC skips
// the write when status, reason and message are as they are.
func NeedsPatch(existing *corev1.PodCondition, desired corev1.PodCondition) bool {
	return existing == nil || existing.Status != desired.Status || existing.Reason != desired.Reason ||
		existing.Message != desired.Message
}

// StatusPatch is the strategic merge patch, for the pod's status
// subresource, that sets condition c and leaves every other condition as it
// is (conditions merge by type). An empty reason or message is sent as
// null, which removes it: left out, the merge would keep the old one (a
// True condition still saying Elb.RegistrationInProgress). The pod's UID
// is in the patch as a precondition: a pod deleted and created again under
// the same name (a StatefulSet's) is refused the patch rather than given
// another pod's health.
func StatusPatch(uid types.UID, c corev1.PodCondition) ([]byte, error) {
	if uid == "" {
		return nil, fmt.Errorf("readiness gate status patch for %s: the pod's UID is required", c.Type)
	}
	patch := map[string]any{
		"metadata": map[string]any{"uid": uid},
		"status":   map[string]any{"conditions": []conditionPatch{patchOf(c)}},
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("readiness gate status patch for %s: %w", c.Type, err)
	}
	return b, nil
}

// conditionPatch is a pod condition whose unset fields are sent as null.
type conditionPatch struct {
	Type               corev1.PodConditionType `json:"type"`
	Status             corev1.ConditionStatus  `json:"status"`
	LastProbeTime      *metav1.Time            `json:"lastProbeTime"`
	LastTransitionTime metav1.Time             `json:"lastTransitionTime"`
	Reason             *string                 `json:"reason"`
	Message            *string                 `json:"message"`
}

func patchOf(c corev1.PodCondition) conditionPatch {
	p := conditionPatch{Type: c.Type, Status: c.Status, LastTransitionTime: c.LastTransitionTime}
	if !c.LastProbeTime.IsZero() {
		p.LastProbeTime = &c.LastProbeTime
	}
	if c.Reason != "" {
		p.Reason = &c.Reason
	}
	if c.Message != "" {
		p.Message = &c.Message
	}
	return p
}
