// Package conditions is how every kelb controller writes status conditions:
// one setter (observedGeneration, and a transition time only when the
// status changes), a Ready condition derived from the others by a declared
// rule, one error type for what the object's author must fix, and one
// classification of errors into when to try again.
package conditions

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// Editor sets the conditions of one object in one reconcile: every
// condition it sets carries the object's generation, and the time of this
// reconcile when its status changes.
type Editor struct {
	conds      *[]metav1.Condition
	generation int64
	now        metav1.Time
}

// Edit returns an Editor of conds, the conditions of an object at
// generation. The clock is read once: all transitions of one reconcile
// share a time, to the second (as the API server keeps it).
func Edit(conds *[]metav1.Condition, generation int64, clk clock.PassiveClock) Editor {
	return Editor{conds: conds, generation: generation, now: metav1.NewTime(clk.Now().UTC().Truncate(time.Second))}
}

// Set sets the condition typ. Its lastTransitionTime moves only when its
// status changes (apimachinery's rule). It reports whether what a reader
// sees changed: the status, reason or message, or the condition is new; a
// new observedGeneration alone is no change (no event is due for it).
func (e Editor) Set(typ string, status metav1.ConditionStatus, reason, message string) bool {
	old := meta.FindStatusCondition(*e.conds, typ)
	changed := old == nil || old.Status != status || old.Reason != reason || old.Message != message
	meta.SetStatusCondition(e.conds, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message,
		ObservedGeneration: e.generation, LastTransitionTime: e.now})
	return changed
}

// Mark sets the condition typ True when ok, else False.
func (e Editor) Mark(typ string, ok bool, reason, message string) bool {
	return e.Set(typ, StatusOf(ok), reason, message)
}

// SetReady sets the rule's Ready condition from the other conditions (see
// ReadyRule.Derive).
func (e Editor) SetReady(rule ReadyRule, holds ...Hold) bool {
	c := rule.Derive(*e.conds, e.generation, holds...)
	return e.Set(c.Type, c.Status, c.Reason, c.Message)
}

// Remove drops the conditions of the given types.
func (e Editor) Remove(types ...string) {
	for _, t := range types {
		meta.RemoveStatusCondition(e.conds, t)
	}
}

// StatusOf is True for ok, else False.
func StatusOf(ok bool) metav1.ConditionStatus {
	if ok {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}
