package targets

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// PodEndpoint is an endpoint backed by a pod: the target it is (or would
// be), the pod (in the slice's namespace, with its UID when the slice
// gives one) and node it names, and whether it is ready.
type PodEndpoint struct {
	Target model.Target
	Pod    string
	PodUID types.UID
	Node   string
	Ready  bool
}

// PodEndpoints are the pod-backed, not terminating endpoints on the
// filter's port and family, ready or not. The ready ones are those
// Endpoints gives; whether a not-ready one is still registered depends on
// its pod (RegistersNotReady).
func PodEndpoints(slices []*discoveryv1.EndpointSlice, f EndpointFilter) []PodEndpoint {
	seen := map[model.Target]bool{}
	var out []PodEndpoint
	for _, s := range slices {
		if s.AddressType != f.AddressType {
			continue
		}
		port := slicePort(s, f)
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
				continue
			}
			if ep.Conditions.Terminating != nil && *ep.Conditions.Terminating {
				continue
			}
			for _, addr := range ep.Addresses {
				t := model.Target{ID: addr, Port: port}
				if seen[t] {
					continue
				}
				seen[t] = true
				out = append(out, PodEndpoint{Target: t, Pod: ep.TargetRef.Name, PodUID: ep.TargetRef.UID, Node: deref(ep.NodeName),
					Ready: ep.Conditions.Ready == nil || *ep.Conditions.Ready})
			}
		}
	}
	return out
}

// RegistersNotReady is LBC's rule for a not-ready endpoint: it is still
// registered when its pod's containers are all ready and its node is
// Ready. Such a pod is not ready only because of a readiness gate (its
// target-health gates among them), and a gate turns True only once the
// target is registered and healthy: without this, a gated pod would never
// become ready. The rule does not ask which gate is pending: a pod behind
// two bindings carries two gates, each False until its own target group
// reports it healthy, and each binding must register it for either to turn
// True. pod or node nil (not found) never registers.
func RegistersNotReady(pod *corev1.Pod, node *corev1.Node) bool {
	if pod == nil || node == nil || !pod.DeletionTimestamp.IsZero() {
		return false
	}
	return ContainersReady(pod) && NodeReady(node)
}

// ContainersReady reports whether the pod's ContainersReady condition is
// True.
func ContainersReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.ContainersReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
