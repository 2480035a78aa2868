package vpcendpoint

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

// ConditionReferencesResolved is ACK's condition of an object that refers
// to other ACK objects (vpcRef, subnetRefs, ...): present only then.
const ConditionReferencesResolved = "ACK.ReferencesResolved"

// ReferenceFailedMessage is ACK's message of a failed resolution (ACK puts
// the error itself in the reason).
const ReferenceFailedMessage = "Reference resolution failed"

// RefKind is a kind of ACK object a VPCEndpoint may refer to and where its
// AWS id is.
type RefKind struct {
	Kind string
	// Resource is the kind's plural, for messages.
	Resource string
	// StatusField is the status field holding the id (JSON name), and
	// TargetField how ACK names it in messages.
	StatusField, TargetField string
}

// GroupVersionKind of the referenced kind (ACK's EC2 API).
func (k RefKind) GroupVersionKind() schema.GroupVersionKind {
	return v1alpha1.GroupVersion.WithKind(k.Kind)
}

// The kinds VPCEndpoint's references name (ACK's ec2-controller).
var (
	RefVPC           = RefKind{Kind: "VPC", Resource: "vpcs", StatusField: "vpcID", TargetField: "Status.VPCID"}
	RefSubnet        = RefKind{Kind: "Subnet", Resource: "subnets", StatusField: "subnetID", TargetField: "Status.SubnetID"}
	RefSecurityGroup = RefKind{Kind: "SecurityGroup", Resource: "securitygroups", StatusField: "id", TargetField: "Status.ID"}
	RefRouteTable    = RefKind{Kind: "RouteTable", Resource: "routetables", StatusField: "routeTableID", TargetField: "Status.RouteTableID"}
)

// Reference is one referenced object.
type Reference struct {
	Kind            RefKind
	Namespace, Name string
}

// References are the objects a spec refers to, in field order: vpcRef,
// subnetRefs, securityGroupRefs, routeTableRefs.
type References struct {
	VPC                                  *Reference
	Subnets, SecurityGroups, RouteTables []Reference
}

// Empty reports whether the spec refers to nothing.
func (r References) Empty() bool {
	return r.VPC == nil && len(r.Subnets)+len(r.SecurityGroups)+len(r.RouteTables) == 0
}

// All lists every reference.
func (r References) All() []Reference {
	var out []Reference
	if r.VPC != nil {
		out = append(out, *r.VPC)
	}
	out = append(out, r.Subnets...)
	out = append(out, r.SecurityGroups...)
	return append(out, r.RouteTables...)
}

// ReferenceError is a reference that cannot be resolved, in ACK's words.
// Terminal: only an edit of an object can help (both an id and its
// reference, an empty name, a kind this cluster does not serve, or a
// referenced object ACK marked terminal). ReferencedTerminal is the last
// case: ACK then sets ACK.ReferencesResolved to False rather than Unknown.
type ReferenceError struct {
	Err                          error
	Terminal, ReferencedTerminal bool
}

func (e *ReferenceError) Error() string { return e.Err.Error() }
func (e *ReferenceError) Unwrap() error { return e.Err }

// HasReferences reports whether the spec refers to any ACK object.
func HasReferences(spec *v1alpha1.VPCEndpointSpec) bool {
	return spec.VPCRef != nil || len(spec.SubnetRefs)+len(spec.SecurityGroupRefs)+len(spec.RouteTableRefs) > 0
}

// ReferencesOf reads the references of spec in namespace and checks them
// as ACK does: an id field and its reference together are refused, and a
// reference needs a name. Its namespace defaults to the object's.
func ReferencesOf(spec *v1alpha1.VPCEndpointSpec, namespace string) (References, error) {
	var refs References
	for _, both := range []struct {
		ids, refs bool
		idF, refF string
	}{
		{len(spec.RouteTableIDs) > 0, len(spec.RouteTableRefs) > 0, "RouteTableIDs", "RouteTableRefs"},
		{len(spec.SecurityGroupIDs) > 0, len(spec.SecurityGroupRefs) > 0, "SecurityGroupIDs", "SecurityGroupRefs"},
		{len(spec.SubnetIDs) > 0, len(spec.SubnetRefs) > 0, "SubnetIDs", "SubnetRefs"},
		{spec.VPCID != nil, spec.VPCRef != nil, "VPCID", "VPCRef"},
	} {
		if both.ids && both.refs {
			return refs, &ReferenceError{Terminal: true, Err: fmt.Errorf(
				"both resource reference wrapper and ID cannot be used together: %s,%s", both.idF, both.refF)}
		}
	}
	one := func(w *v1alpha1.AWSResourceReferenceWrapper, kind RefKind, field string) (*Reference, error) {
		if w == nil || w.From == nil {
			return nil, nil
		}
		if aws.ToString(w.From.Name) == "" {
			return nil, &ReferenceError{Terminal: true, Err: fmt.Errorf("provided resource reference is nil or empty: %s", field)}
		}
		ns := namespace
		if n := aws.ToString(w.From.Namespace); n != "" {
			ns = n
		}
		return &Reference{Kind: kind, Namespace: ns, Name: *w.From.Name}, nil
	}
	many := func(ws []*v1alpha1.AWSResourceReferenceWrapper, kind RefKind, field string) ([]Reference, error) {
		var out []Reference
		for _, w := range ws {
			r, err := one(w, kind, field)
			if err != nil {
				return nil, err
			}
			if r != nil {
				out = append(out, *r)
			}
		}
		return out, nil
	}
	var err error
	if refs.VPC, err = one(spec.VPCRef, RefVPC, "VPCRef"); err != nil {
		return refs, err
	}
	if refs.Subnets, err = many(spec.SubnetRefs, RefSubnet, "SubnetRefs"); err != nil {
		return refs, err
	}
	if refs.SecurityGroups, err = many(spec.SecurityGroupRefs, RefSecurityGroup, "SecurityGroupRefs"); err != nil {
		return refs, err
	}
	refs.RouteTables, err = many(spec.RouteTableRefs, RefRouteTable, "RouteTableRefs")
	return refs, err
}

