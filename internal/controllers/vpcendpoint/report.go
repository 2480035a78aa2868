package vpcendpoint

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// outcomeOf classifies an error: what only the object's author can fix
// (a terminal error: bad input, an endpoint not the object's) and requests
// AWS refuses as made are terminal (no retry until the object changes);
// the rest is retried.
func outcomeOf(err error) vpcendpoint.Outcome {
	if te, ok := conditions.AsTerminal(err); ok {
		return vpcendpoint.Outcome{Err: err, Terminal: true, ErrReason: te.Reason}
	}
	// As ACK, a request naming a resource that does not exist is terminal
	// too (the Service controller waits for such a subnet instead).
	if conditions.RetryOf(err) == conditions.RetryOnChange || awsclient.IsInvalidReference(err) {
		return vpcendpoint.Outcome{Err: err, Terminal: true, ErrReason: vpcendpoint.ReasonAWSRejected}
	}
	return vpcendpoint.Outcome{Err: err, ErrReason: vpcendpoint.ReasonAWSError}
}

// referencesOutcome is the outcome of references that did not resolve:
// terminal when only an edit can help (ACK.ReferencesResolved False),
// else waited for and looked at again soon (Unknown).
func referencesOutcome(err error) vpcendpoint.Outcome {
	out := vpcendpoint.Outcome{Err: err, HasReferences: true, ReferencesErr: err}
	var re *vpcendpoint.ReferenceError
	switch {
	case errors.As(err, &re) && re.Terminal:
		out.Terminal, out.ErrReason = true, vpcendpoint.ReasonInvalid
	case errors.As(err, &re):
		out.ErrReason, out.RetryAfter = vpcendpoint.ReasonReferences, referenceRetry
	default:
		out.ErrReason = vpcendpoint.ReasonAWSError // the API server's error: retried
	}
	return out
}

// conditionMessage is how a condition shows an error: an AWS error as ACK
// shows it ("api error <code>: <message>"), others with request ids taken
// out.
func conditionMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("api error %s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	return awsclient.Message(err)
}

// report writes what AWS says (obs, when known) and the conditions of the
// outcome into the status, with an event for every change a user should
// see, and returns the reconcile's result.
func (c *Controller) report(ctx context.Context, ep *v1alpha1.VPCEndpoint, obs *ec2types.VpcEndpoint, out vpcendpoint.Outcome) (reconcile.Result, error) {
	before := ep.DeepCopy()
	if obs != nil {
		vpcendpoint.SetObserved(&ep.Status, obs, c.Config.Region)
		out.State, out.FailureReason = string(obs.State), vpcendpoint.FailureReason(obs)
	} else if ep.Status.VPCEndpointID != nil && out.Err == nil {
		ep.Status.State = aws.String(vpcendpoint.StateDeleted) // it was there and is gone
		out.State = vpcendpoint.StateDeleted
	}
	out.ServiceName = aws.ToString(ep.Spec.ServiceName)
	if !out.HasReferences {
		out.HasReferences = vpcendpoint.HasReferences(&ep.Spec)
	}
	if out.Err != nil {
		out.Err = errors.New(conditionMessage(out.Err))
	}
	ep.Status.Conditions = vpcendpoint.Conditions(before.Status.Conditions, out, ep.Generation, c.Clock)
	if !equality.Semantic.DeepEqual(before.Status, ep.Status) {
		if err := c.Client.Status().Patch(ctx, ep, client.MergeFrom(before)); err != nil {
			if apierrors.IsNotFound(err) {
				return reconcile.Result{}, nil
			}
			return reconcile.Result{}, fmt.Errorf("writing status: %w", err)
		}
		c.events(ep, before)
	}
	if out.Err != nil {
		if out.Terminal {
			log.FromContext(ctx).Info("not retrying until the object changes", "reason", out.ErrReason, "error", out.Err.Error())
			return reconcile.Result{}, nil
		}
		if out.RetryAfter > 0 {
			return reconcile.Result{RequeueAfter: out.RetryAfter}, nil
		}
		return reconcile.Result{}, out.Err
	}
	return reconcile.Result{}, nil
}

// events tells the user what changed: the endpoint's state, and a new
// error.
func (c *Controller) events(ep, before *v1alpha1.VPCEndpoint) {
	was, is := aws.ToString(before.Status.State), aws.ToString(ep.Status.State)
	if was != is && is != "" {
		kind := corev1.EventTypeNormal
		if vpcendpoint.FailedState(is) {
			kind = corev1.EventTypeWarning
		}
		from := was
		if from == "" {
			from = "none"
		}
		c.Recorder.Eventf(ep, nil, kind, "StateChanged", "Observe", "%s: %s -> %s",
			aws.ToString(ep.Status.VPCEndpointID), from, is)
	}
	for _, t := range []string{vpcendpoint.ConditionTerminal, vpcendpoint.ConditionRecoverable} {
		now, prev := vpcendpoint.Find(ep.Status.Conditions, t), vpcendpoint.Find(before.Status.Conditions, t)
		if now != nil && (prev == nil || aws.ToString(prev.Message) != aws.ToString(now.Message)) {
			c.Recorder.Eventf(ep, nil, corev1.EventTypeWarning, aws.ToString(now.Reason), "Reconcile", "%s",
				aws.ToString(now.Message))
		}
	}
}
