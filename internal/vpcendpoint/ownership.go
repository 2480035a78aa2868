package vpcendpoint

import (
	"fmt"
	"maps"
	"strings"

	"github.com/kelb-dev/kelb/internal/conditions"
)

// TagRetainedFrom marks an endpoint that a deleted object left in AWS
// (deletion policy retain); its value is that object, <namespace>/<name>.
// A retained endpoint has lost its owner tag (TagName), so no object finds
// it by tag again: only an explicit adoption takes it, and that removes the
// mark.
const TagRetainedFrom = SystemTagPrefix + "retained-from"

// Owner says whose an endpoint is, as its tags tell one object.
type Owner int

const (
	// OwnerThis: kelb's owner tags (or an earlier kelb's) name the object
	// and the cluster.
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

// owner is the object and cluster an endpoint's owner tags name.
type owner struct {
	object  string // <namespace>/<name>
	cluster Cluster
	legacy  bool // an earlier kelb's keys, which carried no cluster UID
	// objectTags and clusterTags say it in tags, for messages.
	objectTags, clusterTags string
}

// ownerOf reads the owner tags: kelb's current ones (name with a cluster
// tag), else an earlier kelb's. false when there are none.
func ownerOf(tags map[string]string) (owner, bool) {
	_, named := tags[TagName]
	_, clusterName := tags[TagCluster]
	_, clusterUID := tags[TagClusterUID]
	if named && (clusterName || clusterUID) {
		o := owner{object: tags[TagNamespace] + "/" + tags[TagName],
			cluster:    Cluster{Name: tags[TagCluster], UID: tags[TagClusterUID]},
			objectTags: fmt.Sprintf("%s=%s and %s=%s", TagNamespace, tags[TagNamespace], TagName, tags[TagName])}
		o.clusterTags = fmt.Sprintf("%s=%q", TagCluster, o.cluster.Name)
		if clusterUID {
			o.clusterTags += fmt.Sprintf(" and %s=%q", TagClusterUID, o.cluster.UID)
		}
		return o, true
	}
	if object, ok := tags[LegacyTagResource]; ok {
		return owner{object: object, cluster: Cluster{Name: tags[LegacyTagCluster]}, legacy: true,
			objectTags:  fmt.Sprintf("%s=%s", LegacyTagResource, object),
			clusterTags: fmt.Sprintf("%s=%q", LegacyTagCluster, tags[LegacyTagCluster])}, true
	}
	return owner{}, false
}

// sameCluster: the tags name this cluster. An earlier kelb's tags carry
// only the cluster's name.
func (o owner) sameCluster(c Cluster) bool {
	if o.legacy {
		return o.cluster.Name == c.Name
	}
	return o.cluster.Name == c.Name && o.cluster.UID == c.UID
}

// OwnedBy returns the object an endpoint's owner tags name when they name
// this cluster; false when they name none (no owner tags, another
// cluster's, or retained).
func OwnedBy(tags map[string]string, c Cluster) (namespace, name string, ok bool) {
	o, ok := ownerOf(tags)
	if !ok || !o.sameCluster(c) {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(o.object, "/")
	return namespace, name, ok && name != ""
}

// retainedFrom returns the object a retained endpoint names, "" when it is
// not marked retained.
func retainedFrom(tags map[string]string) (key, from string) {
	for _, k := range []string{TagRetainedFrom, LegacyTagRetainedFrom} {
		if v, ok := tags[k]; ok {
			return k, v
		}
	}
	return "", ""
}

// OwnershipOf reads an endpoint's tags for the object namespace/name of
// the cluster.
func OwnershipOf(tags map[string]string, namespace, name string, cluster Cluster) Ownership {
	object := namespace + "/" + name
	if o, ok := ownerOf(tags); ok {
		switch {
		case o.object != object:
			return Ownership{OwnerOther, fmt.Sprintf("its tags %s say it is another object's, %s", o.objectTags, o.object)}
		case !o.sameCluster(cluster):
			return Ownership{OwnerOther, fmt.Sprintf("its tags %s say it is another cluster's", o.clusterTags)}
		}
		return Ownership{OwnerThis, fmt.Sprintf("its tags %s and %s name this object", o.objectTags, o.clusterTags)}
	}
	if key, from := retainedFrom(tags); key != "" {
		if from == object && taggedCluster(tags, cluster) {
			return Ownership{OwnerRetainedByThis, fmt.Sprintf("its tag %s=%s says this object left it in AWS", key, from)}
		}
		return Ownership{OwnerRetained, fmt.Sprintf("its tag %s=%s says %s left it in AWS (deletion policy retain)",
			key, from, from)}
	}
	switch {
	case !taggedCluster(tags, cluster):
		return Ownership{OwnerOther, "its cluster tags say it is another cluster's"}
	case tags[TagController] != "" && tags[TagNamespace] == namespace:
		return Ownership{OwnerNamespace, fmt.Sprintf("its tags %s=%s and %s=%s say it was made for this namespace",
			TagController, tags[TagController], TagNamespace, namespace)}
	}
	return Ownership{OwnerUnknown, fmt.Sprintf("it has no %s and %s tags naming this object", TagName, TagCluster)}
}

// taggedCluster reports whether the cluster tags an endpoint has (none
// counts) are this cluster's.
func taggedCluster(tags map[string]string, c Cluster) bool {
	if v, ok := tags[LegacyTagCluster]; ok && v != c.Name {
		return false
	}
	if v, ok := tags[TagCluster]; ok && v != c.Name {
		return false
	}
	if v, ok := tags[TagClusterUID]; ok && v != c.UID {
		return false
	}
	return true
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

// As shows the error as the controllers' one terminal-error type: only the
// object's author can act, by adopting the endpoint explicitly or naming
// another.
func (e *NotOwnedError) As(target any) bool {
	te, ok := target.(**conditions.TerminalError)
	if ok {
		*te = &conditions.TerminalError{Reason: ReasonNotOwned, Field: AnnotationAdoptionPolicy, Allowed: Adopt,
			Message: e.Error()}
	}
	return ok
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
			return conditions.InvalidAnnotation(AnnotationAdoptionFields, id, "an endpoint no other object owns; "+o.Why)
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
	for _, k := range []string{TagName, LegacyTagResource, LegacyTagRetainedFrom} {
		delete(out, k)
	}
	out[TagRetainedFrom] = namespace + "/" + name
	return out
}
