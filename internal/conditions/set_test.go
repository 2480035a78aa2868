package conditions

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

var (
	t0 = metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	t1 = time.Date(2026, 12, 1, 11, 0, 0, 500_000_000, time.UTC) // the reconcile's time, with a fraction
)

func TestEditorSet(t *testing.T) {
	deployed := metav1.Condition{Type: "Deployed", Status: metav1.ConditionTrue, Reason: "Deployed", Message: "lb",
		ObservedGeneration: 1, LastTransitionTime: t0}
	at1 := metav1.NewTime(t1.Truncate(time.Second))
	tests := []struct {
		name        string
		have        []metav1.Condition
		typ         string
		status      metav1.ConditionStatus
		reason, msg string
		want        []metav1.Condition
		wantChanged bool
	}{
		{name: "new condition: transition now, to the second", typ: "Deployed", status: metav1.ConditionTrue,
			reason: "Deployed", msg: "lb",
			want: []metav1.Condition{{Type: "Deployed", Status: metav1.ConditionTrue, Reason: "Deployed", Message: "lb",
				ObservedGeneration: 2, LastTransitionTime: at1}},
			wantChanged: true},
		{name: "same status, new generation: time kept, no change", have: []metav1.Condition{deployed}, typ: "Deployed",
			status: metav1.ConditionTrue, reason: "Deployed", msg: "lb",
			want: []metav1.Condition{{Type: "Deployed", Status: metav1.ConditionTrue, Reason: "Deployed", Message: "lb",
				ObservedGeneration: 2, LastTransitionTime: t0}}},
		{name: "same status, new message: time kept, changed", have: []metav1.Condition{deployed}, typ: "Deployed",
			status: metav1.ConditionTrue, reason: "Deployed", msg: "lb2",
			want: []metav1.Condition{{Type: "Deployed", Status: metav1.ConditionTrue, Reason: "Deployed", Message: "lb2",
				ObservedGeneration: 2, LastTransitionTime: t0}},
			wantChanged: true},
		{name: "status flips: transition now", have: []metav1.Condition{deployed}, typ: "Deployed",
			status: metav1.ConditionFalse, reason: "AWSError", msg: "throttled",
			want: []metav1.Condition{{Type: "Deployed", Status: metav1.ConditionFalse, Reason: "AWSError", Message: "throttled",
				ObservedGeneration: 2, LastTransitionTime: at1}},
			wantChanged: true},
		{name: "other conditions stay", have: []metav1.Condition{deployed}, typ: "Configured",
			status: metav1.ConditionTrue, reason: "Valid",
			want: []metav1.Condition{deployed, {Type: "Configured", Status: metav1.ConditionTrue, Reason: "Valid",
				ObservedGeneration: 2, LastTransitionTime: at1}},
			wantChanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conds := append([]metav1.Condition(nil), tt.have...)
			changed := Edit(&conds, 2, clocktesting.NewFakePassiveClock(t1)).Set(tt.typ, tt.status, tt.reason, tt.msg)
			if diff := cmp.Diff(tt.want, conds); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
		})
	}
}

func TestEditorRemove(t *testing.T) {
	conds := []metav1.Condition{{Type: "A"}, {Type: "B"}, {Type: "C"}}
	Edit(&conds, 1, clocktesting.NewFakePassiveClock(t1)).Remove("A", "C", "D")
	if diff := cmp.Diff([]metav1.Condition{{Type: "B"}}, conds); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
}
