// Package vpcendpoint holds the pure parts of the VPCEndpoint controller:
// the annotations users set (ACK's), the tags kelb adds, the create and
// modify requests computed from spec and what AWS has, and the status and
// conditions computed from what AWS says. Nothing here calls AWS.
package vpcendpoint

import (
	"encoding/json"
	"strings"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/conditions"
)

// Annotations on a VPCEndpoint (ACK's names).
const (
	AnnotationDeletionPolicy = "services.k8s.aws/deletion-policy"
	AnnotationAdoptionPolicy = "services.k8s.aws/adoption-policy"
	AnnotationAdoptionFields = "services.k8s.aws/adoption-fields"
	AnnotationReadOnly       = "services.k8s.aws/read-only"
	// NamespaceDeletionPolicy on a Namespace is the default for its
	// VPCEndpoints.
	NamespaceDeletionPolicy = "ec2.services.k8s.aws/deletion-policy"
)

// Finalizer keeps a VPCEndpoint until AWS says its endpoint is gone.
const Finalizer = "finalizers.ec2.services.k8s.aws/VPCEndpoint"

// Deletion policies.
const (
	DeletionDelete = "delete"
	DeletionRetain = "retain"
)

// Adoption policies.
const (
	AdoptNone        = ""
	Adopt            = "adopt"
	AdoptOrCreate    = "adopt-or-create"
	adoptionFieldKey = "vpcEndpointID"
)

// Policy is what the annotations ask of kelb for one VPCEndpoint.
type Policy struct {
	Deletion string // delete or retain
	Adoption string // "", adopt or adopt-or-create
	// AdoptID is the endpoint named by the adoption fields.
	AdoptID  string
	ReadOnly bool
}

// PolicyOf reads the annotations of ep. namespaceDefault and flagDefault
// are the deletion policies of the Namespace annotation and of the flag,
// in that order of precedence after the object's own.
func PolicyOf(ep *v1alpha1.VPCEndpoint, namespaceDefault, flagDefault string) (Policy, error) {
	a := ep.Annotations
	p := Policy{Deletion: DeletionDelete}
	for _, d := range []struct{ name, v string }{{"--deletion-policy", flagDefault},
		{NamespaceDeletionPolicy, namespaceDefault}, {AnnotationDeletionPolicy, a[AnnotationDeletionPolicy]}} {
		switch v := strings.TrimSpace(d.v); v {
		case "":
		case DeletionDelete, DeletionRetain:
			p.Deletion = v
		default:
			return p, conditions.InvalidAnnotation(d.name, d.v, "delete, retain")
		}
	}
	switch v := strings.TrimSpace(a[AnnotationReadOnly]); v {
	case "", "false":
	case "true":
		p.ReadOnly = true
	default:
		return p, conditions.InvalidAnnotation(AnnotationReadOnly, v, "true, false")
	}
	switch v := strings.TrimSpace(a[AnnotationAdoptionPolicy]); v {
	case AdoptNone, Adopt, AdoptOrCreate:
		p.Adoption = v
	default:
		return p, conditions.InvalidAnnotation(AnnotationAdoptionPolicy, v, "adopt, adopt-or-create")
	}
	if raw := a[AnnotationAdoptionFields]; raw != "" {
		var fields map[string]string
		if err := json.Unmarshal([]byte(raw), &fields); err != nil || !strings.HasPrefix(fields[adoptionFieldKey], "vpce-") {
			return p, conditions.InvalidAnnotation(AnnotationAdoptionFields, raw, `JSON {"vpcEndpointID": "vpce-..."}`)
		}
		p.AdoptID = fields[adoptionFieldKey]
	}
	if (p.Adoption != AdoptNone || p.ReadOnly) && p.AdoptID == "" && ep.Status.VPCEndpointID == nil {
		return p, conditions.InvalidAnnotation(AnnotationAdoptionFields, a[AnnotationAdoptionFields],
			`JSON {"vpcEndpointID": "vpce-..."} naming the endpoint to adopt or observe`)
	}
	if p.ReadOnly {
		p.Deletion = DeletionRetain // read-only never deletes
	}
	return p, nil
}
