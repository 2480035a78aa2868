package vpcendpoint

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/conditions"
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
	ReasonInvalid           = conditions.ReasonInvalidConfiguration
	ReasonNotOwned          = "NotOwned" // the endpoint named is not provably the object's
	ReasonAWSRejected       = conditions.ReasonAWSRejected
	ReasonAWSError          = conditions.ReasonAWSError
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

// readyRule: an endpoint is Ready when the spec is applied (Synced) and
// AWS says it is available (a held Ready otherwise).
var readyRule = conditions.ReadyRule{Type: ConditionReady, From: []string{ConditionSynced},
	Reason: ReasonAvailable, Message: "the endpoint is available"}

// ackOrder is the order in which ACK lists the conditions.
var ackOrder = []string{ConditionReferencesResolved, ConditionSynced, ConditionTerminal, ConditionRecoverable, ConditionReady}

// Conditions computes the endpoint's conditions. Ready is True only when
// the spec is applied and AWS says available; ACK.Terminal and
// ACK.Recoverable are present only while true (as ACK writes them).
func Conditions(old []*v1alpha1.Condition, o Outcome, generation int64, clk clock.PassiveClock) []*v1alpha1.Condition {
	conds := fromACK(old)
	e := conditions.Edit(&conds, generation, clk)
	present := map[string]bool{}
	set := func(typ string, status metav1.ConditionStatus, reason, msg string) {
		e.Set(typ, status, reason, msg)
		present[typ] = true
	}
	const isTrue, isFalse = metav1.ConditionTrue, metav1.ConditionFalse
	var hold conditions.Hold
	switch state := capitalized(o.State); {
	case o.Err != nil && o.Terminal:
		set(ConditionTerminal, isTrue, o.ErrReason, o.Err.Error())
		set(ConditionSynced, isFalse, o.ErrReason, o.Err.Error())
	case o.Err != nil:
		set(ConditionRecoverable, isTrue, o.ErrReason, o.Err.Error())
		set(ConditionSynced, isFalse, o.ErrReason, o.Err.Error())
	case FailedState(o.State):
		msg := fmt.Sprintf("AWS says the endpoint is %s", o.State)
		if o.FailureReason != "" {
			msg += ": " + o.FailureReason
		}
		set(ConditionTerminal, isTrue, state, msg)
		set(ConditionSynced, isFalse, state, msg)
	case o.State == "" || o.State == StateDeleted:
		set(ConditionSynced, isFalse, ReasonNotFound, "the endpoint is not in AWS")
	case o.State == StatePending:
		set(ConditionSynced, isFalse, ReasonPending, "AWS is creating the endpoint")
	case o.State == StateDeleting:
		set(ConditionSynced, isFalse, ReasonDeleting, "AWS is deleting the endpoint")
	case len(o.Updating) > 0:
		set(ConditionSynced, isFalse, ReasonUpdating, "AWS is applying "+strings.Join(o.Updating, ", "))
	case o.State == StatePendingAcceptance:
		// The spec is applied; the endpoint serves once the service's
		// owner accepts it.
		msg := fmt.Sprintf("waiting for the owner of %s to accept the connection", o.ServiceName)
		set(ConditionSynced, isTrue, ReasonPendingAcceptance, msg)
		hold = conditions.Hold{Reason: ReasonPendingAcceptance, Message: msg}
	case o.State == StateAvailable:
		set(ConditionSynced, isTrue, ReasonSynced, "AWS matches the spec")
	default:
		set(ConditionSynced, isFalse, state, "AWS says the endpoint is "+o.State)
	}
	if o.HasReferences {
		status, reason, msg := ReferencesCondition(o.ReferencesErr)
		set(ConditionReferencesResolved, metav1.ConditionStatus(status), reason, msg)
	}
	e.SetReady(readyRule, hold)
	present[ConditionReady] = true
	return toACK(conds, present)
}

// fromACK returns ACK's conditions as apimachinery's, for the shared
// helper. One without a transition time is left out, so that it gets one.
func fromACK(cs []*v1alpha1.Condition) []metav1.Condition {
	var out []metav1.Condition
	for _, c := range cs {
		if c == nil || c.LastTransitionTime == nil {
			continue
		}
		out = append(out, metav1.Condition{Type: c.Type, Status: c.Status, Reason: aws.ToString(c.Reason),
			Message: aws.ToString(c.Message), ObservedGeneration: c.ObservedGeneration, LastTransitionTime: *c.LastTransitionTime})
	}
	return out
}

// toACK returns the present conditions in ACK's order and form: a
// condition without reason and message has neither field (ACK writes a
// resolved reference so).
func toACK(conds []metav1.Condition, present map[string]bool) []*v1alpha1.Condition {
	var out []*v1alpha1.Condition
	for _, typ := range ackOrder {
		c := meta.FindStatusCondition(conds, typ)
		if !present[typ] || c == nil {
			continue
		}
		nc := &v1alpha1.Condition{Type: c.Type, Status: c.Status, ObservedGeneration: c.ObservedGeneration}
		if c.Reason != "" || c.Message != "" {
			nc.Reason, nc.Message = aws.String(c.Reason), aws.String(c.Message)
		}
		t := c.LastTransitionTime
		nc.LastTransitionTime = &t
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
