package vpcendpoint

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

// TestConditionsAsACKWrites: the whole list, as ACK writes it: in ACK's
// order, Terminal and Recoverable only while True, a resolved reference
// without reason or message, transition times to the second and kept while
// the status stays.
func TestConditionsAsACKWrites(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	now := time.Date(2026, 11, 22, 10, 0, 0, 700_000_000, time.UTC)
	at := metav1.NewTime(now.Truncate(time.Second))
	c := func(typ string, status metav1.ConditionStatus, reason, msg string, when metav1.Time) *v1alpha1.Condition {
		return &v1alpha1.Condition{Type: typ, Status: status, Reason: aws.String(reason), Message: aws.String(msg),
			ObservedGeneration: 4, LastTransitionTime: &when}
	}
	const T, F = metav1.ConditionTrue, metav1.ConditionFalse
	resolved := &v1alpha1.Condition{Type: ConditionReferencesResolved, Status: T, ObservedGeneration: 4, LastTransitionTime: &at}
	tests := []struct {
		name string
		old  []*v1alpha1.Condition
		o    Outcome
		want []*v1alpha1.Condition
	}{
		{name: "available, first time", o: Outcome{State: "available"}, want: []*v1alpha1.Condition{
			c(ConditionSynced, T, ReasonSynced, "AWS matches the spec", at),
			c(ConditionReady, T, ReasonAvailable, "the endpoint is available", at)}},
		{name: "available again: times kept", o: Outcome{State: "available"},
			old: []*v1alpha1.Condition{c(ConditionReady, T, ReasonAvailable, "x", t0), c(ConditionSynced, T, ReasonSynced, "y", t0)},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, T, ReasonSynced, "AWS matches the spec", t0),
				c(ConditionReady, T, ReasonAvailable, "the endpoint is available", t0)}},
		{name: "old condition without a time gets one", o: Outcome{State: "available"},
			old: []*v1alpha1.Condition{{Type: ConditionSynced, Status: T}},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, T, ReasonSynced, "AWS matches the spec", at),
				c(ConditionReady, T, ReasonAvailable, "the endpoint is available", at)}},
		{name: "pending acceptance: synced, not ready", o: Outcome{State: "pendingAcceptance", ServiceName: "com.x"},
			old: []*v1alpha1.Condition{c(ConditionSynced, F, ReasonPending, "AWS is creating the endpoint", t0),
				c(ConditionReady, F, ReasonPending, "AWS is creating the endpoint", t0)},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, T, ReasonPendingAcceptance, "waiting for the owner of com.x to accept the connection", at),
				c(ConditionReady, F, ReasonPendingAcceptance, "waiting for the owner of com.x to accept the connection", t0)}},
		{name: "terminal error, references resolved", o: Outcome{State: "available", Err: errors.New("api error X: y"),
			Terminal: true, ErrReason: ReasonAWSRejected, HasReferences: true},
			want: []*v1alpha1.Condition{resolved,
				c(ConditionSynced, F, ReasonAWSRejected, "api error X: y", at),
				c(ConditionTerminal, T, ReasonAWSRejected, "api error X: y", at),
				c(ConditionReady, F, ReasonAWSRejected, "api error X: y", at)}},
		{name: "recoverable error goes, Terminal of old goes", o: Outcome{State: "pending", Err: errors.New("throttled"),
			ErrReason: ReasonAWSError},
			old: []*v1alpha1.Condition{c(ConditionTerminal, T, ReasonAWSRejected, "x", t0), c("ACK.Adopted", T, "", "", t0)},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, F, ReasonAWSError, "throttled", at),
				c(ConditionRecoverable, T, ReasonAWSError, "throttled", at),
				c(ConditionReady, F, ReasonAWSError, "throttled", at)}},
		{name: "failed state", o: Outcome{State: "failed", FailureReason: "no capacity"},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, F, "Failed", "AWS says the endpoint is failed: no capacity", at),
				c(ConditionTerminal, T, "Failed", "AWS says the endpoint is failed: no capacity", at),
				c(ConditionReady, F, "Failed", "AWS says the endpoint is failed: no capacity", at)}},
		{name: "unknown state", o: Outcome{State: "partial"},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, F, "Partial", "AWS says the endpoint is partial", at),
				c(ConditionReady, F, "Partial", "AWS says the endpoint is partial", at)}},
		{name: "updating", o: Outcome{State: "available", Updating: []string{"subnetIDs", "policyDocument"}},
			want: []*v1alpha1.Condition{
				c(ConditionSynced, F, ReasonUpdating, "AWS is applying subnetIDs, policyDocument", at),
				c(ConditionReady, F, ReasonUpdating, "AWS is applying subnetIDs, policyDocument", at)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, conditionsAt(tt.old, tt.o, 4, now)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

func conditionsAt(old []*v1alpha1.Condition, o Outcome, generation int64, now time.Time) []*v1alpha1.Condition {
	return Conditions(old, o, generation, clocktesting.NewFakePassiveClock(now))
}
