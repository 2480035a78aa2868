package vpcendpoint

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// find returns the object's endpoint: by the id in its status (or its
// adoption fields), else by its tags. nil when there is none; an endpoint
// AWS lists as deleted is returned as such for read-only and strict
// adoption, which never create.
func (c *Controller) find(ctx context.Context, ep *v1alpha1.VPCEndpoint, pol vpcendpoint.Policy) (*ec2types.VpcEndpoint, error) {
	id := aws.ToString(ep.Status.VPCEndpointID)
	if id == "" {
		id = pol.AdoptID
	}
	if id != "" {
		maxAge := ObservationTTL
		if specChanged(ep) {
			maxAge = 0
		}
		obs, err := c.read(ctx, id, maxAge)
		if err != nil {
			return nil, err
		}
		if !vpcendpoint.Gone(obs) || pol.ReadOnly || pol.Adoption == vpcendpoint.Adopt {
			return obs, nil
		}
		if ep.Status.VPCEndpointID != nil {
			c.Recorder.Eventf(ep, nil, corev1.EventTypeWarning, vpcendpoint.ReasonNotFound, "Reconcile",
				"endpoint %s is no longer in AWS; creating another", id)
		}
	}
	if pol.ReadOnly {
		return nil, nil
	}
	return c.Tracker.Owned(ep.Namespace, ep.Name), nil
}

// read returns the endpoint's observation: the tracker's when at most
// maxAge old, else a fresh read. Reading does not claim the endpoint for
// the object: it may turn out to be someone else's.
func (c *Controller) read(ctx context.Context, id string, maxAge time.Duration) (*ec2types.VpcEndpoint, error) {
	if maxAge > 0 {
		if obs, ok := c.Tracker.Observation(id, maxAge); ok {
			return obs, nil
		}
	}
	obs, err := describeOne(ctx, c.EC2, id)
	if err != nil {
		return nil, err
	}
	c.Tracker.Observe(id, obs)
	return obs, nil
}

// specChanged reports whether the spec changed since the status was last
// computed: then AWS is read afresh before comparing.
func specChanged(ep *v1alpha1.VPCEndpoint) bool {
	s := vpcendpoint.Find(ep.Status.Conditions, vpcendpoint.ConditionSynced)
	return s == nil || s.ObservedGeneration != ep.Generation
}

// clientToken is the create request's idempotency token: the same for
// every retry of one create (even across a crash, as long as the status
// has not changed), different after the endpoint was deleted out of band.
func clientToken(ep *v1alpha1.VPCEndpoint) string {
	sum := sha256.Sum256([]byte(string(ep.UID) + "/" + aws.ToString(ep.Status.VPCEndpointID)))
	return fmt.Sprintf("kelb-%x", sum[:16])
}

func (c *Controller) create(ctx context.Context, ep *v1alpha1.VPCEndpoint) (*ec2types.VpcEndpoint, error) {
	tags := vpcendpoint.Tags(ep, c.Config.cluster(), c.Config.DefaultTags)
	in := vpcendpoint.CreateInput(&ep.Spec, c.Config.VPCID, tags, clientToken(ep))
	out, err := c.EC2.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("creating VPC endpoint to %s: %w", aws.ToString(ep.Spec.ServiceName), err)
	}
	obs := out.VpcEndpoint
	c.Tracker.Record(aws.ToString(obs.VpcEndpointId), client.ObjectKeyFromObject(ep), obs, false)
	c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Created", "Create", "created VPC endpoint %s",
		aws.ToString(obs.VpcEndpointId))
	return obs, nil
}

// adopt takes an existing endpoint as it is: the spec is rewritten from AWS
// (ACK's "adopt"); the endpoint gets kelb's owner tags in update.
func (c *Controller) adopt(ctx context.Context, ep *v1alpha1.VPCEndpoint, obs *ec2types.VpcEndpoint) error {
	ep.Spec = vpcendpoint.SpecFrom(obs, ep.Spec)
	if err := c.Client.Update(ctx, ep); err != nil {
		return fmt.Errorf("writing the adopted endpoint's spec: %w", err)
	}
	c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Adopted", "Adopt", "adopted VPC endpoint %s",
		aws.ToString(obs.VpcEndpointId))
	return nil
}

