package model

import (
	"fmt"
	"strings"
)

// StackKind is the kind of Kubernetes object a stack of AWS resources
// serves. Each kind has tag keys of its own (StackTagKeys), so the kind of a
// resource is read from its tags.
type StackKind string

// Kinds of stack, as LBC tags them.
const (
	// ServiceKind: a Service of type LoadBalancer; the stack's name is
	// "<namespace>/<name>".
	ServiceKind StackKind = "service"
	// IngressKind: an Ingress group; the stack's name is the group name for
	// an explicit group (annotation group.name, no "/" in it) and
	// "<namespace>/<name>" of the Ingress for an implicit one.
	IngressKind StackKind = "ingress"
)

// StackKinds lists every kind, in a fixed order.
var StackKinds = []StackKind{ServiceKind, IngressKind}

// StackTagKeys are the tag keys of one kind: the stack tag (value: the
// stack's name) and the resource tag (value: the resource's id in the
// stack, e.g. ResourceLoadBalancer).
type StackTagKeys struct{ Stack, Resource string }

// TagKeys returns the kind's tag keys. LBC v2 writes these on every
// resource of a stack today (pkg/deploy/tracking); the Ingress keys are the
// current ones, not a legacy form.
func (k StackKind) TagKeys() StackTagKeys {
	switch k {
	case ServiceKind:
		return StackTagKeys{Stack: TagServiceStack, Resource: TagServiceResource}
	case IngressKind:
		return StackTagKeys{Stack: TagIngressStack, Resource: TagIngressResource}
	}
	return StackTagKeys{}
}

// StackID names one stack. Two kinds never collide: a Service default/web
// and the implicit Ingress group default/web are different stacks.
type StackID struct {
	Kind StackKind
	// Name is the value of the kind's stack tag.
	Name string
}

// BindingKind is not a kind of stack (it has no tags and is not in
// StackKinds): it keys a TargetGroupBinding's claim in the node-rules
// writer, which holds the claims of stacks and of bindings side by side.
const BindingKind StackKind = "targetgroupbinding"

// BindingClaimID is the node-rules claim key of a TargetGroupBinding.
func BindingClaimID(namespace, name string) StackID {
	return StackID{Kind: BindingKind, Name: namespace + "/" + name}
}

// ServiceStackID is the id of a Service's stack.
func ServiceStackID(namespace, name string) StackID {
	return StackID{Kind: ServiceKind, Name: namespace + "/" + name}
}

// String is "<kind>:<name>", e.g. "service:default/web" or
// "ingress:my-group"; no Kubernetes name holds a ":".
func (id StackID) String() string { return string(id.Kind) + ":" + id.Name }

// IsZero reports whether id names no stack.
func (id StackID) IsZero() bool { return id == StackID{} }

// NamespacedName splits a name of form "<namespace>/<name>" (a Service, an
// implicit Ingress group); false for an explicit Ingress group.
func (id StackID) NamespacedName() (namespace, name string, ok bool) {
	namespace, name, ok = strings.Cut(id.Name, "/")
	return namespace, name, ok && namespace != "" && name != "" && !strings.Contains(name, "/")
}

// Tags returns the stack and resource tags of one resource of the stack.
func (id StackID) Tags(resource string) map[string]string {
	keys := id.Kind.TagKeys()
	return map[string]string{keys.Stack: id.Name, keys.Resource: resource}
}

// ResourceID returns a resource's id in its stack (the kind's resource
// tag), "" when it has none.
func (id StackID) ResourceID(tags map[string]string) string { return tags[id.Kind.TagKeys().Resource] }

// StackTagError says why a resource's stack tags name no one stack: keys of
// several kinds, an empty stack tag, a resource tag without stack tag, or a
// name that cannot be the kind's. Such a resource is not kelb's to decide
// on: it is left alone and reported.
type StackTagError struct {
	Reason string
	Tags   map[string]string // the tracking tags found
}

func (e *StackTagError) Error() string {
	return fmt.Sprintf("stack tags %v name no single stack: %s", e.Tags, e.Reason)
}

// TrackingKeys are the tag keys that say whose a resource is: the cluster,
// resource and identity keys and every kind's stack and resource keys. A
// user's tags may set none of them: an Ingress key on a Service's resource
// would make its stack ambiguous, and kelb would lose track of it.
func TrackingKeys() []string {
	out := []string{TagCluster, TagResource, TagClusterUID}
	for _, k := range StackKinds {
		keys := k.TagKeys()
		out = append(out, keys.Stack, keys.Resource)
	}
	return out
}

// HasStackTags reports whether tags hold a stack or resource tag of any
// kind.
func HasStackTags(tags map[string]string) bool {
	for _, k := range StackKinds {
		if kindTagged(tags, k) {
			return true
		}
	}
	return false
}

// StackOf reads which stack a resource's tags put it in. It returns false
// when the resource carries no stack tag of any kind, and a *StackTagError
// when its tags are ambiguous or malformed.
func StackOf(tags map[string]string) (StackID, bool, error) {
	var found []StackKind
	for _, k := range StackKinds {
		if kindTagged(tags, k) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return StackID{}, false, nil
	case 1:
	default:
		return StackID{}, false, stackTagError(tags, fmt.Sprintf("tagged for kinds %v at once", found))
	}
	kind := found[0]
	name, ok := tags[kind.TagKeys().Stack]
	switch {
	case !ok:
		return StackID{}, false, stackTagError(tags, "a resource tag without stack tag")
	case name == "":
		return StackID{}, false, stackTagError(tags, "an empty stack tag")
	}
	id := StackID{Kind: kind, Name: name}
	if kind == ServiceKind && !nsName(id) {
		return StackID{}, false, stackTagError(tags, "a Service stack not named <namespace>/<name>")
	}
	if kind == IngressKind && strings.Contains(name, "/") && !nsName(id) {
		return StackID{}, false, stackTagError(tags, "an Ingress stack named neither <group> nor <namespace>/<name>")
	}
	return id, true, nil
}

// kindTagged reports whether tags hold the kind's stack or resource key.
func kindTagged(tags map[string]string, k StackKind) bool {
	keys := k.TagKeys()
	_, stack := tags[keys.Stack]
	_, resource := tags[keys.Resource]
	return stack || resource
}

// stackTagError names the reason and the tracking tags found.
func stackTagError(tags map[string]string, reason string) error {
	tracking := map[string]string{}
	for _, k := range StackKinds {
		keys := k.TagKeys()
		for _, key := range []string{keys.Stack, keys.Resource} {
			if v, ok := tags[key]; ok {
				tracking[key] = v
			}
		}
	}
	return &StackTagError{Reason: reason, Tags: tracking}
}

func nsName(id StackID) bool {
	_, _, ok := id.NamespacedName()
	return ok
}
