package vpcendpoint

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

// Condition types (ACK's).
const (
	ConditionSynced      = "ACK.ResourceSynced"
	ConditionTerminal    = "ACK.Terminal"
	ConditionRecoverable = "ACK.Recoverable"
	ConditionReady       = "Ready"
)

// Reasons used in conditions and events.
const (
	ReasonSynced            = "Synced"
	ReasonAvailable         = "Available"
	ReasonPending           = "Pending"
	ReasonPendingAcceptance = "PendingAcceptance"
	ReasonDeleting          = "Deleting"
	ReasonUpdating          = "Updating"
	ReasonNotFound          = "NotFound"
	ReasonInvalid           = "InvalidConfiguration"
	ReasonNotOwned          = "NotOwned"    // the endpoint named is not provably the object's
	ReasonAWSRejected       = "AWSRejected" // AWS refuses the request: the user must act
	ReasonAWSError          = "AWSError"    // retried
	// ReasonReferences: a referenced ACK object is not there or not
	// synced yet (waited for).
	ReasonReferences = "ReferencesNotResolved"
)

// Outcome is what one reconcile learnt: the inputs of the conditions.
type Outcome struct {
	// State is AWS's state of the endpoint, "" when there is none.
	State, FailureReason, ServiceName string
	// Err is this reconcile's error, nil when none.
	Err error
	// Terminal: retrying Err cannot help; the user must change something.
	Terminal bool
	// Reason for Err (ReasonInvalid, ReasonAWSRejected, ReasonAWSError).
	ErrReason string
	// Updating names spec fields just sent to AWS.
	Updating []string
	// HasReferences: the spec refers to other ACK objects; ReferencesErr
	// is why they did not resolve, nil when they did.
	HasReferences bool
	ReferencesErr error
	// RetryAfter, when set, is when a retried Err is tried again (instead
	// of the controller's error backoff).
	RetryAfter time.Duration
}

// Conditions computes the endpoint's conditions. Ready is True only when
// the spec is applied and AWS says available; ACK.Terminal and
// ACK.Recoverable are present only while true (as ACK writes them).
func Conditions(old []*v1alpha1.Condition, o Outcome, generation int64, now time.Time) []*v1alpha1.Condition {
	type cond struct {
		status        metav1.ConditionStatus
		reason, msg   string
		present       bool
		conditionType string
	}
	synced := cond{conditionType: ConditionSynced, present: true}
	ready := cond{conditionType: ConditionReady, present: true, status: metav1.ConditionFalse}
	terminal := cond{conditionType: ConditionTerminal}
	recoverable := cond{conditionType: ConditionRecoverable}
	state := capitalized(o.State)
	switch {
	case o.Err != nil && o.Terminal:
		terminal = cond{metav1.ConditionTrue, o.ErrReason, o.Err.Error(), true, ConditionTerminal}
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, o.ErrReason, o.Err.Error()
	case o.Err != nil:
		recoverable = cond{metav1.ConditionTrue, o.ErrReason, o.Err.Error(), true, ConditionRecoverable}
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, o.ErrReason, o.Err.Error()
	case FailedState(o.State):
		msg := fmt.Sprintf("AWS says the endpoint is %s", o.State)
		if o.FailureReason != "" {
			msg += ": " + o.FailureReason
		}
		terminal = cond{metav1.ConditionTrue, state, msg, true, ConditionTerminal}
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, state, msg
	case o.State == "" || o.State == StateDeleted:
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, ReasonNotFound, "the endpoint is not in AWS"
	case o.State == StatePending:
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, ReasonPending, "AWS is creating the endpoint"
	case o.State == StateDeleting:
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, ReasonDeleting, "AWS is deleting the endpoint"
	case len(o.Updating) > 0:
		synced.status, synced.reason = metav1.ConditionFalse, ReasonUpdating
		synced.msg = "AWS is applying " + strings.Join(o.Updating, ", ")
	case o.State == StatePendingAcceptance:
		synced.status, synced.reason = metav1.ConditionTrue, ReasonPendingAcceptance
		synced.msg = fmt.Sprintf("waiting for the owner of %s to accept the connection", o.ServiceName)
	case o.State == StateAvailable:
		synced.status, synced.reason, synced.msg = metav1.ConditionTrue, ReasonSynced, "AWS matches the spec"
	default:
		synced.status, synced.reason, synced.msg = metav1.ConditionFalse, state, "AWS says the endpoint is "+o.State
	}
	switch {
	case synced.status == metav1.ConditionTrue && o.State == StateAvailable:
		ready.status, ready.reason, ready.msg = metav1.ConditionTrue, ReasonAvailable, "the endpoint is available"
	default:
		ready.reason, ready.msg = synced.reason, synced.msg
	}
	references := cond{conditionType: ConditionReferencesResolved, present: o.HasReferences}
	if o.HasReferences {
		status, reason, msg := ReferencesCondition(o.ReferencesErr)
		references.status, references.reason, references.msg = metav1.ConditionStatus(status), reason, msg
	}
	var out []*v1alpha1.Condition
	for _, c := range []cond{references, synced, terminal, recoverable, ready} {
		if !c.present {
			continue
		}
		nc := &v1alpha1.Condition{Type: c.conditionType, Status: c.status, ObservedGeneration: generation}
		if c.reason != "" || c.msg != "" { // ACK writes a resolved reference without either
			nc.Reason, nc.Message = &c.reason, &c.msg
		}
		t := metav1.NewTime(now.UTC().Truncate(time.Second))
		nc.LastTransitionTime = &t
		if prev := Find(old, c.conditionType); prev != nil && prev.Status == c.status && prev.LastTransitionTime != nil {
			nc.LastTransitionTime = prev.LastTransitionTime
		}
		out = append(out, nc)
	}
	return out
}

// Find returns the condition of type t, nil when absent.
func Find(cs []*v1alpha1.Condition, t string) *v1alpha1.Condition {
	for _, c := range cs {
		if c != nil && c.Type == t {
			return c
		}
	}
	return nil
}

func capitalized(s string) string {
	if s == "" {
		return ReasonNotFound
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