// update sends what differs between spec and AWS: one ModifyVpcEndpoint
// and the tag changes. Changes other than tags wait while AWS is creating
// or deleting the endpoint.
func (c *Controller) update(ctx context.Context, ep *v1alpha1.VPCEndpoint, obs *ec2types.VpcEndpoint) (vpcendpoint.Outcome, error) {
	id := aws.ToString(obs.VpcEndpointId)
	state := string(obs.State)
	if vpcendpoint.FailedState(state) || state == vpcendpoint.StateDeleting {
		return vpcendpoint.Outcome{}, nil
	}
	ch := vpcendpoint.Diff(&ep.Spec, obs, vpcendpoint.Tags(ep, c.Config.cluster(), c.Config.DefaultTags))
	if ch.Empty() {
		c.mu.Lock()
		delete(c.modified, id)
		c.mu.Unlock()
		return vpcendpoint.Outcome{}, nil
	}
	sent := false
	if ch.Modify != nil && (state == vpcendpoint.StateAvailable || state == vpcendpoint.StatePendingAcceptance) && c.mayModify(id, ch.Fields) {
		if _, err := c.EC2.ModifyVpcEndpoint(ctx, ch.Modify); err != nil {
			return vpcendpoint.Outcome{}, fmt.Errorf("modifying VPC endpoint %s (%s): %w", id, strings.Join(ch.Fields, ", "), err)
		}
		sent = true
	}
	if ch.Tags != nil {
		if _, err := awsclient.UpdateEC2Tags(ctx, c.EC2, id, awsclient.EC2TagMap(obs.Tags), ch.Tags, model.TagPolicy{}); err != nil {
			return vpcendpoint.Outcome{}, fmt.Errorf("VPC endpoint: %w", err)
		}
		sent = true
	}
	if sent {
		c.Tracker.Record(id, client.ObjectKeyFromObject(ep), obs, true)
		c.Recorder.Eventf(ep, nil, corev1.EventTypeNormal, "Updated", "Update", "updating %s of %s",
			strings.Join(ch.Fields, ", "), id)
	}
	return vpcendpoint.Outcome{Updating: ch.Fields}, nil
}

// mayModify rate-limits a modify AWS has accepted but not shown yet: the
// same change is sent again at most once a minute.
func (c *Controller) mayModify(id string, fields []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	key, now := strings.Join(fields, ","), c.Clock.Now()
	if last, ok := c.modified[id]; ok && last.fields == key && now.Sub(last.at) < modifyRetry {
		return false
	}
	c.modified[id] = sentModify{fields: key, at: now}
	return true
}

// mayTake refuses to manage an endpoint that is not the object's to take:
// not provably its own (vpcendpoint.MayManage: tagged for another object
// or cluster, retained, or unknown and not explicitly adopted), or one to
// another service than the spec's (adoption fields naming the wrong
// endpoint). Observing is always allowed.
func (c *Controller) mayTake(ep *v1alpha1.VPCEndpoint, obs *ec2types.VpcEndpoint, pol vpcendpoint.Policy) error {
	if pol.ReadOnly {
		return nil
	}
	id := aws.ToString(obs.VpcEndpointId)
	explicit := pol.Adoption != vpcendpoint.AdoptNone && pol.AdoptID == id
	o := vpcendpoint.OwnershipOf(awsclient.EC2TagMap(obs.Tags), ep.Namespace, ep.Name, c.Config.cluster())
	if err := vpcendpoint.MayManage(o, id, explicit); err != nil {
		return err
	}
	if want, have := aws.ToString(ep.Spec.ServiceName), aws.ToString(obs.ServiceName); want != "" && want != have {
		return conditions.InvalidAnnotation(vpcendpoint.AnnotationAdoptionFields, aws.ToString(obs.VpcEndpointId),
			"an endpoint to "+want+" (spec.serviceName); it is one to "+have)
	}
	return nil
}

func (c *Controller) ensureFinalizer(ctx context.Context, ep *v1alpha1.VPCEndpoint) error {
	if !controllerutil.AddFinalizer(ep, vpcendpoint.Finalizer) {
		return nil
	}
	if err := c.Client.Update(ctx, ep); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}
