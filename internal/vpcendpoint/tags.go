package vpcendpoint

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/model"
)

// SystemTagPrefix is ACK's prefix for the tags a controller adds itself.
// Every tag kelb adds to an endpoint lives under it, so a comparison of an
// endpoint's tags with its spec that leaves the prefix out (as ACK users
// write them) sees exactly the user's tags.
const SystemTagPrefix = "services.k8s.aws/"

// Tag keys kelb adds to every endpoint it manages. The first two are
// ACK's own (ACK adds only those); the others say which object of which
// cluster owns it, by which kelb finds it again after a crash or a
// reinstall and proves it is its to change or delete.
const (
	TagController = SystemTagPrefix + "controller-version"
	TagNamespace  = SystemTagPrefix + "namespace"
	// TagName is the owning object's name (the key ACK's runtime uses for
	// a resource's name when configured to tag it).
	TagName = SystemTagPrefix + "name"
	// TagCluster is the cluster's name (--cluster-name): the look-up by
	// tag at start filters on it.
	TagCluster = SystemTagPrefix + "cluster"
	// TagClusterUID is the cluster's identity, the UID of its kube-system
	// Namespace: two clusters of one name tell their endpoints apart by it.
	TagClusterUID = SystemTagPrefix + "cluster-uid"
	// ControllerName is the value of TagController (ACK writes
	// <service>-<version>, e.g. ec2-v1.4.3).
	ControllerName = "kelb"
)

// Tag keys of endpoints made by kelb before its tags moved under
// SystemTagPrefix. Such an endpoint is still recognised as its object's and
// gets the current keys (and loses these) with its next tag update.
const (
	LegacyTagResource     = "ec2.services.k8s.aws/vpcendpoint" // <namespace>/<name>
	LegacyTagCluster      = model.TagCluster
	LegacyTagRetainedFrom = "ec2.services.k8s.aws/retained-from"
)

// Cluster identifies the cluster whose endpoints kelb manages.
type Cluster struct {
	Name string
	// UID is the kube-system Namespace's UID, "" when unknown.
	UID string
}

// Tags returns every tag the endpoint of ep should carry: the flag's
// defaults, the spec's, then kelb's own (which win). Keys of an earlier
// kelb are not among them, so a tag update removes them.
func Tags(ep *v1alpha1.VPCEndpoint, cluster Cluster, defaults map[string]string) map[string]string {
	user := map[string]string{}
	for _, t := range ep.Spec.Tags {
		if t != nil && t.Key != nil {
			user[*t.Key] = aws.ToString(t.Value)
		}
	}
	tags := model.MergeTags(defaults, user, OwnerTags(ep.Namespace, ep.Name, cluster))
	for _, k := range []string{TagRetainedFrom, LegacyTagRetainedFrom, LegacyTagResource, LegacyTagCluster} {
		delete(tags, k) // marks of an endpoint no object owns, and keys of an earlier kelb
	}
	return tags
}

// OwnerTags are the tags that say which object owns an endpoint.
func OwnerTags(namespace, name string, cluster Cluster) map[string]string {
	tags := map[string]string{TagController: ControllerName, TagNamespace: namespace, TagName: name,
		TagCluster: cluster.Name}
	if cluster.UID != "" {
		tags[TagClusterUID] = cluster.UID
	}
	return tags
}

// UserTags returns the endpoint's tags without ACK's and kelb's own (its
// retained mark and an earlier kelb's keys included) and AWS's, as a spec
// would list them (for adoption).
func UserTags(tags []ec2types.Tag) []*v1alpha1.Tag {
	var out []*v1alpha1.Tag
	for _, t := range tags {
		switch k := aws.ToString(t.Key); {
		case strings.HasPrefix(k, SystemTagPrefix), strings.HasPrefix(k, "aws:"),
			k == LegacyTagResource, k == LegacyTagCluster, k == LegacyTagRetainedFrom:
		default:
			out = append(out, &v1alpha1.Tag{Key: t.Key, Value: t.Value})
		}
	}
	return out
}
