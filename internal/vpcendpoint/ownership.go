package vpcendpoint

import (
	"fmt"
	"maps"

	"github.com/kelb-dev/kelb/internal/model"
)

// TagRetainedFrom marks an endpoint that a deleted object left in AWS
// (deletion policy retain); its value is that object, <namespace>/<name>.
// A retained endpoint has lost its owner tag (TagResource), so no object
// finds it by tag again: only an explicit adoption takes it, and that
// removes the mark.
const TagRetainedFrom = "ec2.services.k8s.aws/retained-from"

// Owner says whose an endpoint is, as its tags tell one object.
type Owner int

const (
	// OwnerThis: kelb's owner tags name the object and the cluster.
	OwnerThis Owner = iota + 1
	// OwnerRetainedByThis: the object left it in AWS (retained).
	OwnerRetainedByThis
	// OwnerRetained: another object left it in AWS; nobody's until an
	// explicit adoption.
	OwnerRetained
	// OwnerNamespace: made by ACK (or kelb) for the object's namespace and
	// claimed by no object, as ACK tags what it makes: an endpoint an
	// ACK-managed object names in its status, taken over when kelb
	// replaces ACK.
	OwnerNamespace
	// OwnerOther: tagged for another object or another cluster.
	OwnerOther
	// OwnerUnknown: nothing on it says it is kelb's or ACK's.
	OwnerUnknown
)

// Ownership is an endpoint's Owner and, in words, the tags that decide it.
type Ownership struct {
	Owner Owner
	Why   string
}

// OwnershipOf reads an endpoint's tags for the object namespace/name of
// the cluster.
func OwnershipOf(tags map[string]string, namespace, name, cluster string) Ownership {
	object := namespace + "/" + name
	owner, owned := tags[TagResource]
	tagCluster, clustered := tags[model.TagCluster]
	switch {
	case owned && owner == object && tagCluster == cluster:
		return Ownership{OwnerThis, fmt.Sprintf("its tags %s=%s and %s=%s name this object", TagResource, owner,
			model.TagCluster, tagCluster)}
	case owned && owner != object:
		return Ownership{OwnerOther, fmt.Sprintf("its tag %s=%s says it is another object's", TagResource, owner)}
	case owned:
		return Ownership{OwnerOther, fmt.Sprintf("its tag %s=%q says it is another cluster's", model.TagCluster, tagCluster)}
	}
	if from, ok := tags[TagRetainedFrom]; ok {
		if from == object && tagCluster == cluster {
			return Ownership{OwnerRetainedByThis, fmt.Sprintf("its tag %s=%s says this object left it in AWS", TagRetainedFrom, from)}
		}
		return Ownership{OwnerRetained, fmt.Sprintf("its tag %s=%s says %s left it in AWS (deletion policy retain)",
			TagRetainedFrom, from, from)}
	}
	switch {
	case clustered && tagCluster != cluster:
		return Ownership{OwnerOther, fmt.Sprintf("its tag %s=%s says it is another cluster's", model.TagCluster, tagCluster)}
	case tags[TagController] != "" && tags[TagNamespace] == namespace:
		return Ownership{OwnerNamespace, fmt.Sprintf("its tags %s=%s and %s=%s say it was made for this namespace",
			TagController, tags[TagController], TagNamespace, namespace)}
	}
	return Ownership{OwnerUnknown, fmt.Sprintf("it has no %s tag naming this object", TagResource)}
}

// NotOwnedError refuses to manage an endpoint that is not provably the
// object's: terminal until the user adopts it explicitly.
type NotOwnedError struct {
	ID, Why string
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("VPC endpoint %s is not this object's (%s); to take it, set %s: %s with %s naming it",
		e.ID, e.Why, AnnotationAdoptionPolicy, Adopt, AnnotationAdoptionFields)
}

// MayManage says whether an object may change (and later delete) the
// endpoint id. explicit: the object's adoption policy and fields name this
// endpoint. Its own endpoints, and ACK's for its namespace (the one its
// status names), are the object's; a retained or unknown endpoint only by
// explicit adoption; another object's or cluster's never.
func MayManage(o Ownership, id string, explicit bool) error {
	switch o.Owner {
	case OwnerThis, OwnerNamespace:
		return nil
	case OwnerOther:
		if explicit {
			return &InvalidError{Annotation: AnnotationAdoptionFields, Value: id,
				Allowed: "an endpoint no other object owns; " + o.Why}
		}
	case OwnerRetainedByThis, OwnerRetained, OwnerUnknown:
		if explicit {
			return nil
		}
	}
	return &NotOwnedError{ID: id, Why: o.Why}
}

// RetainedTags are the tags of an endpoint its object leaves in AWS: the
// owner tag goes, the mark naming the object comes; the rest stays.
func RetainedTags(have map[string]string, namespace, name string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	delete(out, TagResource)
	out[TagRetainedFrom] = namespace + "/" + name
	return out
}
