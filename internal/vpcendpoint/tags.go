package vpcendpoint

import (
	stdstrings "strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/model"
)

// Tag keys kelb adds to every endpoint it manages: which controller and
// namespace own it (ACK's keys), the cluster (kelb's ownership tag) and the
// object, by which an endpoint is found again after a crash or reinstall.
const (
	TagController = "services.k8s.aws/controller-version"
	TagNamespace  = "services.k8s.aws/namespace"
	TagResource   = "ec2.services.k8s.aws/vpcendpoint"
	// ControllerName is the value of TagController.
	ControllerName = "kelb"
)

// Tags returns every tag the endpoint of ep should carry: the flag's
// defaults, the spec's, then kelb's own (which win).
func Tags(ep *v1alpha1.VPCEndpoint, cluster string, defaults map[string]string) map[string]string {
	user := map[string]string{}
	for _, t := range ep.Spec.Tags {
		if t != nil && t.Key != nil {
			user[*t.Key] = aws.ToString(t.Value)
		}
	}
	tags := model.MergeTags(defaults, user, OwnerTags(ep.Namespace, ep.Name, cluster))
	delete(tags, TagRetainedFrom) // kelb's mark of an endpoint no object owns
	return tags
}

// OwnerTags are the tags that say which object owns an endpoint.
func OwnerTags(namespace, name, cluster string) map[string]string {
	return map[string]string{TagController: ControllerName, TagNamespace: namespace,
		TagResource: namespace + "/" + name, model.TagCluster: cluster}
}

// UserTags returns the endpoint's tags without kelb's own (its retained
// mark included), as a spec would list them (for adoption).
func UserTags(tags []ec2types.Tag) []*v1alpha1.Tag {
	var out []*v1alpha1.Tag
	for _, t := range tags {
		switch k := aws.ToString(t.Key); {
		case k == TagController, k == TagNamespace, k == TagResource, k == model.TagCluster, k == TagRetainedFrom,
			stdstrings.HasPrefix(k, "aws:"):
		default:
			out = append(out, &v1alpha1.Tag{Key: t.Key, Value: t.Value})
		}
	}
	return out
}
