package vpcendpoint

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// Reading the ACK objects a VPCEndpoint refers to:
// +kubebuilder:rbac:groups=ec2.services.k8s.aws,resources=vpcs;subnets;securitygroups;routetables,verbs=get

// resolve returns the spec with the ids its references (vpcRef,
// subnetRefs, ...) resolve to, read from the referenced ACK objects as ACK
// reads them: each must be synced and not terminal, and hold the id in its
// status. The object's own spec is not changed.
func (c *Controller) resolve(ctx context.Context, ep *v1alpha1.VPCEndpoint) (v1alpha1.VPCEndpointSpec, error) {
	refs, err := vpcendpoint.ReferencesOf(&ep.Spec, ep.Namespace)
	if err != nil || refs.Empty() {
		return ep.Spec, err
	}
	ids := make([]string, 0, len(refs.All()))
	for _, r := range refs.All() {
		id, err := c.referencedID(ctx, r)
		if err != nil {
			return ep.Spec, err
		}
		ids = append(ids, id)
	}
	return vpcendpoint.WithReferences(ep.Spec, refs, ids), nil
}

// referencedID reads one referenced object, straight from the API server
// (its kind may not be served, so no informer watches it).
func (c *Controller) referencedID(ctx context.Context, r vpcendpoint.Reference) (string, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(r.Kind.GroupVersionKind())
	err := c.Reader.Get(ctx, types.NamespacedName{Namespace: r.Namespace, Name: r.Name}, u)
	switch {
	case meta.IsNoMatchError(err):
		return "", vpcendpoint.NotServedError(r, vpcendpoint.RefField(r.Kind))
	case apierrors.IsNotFound(err):
		return "", &vpcendpoint.ReferenceError{Err: err} // may be created yet: waited for
	case err != nil:
		return "", fmt.Errorf("reading %s %s/%s: %w", r.Kind.Kind, r.Namespace, r.Name, err)
	}
	obj := referencedObject(u, r.Kind)
	return obj.ID, vpcendpoint.CheckReferenced(r, obj)
}

// referencedObject reads an ACK object's conditions and the id in its
// status.
func referencedObject(u *unstructured.Unstructured, k vpcendpoint.RefKind) vpcendpoint.ReferencedObject {
	var o vpcendpoint.ReferencedObject
	o.ID, _, _ = unstructured.NestedString(u.Object, "status", k.StatusField)
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, raw := range conds {
		c, ok := raw.(map[string]any)
		if !ok || c["status"] != "True" {
			continue
		}
		switch c["type"] {
		case vpcendpoint.ConditionTerminal:
			o.Terminal = true
		case vpcendpoint.ConditionSynced:
			o.Synced = true
		}
	}
	return o
}
