package targetgroupbinding

import "github.com/kelb-dev/kelb/internal/model"

// owner says whose stack a target group belongs to, by its tags.
type owner int

const (
	// ownerNone: no load balancer stack's (a user's target group).
	ownerNone owner = iota
	// ownerServiceStack: a Service stack of this cluster (its bindings are
	// the deployer's, its targets the binding controller's).
	ownerServiceStack
	// ownerThisCluster: another stack of this cluster (an Ingress group).
	ownerThisCluster
	// ownerOtherCluster: a stack of another cluster.
	ownerOtherCluster
)

// ownerOf reads a target group's tags. A stack's target group names its
// cluster; kelb's carry the cluster's UID too, which tells two clusters of
// the same name apart.
func ownerOf(tags map[string]string, clusterName, clusterUID string) owner {
	stack, service := tags[model.TagServiceStack], true
	if stack == "" {
		stack, service = tags[model.TagIngressStack], false
	}
	if stack == "" {
		return ownerNone
	}
	cluster := tags[model.TagCluster]
	if cluster == "" {
		cluster = tags[model.TagLegacyCluster]
	}
	if cluster != clusterName {
		return ownerOtherCluster
	}
	if uid := tags[model.TagClusterUID]; uid != "" && clusterUID != "" && uid != clusterUID {
		return ownerOtherCluster
	}
	if service {
		return ownerServiceStack
	}
	return ownerThisCluster
}
