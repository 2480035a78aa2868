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
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// finalize deletes the endpoint of a deleted object (unless it is retained
// or read-only) and releases the finalizer once AWS says the endpoint is
// deleted or no longer has it.
func (c *Controller) finalize(ctx context.Context, ep *v1alpha1.VPCEndpoint, pol vpcendpoint.Policy) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(ep, vpcendpoint.Finalizer) {
		return reconcile.Result{}, nil
	}
	id := aws.ToString(ep.Status.VPCEndpointID)
	if pol.Deletion == vpcendpoint.DeletionRetain {
		c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Retained", "Delete",
			"left VPC endpoint %s in AWS (deletion policy retain)", id)
		return c.release(ctx, ep, id)
	}
	var obs *ec2types.VpcEndpoint
	var err error
	if id == "" { // created just before a crash, before the status said so?
		if obs = c.Tracker.Owned(ep.Namespace, ep.Name); obs == nil {
			return c.release(ctx, ep, "")
		}
		id = aws.ToString(obs.VpcEndpointId)
	} else if obs, err = c.read(ctx, client.ObjectKeyFromObject(ep), id, anyAge); err != nil {
		// Any observation will do: deleting an endpoint AWS no longer has
		// is answered "not found", and the tracker follows the deletion.
		return reconcile.Result{}, err
	}
	if vpcendpoint.Gone(obs) {
		c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Deleted", "Delete", "deleted VPC endpoint %s", id)
		return c.release(ctx, ep, id)
	}
	if string(obs.State) != vpcendpoint.StateDeleting {
		if err := c.delete(ctx, id); err != nil {
			return c.report(ctx, ep, obs, outcomeOf(err))
		}
		deleting := *obs
		deleting.State = ec2types.State(vpcendpoint.StateDeleting)
		obs = &deleting
		c.Tracker.Record(id, client.ObjectKeyFromObject(ep), obs, true)
	}
	if _, err := c.report(ctx, ep, obs, vpcendpoint.Outcome{}); err != nil {
		return reconcile.Result{}, err
	}
	// The tracker sends the object back when AWS is done; this is a net.
	return reconcile.Result{RequeueAfter: ObservationTTL}, nil
}

// anyAge accepts an observation however old.
const anyAge = 1<<63 - 1

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
