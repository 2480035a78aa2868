package vpcendpoint

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// finalize deletes or retains the endpoint of a deleted object and
// releases the finalizer as ACK does: once AWS has accepted the delete (or
// says the endpoint is deleting or gone), or once it is retained. That the
// endpoint really goes away is then the tracker's to see: it follows the
// endpoint until AWS is done, and deletes it again should AWS bring it back
// (finishReleased). Only an endpoint whose tags, read from AWS right
// before, name this object is deleted or untagged; any other (a read-only
// object's, or a foreign id in a stale status) is left as it is.
func (c *Controller) finalize(ctx context.Context, ep *v1alpha1.VPCEndpoint, pol vpcendpoint.Policy) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(ep, vpcendpoint.Finalizer) {
		return reconcile.Result{}, nil
	}
	id := aws.ToString(ep.Status.VPCEndpointID)
	if id == "" && !pol.ReadOnly { // created just before a crash, before the status said so?
		if owned := c.Tracker.Owned(ep.Namespace, ep.Name); owned != nil {
			id = aws.ToString(owned.VpcEndpointId)
		}
	}
	if id == "" {
		return c.release(ctx, ep, "")
	}
	step, obs, err := c.finalStep(ctx, ep, pol, id)
	if err != nil {
		return reconcile.Result{}, err
	}
	key := client.ObjectKeyFromObject(ep)
	switch step.Step {
	case vpcendpoint.StepGone:
		c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Deleted", "Delete", "deleted VPC endpoint %s", id)
		return c.release(ctx, ep, id)
	case vpcendpoint.StepRetain:
		if err := c.retain(ctx, ep, obs); err != nil {
			return c.report(ctx, ep, obs, outcomeOf(err))
		}
		fallthrough
	case vpcendpoint.StepRetained:
		c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Retained", "Delete",
			"left VPC endpoint %s in AWS (deletion policy retain), tagged %s=%s/%s and no longer %s",
			id, vpcendpoint.TagRetainedFrom, ep.Namespace, ep.Name, vpcendpoint.TagName)
		return c.release(ctx, ep, id)
	case vpcendpoint.StepLeave:
		c.leave(ctx, ep, id, step)
		return c.release(ctx, ep, "")
	case vpcendpoint.StepDelete:
		if err := c.delete(ctx, id); err != nil {
			return c.report(ctx, ep, obs, outcomeOf(err))
		}
		c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Deleted", "Delete", "deleting VPC endpoint %s", id)
		c.Tracker.Release(id, key, deletingCopy(obs))
	case vpcendpoint.StepWait: // deleted before (a restart, or a release that did not go through)
		c.Tracker.Release(id, key, obs)
	}
	return c.release(ctx, ep, "")
}

// deletingCopy is obs as AWS shows it once a delete is accepted.
func deletingCopy(obs *ec2types.VpcEndpoint) *ec2types.VpcEndpoint {
	deleting := *obs
	deleting.State = ec2types.State(vpcendpoint.StateDeleting)
	return &deleting
}

// finalStep decides what to do with the endpoint. Waiting for a deletion
// and releasing a gone endpoint change nothing in AWS, so any observation
// will do (the tracker follows a deletion); every other step is decided on
// a read made now, never on an older observation or the status.
func (c *Controller) finalStep(ctx context.Context, ep *v1alpha1.VPCEndpoint, pol vpcendpoint.Policy, id string) (vpcendpoint.Finalization, *ec2types.VpcEndpoint, error) {
	decide := func(obs *ec2types.VpcEndpoint) vpcendpoint.Finalization {
		var o vpcendpoint.Ownership
		if obs != nil {
			o = vpcendpoint.OwnershipOf(awsclient.EC2TagMap(obs.Tags), ep.Namespace, ep.Name, c.Config.cluster())
		}
		return vpcendpoint.Finalize(pol, obs, o)
	}
	if pol.ReadOnly {
		return decide(nil), nil, nil
	}
	if obs, ok := c.Tracker.Observation(id, anyAge); ok {
		if step := decide(obs); !step.FreshReadNeeded() {
			return step, obs, nil
		}
	}
	obs, err := c.read(ctx, id, 0)
	if err != nil {
		return vpcendpoint.Finalization{}, nil, err
	}
	return decide(obs), obs, nil
}

// anyAge accepts an observation however old.
const anyAge = 1<<63 - 1

// retain takes kelb's owner tag off the endpoint and marks it retained by
// the object, so that no object takes it again by tag. The mark is set
// before the owner tag goes: a crash in between leaves an endpoint that is
// still the object's, which the next attempt untags; a crash after it
// leaves one marked retained by the object, which the next attempt
// releases.
func (c *Controller) retain(ctx context.Context, ep *v1alpha1.VPCEndpoint, obs *ec2types.VpcEndpoint) error {
	id, have := aws.ToString(obs.VpcEndpointId), awsclient.EC2TagMap(obs.Tags)
	want := vpcendpoint.RetainedTags(have, ep.Namespace, ep.Name)
	if _, err := awsclient.UpdateEC2Tags(ctx, c.EC2, id, have, want, model.TagPolicy{}); err != nil {
		return fmt.Errorf("marking VPC endpoint %s retained: %w", id, err)
	}
	return nil
}

// leave tells why the endpoint stays in AWS as it is.
func (c *Controller) leave(ctx context.Context, ep *v1alpha1.VPCEndpoint, id string, step vpcendpoint.Finalization) {
	kind, reason := corev1.EventTypeNormal, "Retained"
	if step.Warn {
		kind, reason = corev1.EventTypeWarning, "NotOwned"
	}
	c.Recorder.Eventf(ep, nil, kind, reason, "Delete", "left VPC endpoint %s in AWS: %s", id, step.Why)
	log.FromContext(ctx).Info("left VPC endpoint in AWS", "endpoint", id, "reason", step.Why)
}

func (c *Controller) delete(ctx context.Context, id string) error {
	out, err := c.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		if awsclient.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("deleting VPC endpoint %s: %w", id, err)
	}
	for _, u := range out.Unsuccessful {
		if u.Error != nil && !isNotFoundCode(aws.ToString(u.Error.Code)) {
			return fmt.Errorf("deleting VPC endpoint %s: %s: %s", id, aws.ToString(u.Error.Code), aws.ToString(u.Error.Message))
		}
	}
	return nil
}

func isNotFoundCode(code string) bool {
	return code == "InvalidVpcEndpoint.NotFound" || code == "InvalidVpcEndpointId.NotFound"
}

// release removes the finalizer; id, when set, is the object's own
// endpoint, which the tracker stops following. A foreign endpoint is not
// forgotten here: it may be another object's.
func (c *Controller) release(ctx context.Context, ep *v1alpha1.VPCEndpoint, id string) (reconcile.Result, error) {
	if id != "" {
		c.Tracker.Forget(id)
	}
	controllerutil.RemoveFinalizer(ep, vpcendpoint.Finalizer)
	if err := c.Client.Update(ctx, ep); err != nil && !apierrors.IsNotFound(err) {
		return reconcile.Result{}, fmt.Errorf("removing finalizer: %w", err)
	}
	return reconcile.Result{}, nil
}