// ReferencedObject is what a referenced object says of itself: its ACK
// conditions and the id in its status ("" when absent).
type ReferencedObject struct {
	Terminal, Synced bool
	ID               string
}

// CheckReferenced judges a referenced object as ACK does: one ACK marked
// terminal cannot be referenced, one not yet synced is waited for, and one
// without the id in its status is waited for too.
func CheckReferenced(r Reference, o ReferencedObject) error {
	where := fmt.Sprintf("resource:%s, namespace:%s, name:%s", r.Kind.Kind, r.Namespace, r.Name)
	switch {
	case o.Terminal:
		return &ReferenceError{Terminal: true, ReferencedTerminal: true, Err: fmt.Errorf(
			"the referenced resource has 'ACK.Terminal' condition 'True'. Cannot be referenced. %s", where)}
	case !o.Synced:
		return &ReferenceError{Err: fmt.Errorf("the referenced resource is not synced yet. %s", where)}
	case o.ID == "":
		return &ReferenceError{Err: fmt.Errorf("the referenced resource is missing the target field. %s, targetField:%s",
			where, r.Kind.TargetField)}
	}
	return nil
}

// NotServedError: the cluster does not serve the referenced kind (ACK's
// CRD for it is not installed), so nothing can be resolved.
func NotServedError(r Reference, field string) error {
	gvk := r.Kind.GroupVersionKind()
	return &ReferenceError{Terminal: true, Err: fmt.Errorf(
		"%s names %s %s/%s, but this cluster does not serve kind %s (%s): install ACK's %s CRD or set %s",
		field, r.Kind.Kind, r.Namespace, r.Name, r.Kind.Kind, gvk.GroupVersion(), r.Kind.Kind, idField(r.Kind))}
}

func idField(k RefKind) string {
	switch k {
	case RefVPC:
		return "vpcID"
	case RefSubnet:
		return "subnetIDs"
	case RefSecurityGroup:
		return "securityGroupIDs"
	}
	return "routeTableIDs"
}

// RefField is the spec field of a reference, for messages.
func RefField(k RefKind) string {
	switch k {
	case RefVPC:
		return "vpcRef"
	case RefSubnet:
		return "subnetRefs"
	case RefSecurityGroup:
		return "securityGroupRefs"
	}
	return "routeTableRefs"
}

// WithReferences returns spec with the ids its references resolve to
// (ids[i] for refs.All()[i]) in the id fields. The object's own spec never
// holds them (ACK keeps them out too): only requests to AWS do.
func WithReferences(spec v1alpha1.VPCEndpointSpec, refs References, ids []string) v1alpha1.VPCEndpointSpec {
	next := func() *string {
		id := ids[0]
		ids = ids[1:]
		return aws.String(id)
	}
	if refs.VPC != nil {
		spec.VPCID = next()
	}
	fill := func(n int) []*string {
		if n == 0 {
			return nil
		}
		out := make([]*string, 0, n)
		for range n {
			out = append(out, next())
		}
		return out
	}
	if s := fill(len(refs.Subnets)); s != nil {
		spec.SubnetIDs = s
	}
	if s := fill(len(refs.SecurityGroups)); s != nil {
		spec.SecurityGroupIDs = s
	}
	if s := fill(len(refs.RouteTables)); s != nil {
		spec.RouteTableIDs = s
	}
	return spec
}

// ReferencesCondition is ACK.ReferencesResolved for a resolution that
// ended with err: True without reason or message when resolved; else
// Unknown (waiting: retried), or False when a referenced object is
// terminal or the reference cannot be resolved at all, with ACK's message
// and the error as the reason.
func ReferencesCondition(err error) (status, reason, message string) {
	if err == nil {
		return "True", "", ""
	}
	status = "Unknown"
	var re *ReferenceError
	if errors.As(err, &re) && re.Terminal {
		status = "False"
	}
	return status, strings.TrimSpace(err.Error()), ReferenceFailedMessage
}
