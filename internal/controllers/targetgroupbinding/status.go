package targetgroupbinding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/model"
)

// ConditionReady is the binding's one condition: True when the target
// group holds the binding's targets.
const ConditionReady = "Ready"

// Reasons, in the condition and in events.
const (
	ReasonRegistered = "Registered"
	// ReasonForeignTargetGroup: the target group belongs to another
	// cluster's stack and the binding is not multi-cluster: changing its
	// targets would take the other cluster's away.
	ReasonForeignTargetGroup   = "ForeignTargetGroup"
	ReasonTargetGroupNotFound  = "TargetGroupNotFound"
	ReasonInvalidConfiguration = conditions.ReasonInvalidConfiguration
	// ReasonBackendNotFound: the Service or its port is missing; as LBC,
	// the target group then has none of the binding's targets.
	ReasonBackendNotFound = "BackendNotFound"
	ReasonAWSError        = conditions.ReasonAWSError
	ReasonError           = "Error"
)

// outcome is what one reconcile found: the condition and when to look
// again.
type outcome struct {
	ready   bool
	reason  string
	message string
	// err is returned to the workqueue (retried with backoff).
	err error
	// after, when set, is when to reconcile again.
	after time.Duration
}

func registered(tg targetGroup, total int, resync time.Duration) outcome {
	return outcome{ready: true, reason: ReasonRegistered, after: resync,
		message: fmt.Sprintf("target group %s has the binding's %d targets", tg.Name, total)}
}

// As shows an invalidError as the controllers' one terminal-error type:
// the binding's author must edit it.
func (e *invalidError) As(target any) bool {
	te, ok := target.(**conditions.TerminalError)
	if ok {
		*te = &conditions.TerminalError{Reason: ReasonInvalidConfiguration, Field: e.Field, Value: e.Value,
			Allowed: e.Allowed, Message: e.Error()}
	}
	return ok
}

// outcomeOf turns an error into the condition that says what to do.
func outcomeOf(err error) outcome {
	var missing *backendMissingError
	if te, ok := conditions.AsTerminal(err); ok {
		// Waits for an edit of the binding (watched), without a retry.
		return outcome{reason: te.Reason, message: err.Error()}
	}
	switch {
	case errors.As(err, &missing):
		return outcome{reason: ReasonBackendNotFound, message: err.Error()}
	case errors.Is(err, errTargetGroupNotFound):
		// Retried with the controller's backoff (up to 1000 s, LBC's
		// default): the target group may be created later, and a binding
		// left behind by a deleted stack costs few calls.
		return outcome{reason: ReasonTargetGroupNotFound, message: err.Error(), err: err}
	case awsclient.ErrorCode(err) != "Unknown":
		return outcome{reason: ReasonAWSError, message: err.Error(), err: err}
	default:
		return outcome{reason: ReasonError, message: err.Error(), err: err}
	}
}

// report writes the status (observedGeneration and the Ready condition)
// when it changed, with a Warning event when the binding turns not ready
// for a new reason.
func (c *Controller) report(ctx context.Context, tgb *elbv2api.TargetGroupBinding, o outcome) (reconcile.Result, error) {
	if o.err != nil {
		reconcileErrors.WithLabelValues(o.reason).Inc()
	}
	before := tgb.DeepCopy()
	changed := conditions.Edit(&tgb.Status.Conditions, tgb.Generation, c.Clock).
		Mark(ConditionReady, o.ready, o.reason, o.message)
	gen := tgb.Generation
	tgb.Status.ObservedGeneration = &gen
	if !o.ready && changed && o.reason != ReasonNetworkingPending {
		c.Recorder.Eventf(tgb, nil, corev1.EventTypeWarning, o.reason, "Reconcile", "%s", o.message)
	}
	if !equality.Semantic.DeepEqual(before.Status, tgb.Status) {
		if err := c.Client.Status().Patch(ctx, tgb, client.MergeFrom(before)); err != nil {
			return reconcile.Result{}, fmt.Errorf("writing status of TargetGroupBinding %s/%s: %w", tgb.Namespace, tgb.Name, err)
		}
	}
	if o.err != nil {
		return reconcile.Result{}, o.err
	}
	return reconcile.Result{RequeueAfter: o.after}, nil
}

// changeEvents tell what a pass changed in AWS.
func (c *Controller) changeEvents(tgb *elbv2api.TargetGroupBinding, tg targetGroup, res syncResult) {
	if n := len(res.change.Register); n > 0 {
		c.Recorder.Eventf(tgb, nil, corev1.EventTypeNormal, "Registered", "Register",
			"registered %d targets in target group %s: %s", n, tg.Name, listed(res.change.Register))
	}
	if n := len(res.change.Deregister); n > 0 {
		c.Recorder.Eventf(tgb, nil, corev1.EventTypeNormal, "Deregistered", "Deregister",
			"deregistered %d targets from target group %s: %s", n, tg.Name, listed(res.change.Deregister))
	}
}

// listed names up to 10 targets, for an event.
func listed(ts []model.Target) string {
	var parts []string
	for i, t := range ts {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ts)-10))
			break
		}
		parts = append(parts, fmt.Sprintf("%s:%d", t.ID, t.Port))
	}
	return strings.Join(parts, ", ")
}
