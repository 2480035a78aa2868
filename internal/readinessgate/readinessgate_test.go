package readinessgate

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConditionTypeIsLBCs(t *testing.T) {
	if diff := cmp.Diff("target-health.elbv2.k8s.aws/k8s-web-80", ConditionType("k8s-web-80")); diff != "" {
		t.Error(diff)
	}
	for _, tc := range []struct {
		in   string
		name string
		ok   bool
	}{
		{in: "target-health.elbv2.k8s.aws/web", name: "web", ok: true},
		{in: "target-health.elbv2.k8s.aws/", ok: false},
		{in: "target-health.alb.ingress.k8s.aws/web", ok: false},
		{in: "Ready", ok: false},
	} {
		name, ok := BindingName(tc.in)
		if name != tc.name || ok != tc.ok {
			t.Errorf("BindingName(%q) = %q, %v; want %q, %v", tc.in, name, ok, tc.name, tc.ok)
		}
	}
}

func TestCondition(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(t0.Add(time.Minute))
	const ct = "target-health.elbv2.k8s.aws/web"
	for _, tc := range []struct {
		name     string
		health   TargetHealth
		existing *corev1.PodCondition
		want     corev1.PodCondition
		patch    bool
	}{
		{name: "new, initial", health: TargetHealth{State: "initial", Reason: "Elb.InitialHealthChecking",
			Description: "Initial health checks in progress"},
			want: corev1.PodCondition{Type: ct, Status: corev1.ConditionFalse, Reason: "Elb.InitialHealthChecking",
				Message: "Initial health checks in progress", LastTransitionTime: now}, patch: true},
		{name: "healthy after initial: a transition", health: TargetHealth{State: "healthy"},
			existing: &corev1.PodCondition{Type: ct, Status: corev1.ConditionFalse, LastTransitionTime: t0},
			want:     corev1.PodCondition{Type: ct, Status: corev1.ConditionTrue, LastTransitionTime: now}, patch: true},
		{name: "unhealthy with another reason keeps the transition time",
			health:   TargetHealth{State: "unhealthy", Reason: "Target.Timeout", Description: "Request timed out"},
			existing: &corev1.PodCondition{Type: ct, Status: corev1.ConditionFalse, Reason: "Elb.InitialHealthChecking", LastTransitionTime: t0},
			want: corev1.PodCondition{Type: ct, Status: corev1.ConditionFalse, Reason: "Target.Timeout",
				Message: "Request timed out", LastTransitionTime: t0}, patch: true},
		{name: "same status, reason and message: no patch", health: TargetHealth{State: "healthy"},
			existing: &corev1.PodCondition{Type: ct, Status: corev1.ConditionTrue, LastTransitionTime: t0},
			want:     corev1.PodCondition{Type: ct, Status: corev1.ConditionTrue, LastTransitionTime: t0}},
		{name: "nothing from AWS is unknown", health: TargetHealth{},
			want: corev1.PodCondition{Type: ct, Status: corev1.ConditionUnknown, LastTransitionTime: now}, patch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Condition(ct, tc.health, tc.existing, now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("condition (-want +got):\n%s", diff)
			}
			if p := NeedsPatch(tc.existing, got); p != tc.patch {
				t.Errorf("NeedsPatch = %v; want %v", p, tc.patch)
			}
		})
	}
}

func TestStatusPatch(t *testing.T) {
	c := corev1.PodCondition{Type: "target-health.elbv2.k8s.aws/web", Status: corev1.ConditionTrue,
		LastTransitionTime: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	b, err := StatusPatch("uid-1", c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metadata":{"uid":"uid-1"},"status":{"conditions":[{"type":"target-health.elbv2.k8s.aws/web",` +
		`"status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-01T00:00:00Z","reason":null,"message":null}]}}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
	if _, err := StatusPatch("", c); err == nil {
		t.Error("a patch without UID was built")
	}
}

func TestHasGateAndExisting(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "a"}}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: "a", Status: corev1.ConditionTrue}}}}
	if !HasGate(pod, "a") || HasGate(pod, "b") {
		t.Error("HasGate")
	}
	if Existing(pod, "a") == nil || Existing(pod, "b") != nil {
		t.Error("Existing")
	}
}
