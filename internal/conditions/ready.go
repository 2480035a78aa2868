package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReadyRule declares how an object's Ready condition follows from its
// other conditions, so that each controller states the rule once instead
// of writing Ready by hand in every branch.
type ReadyRule struct {
	// Type is the Ready condition's type.
	Type string
	// From are the conditions that count, in order of precedence: the
	// first one that is not True gives Ready its reason and message.
	From []string
	// Reason and Message are Ready's when every condition counted is True
	// and nothing holds it.
	Reason, Message string
	// NotReconciled is Ready's reason when a condition counted is missing,
	// Unknown, or True for an older generation: it is not yet known.
	NotReconciled string
}

// Hold keeps Ready False although every condition counted is True: what
// still keeps the object from serving (AWS provisioning a load balancer, a
// connection waiting for acceptance). A Hold without a reason holds
// nothing.
type Hold struct {
	Reason, Message string
}

// Derive returns the Ready condition of conds, the conditions of an object
// at generation: False with the reason and message of the first condition
// counted that is False (of whatever generation: a failure stays shown
// until a later reconcile says otherwise), False NotReconciled for the
// first that is not known, False with the first hold's reason when one
// holds, else True.
func (r ReadyRule) Derive(conds []metav1.Condition, generation int64, holds ...Hold) metav1.Condition {
	for _, typ := range r.From {
		c := meta.FindStatusCondition(conds, typ)
		switch {
		case c != nil && c.Status == metav1.ConditionFalse:
			return r.condition(metav1.ConditionFalse, c.Reason, c.Message)
		case c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != generation:
			return r.condition(metav1.ConditionFalse, r.NotReconciled, typ+" is not yet known")
		}
	}
	for _, h := range holds {
		if h.Reason != "" {
			return r.condition(metav1.ConditionFalse, h.Reason, h.Message)
		}
	}
	return r.condition(metav1.ConditionTrue, r.Reason, r.Message)
}

func (r ReadyRule) condition(status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: r.Type, Status: status, Reason: reason, Message: message}
}
