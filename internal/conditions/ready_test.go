package conditions

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestReadyRuleDerive(t *testing.T) {
	rule := ReadyRule{Type: "Ready", From: []string{"Configured", "Deployed"}, Reason: "Deployed",
		NotReconciled: "NotReconciled"}
	cond := func(typ string, status metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: typ + " says " + reason,
			ObservedGeneration: gen}
	}
	ready := func(status metav1.ConditionStatus, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: "Ready", Status: status, Reason: reason, Message: msg}
	}
	const T, F, U = metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown
	tests := []struct {
		name  string
		conds []metav1.Condition
		holds []Hold
		want  metav1.Condition
	}{
		{name: "all True", conds: []metav1.Condition{cond("Configured", T, "Valid", 3), cond("Deployed", T, "Deployed", 3)},
			want: ready(T, "Deployed", "")},
		{name: "nothing known", want: ready(F, "NotReconciled", "Configured is not yet known")},
		{name: "the first not True wins", conds: []metav1.Condition{cond("Configured", F, "InvalidConfiguration", 3),
			cond("Deployed", F, "AWSError", 3)},
			want: ready(F, "InvalidConfiguration", "Configured says InvalidConfiguration")},
		{name: "a False of an older generation still shows", conds: []metav1.Condition{cond("Configured", T, "Valid", 3),
			cond("Deployed", F, "AWSError", 2)}, want: ready(F, "AWSError", "Deployed says AWSError")},
		{name: "a True of an older generation is not yet known", conds: []metav1.Condition{cond("Configured", T, "Valid", 3),
			cond("Deployed", T, "Deployed", 2)}, want: ready(F, "NotReconciled", "Deployed is not yet known")},
		{name: "Unknown is not yet known", conds: []metav1.Condition{cond("Configured", U, "Checking", 3)},
			want: ready(F, "NotReconciled", "Configured is not yet known")},
		{name: "a hold keeps it False", conds: []metav1.Condition{cond("Configured", T, "Valid", 3), cond("Deployed", T, "Deployed", 3)},
			holds: []Hold{{}, {"Provisioning", "AWS is provisioning"}, {"NoMatchingNodes", "no node"}},
			want:  ready(F, "Provisioning", "AWS is provisioning")},
		{name: "holds count only once all are True", conds: []metav1.Condition{cond("Configured", F, "InvalidConfiguration", 3)},
			holds: []Hold{{"Provisioning", "AWS is provisioning"}},
			want:  ready(F, "InvalidConfiguration", "Configured says InvalidConfiguration")},
		{name: "conditions not counted do not matter", conds: []metav1.Condition{cond("Configured", T, "Valid", 3),
			cond("Deployed", T, "Deployed", 3), cond("Other", F, "Broken", 3)}, want: ready(T, "Deployed", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, rule.Derive(tt.conds, 3, tt.holds...)); diff != "" {
				t.Errorf("Ready (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEditorSetReady(t *testing.T) {
	rule := ReadyRule{Type: "Ready", From: []string{"Synced"}, Reason: "Available", Message: "available"}
	conds := []metav1.Condition{}
	e := Edit(&conds, 1, clocktesting.NewFakePassiveClock(t1))
	e.Set("Synced", metav1.ConditionTrue, "Synced", "AWS matches the spec")
	if !e.SetReady(rule) {
		t.Error("a new Ready is no change")
	}
	want := metav1.Condition{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Available", Message: "available",
		ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(t1.Truncate(1e9))}
	if diff := cmp.Diff(want, conds[1]); diff != "" {
		t.Errorf("Ready (-want +got):\n%s", diff)
	}
	if e.SetReady(rule) {
		t.Error("the same Ready again is a change")
	}
}
