package targets

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

// EndpointFilter says which EndpointSlice endpoints are ip targets.
type EndpointFilter struct {
	// PortName is the Service port's name, matched exactly against the
	// slice's port names ("" for an unnamed single port).
	PortName string
	// Protocol, when set, must accept the slice port's protocol (TCP when
	// the slice leaves it out).
	Protocol func(corev1.Protocol) bool
	// AddressType is the family the target group takes.
	AddressType discoveryv1.AddressType
	// DropTerminating leaves out endpoints whose pod is terminating even
	// when they are reported ready (publishNotReadyAddresses), so that
	// they are deregistered as soon as their pod starts to stop.
	DropTerminating bool
	// PodsOnly keeps only endpoints backed by a Pod, as LBC's
	// TargetGroupBinding controller does.
	PodsOnly bool
}

// Endpoints are the ready endpoints of the slices that serve the filter's
// port, with the port number the slice gives for it. An endpoint without
// a ready condition counts as ready (the API's meaning of "unknown").
func Endpoints(slices []*discoveryv1.EndpointSlice, f EndpointFilter) []model.Target {
	seen := map[model.Target]bool{}
	for _, s := range slices {
		if s.AddressType != f.AddressType {
			continue
		}
		port := slicePort(s, f)
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if !counts(ep, f) {
				continue
			}
			for _, addr := range ep.Addresses {
				seen[model.Target{ID: addr, Port: port}] = true
			}
		}
	}
	out := make([]model.Target, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	Sort(out)
	return out
}

func slicePort(s *discoveryv1.EndpointSlice, f EndpointFilter) int32 {
	var port int32
	for _, sp := range s.Ports {
		if sp.Port == nil || deref(sp.Name) != f.PortName {
			continue
		}
		proto := corev1.ProtocolTCP
		if sp.Protocol != nil {
			proto = *sp.Protocol
		}
		if f.Protocol == nil || f.Protocol(proto) {
			port = *sp.Port
		}
	}
	return port
}

func counts(ep discoveryv1.Endpoint, f EndpointFilter) bool {
	if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
		return false
	}
	if f.DropTerminating && ep.Conditions.Terminating != nil && *ep.Conditions.Terminating {
		return false
	}
	if f.PodsOnly && (ep.TargetRef == nil || ep.TargetRef.Kind != "Pod") {
		return false
	}
	return true
}

// EndpointNodes maps endpoint addresses to the names of their nodes.
func EndpointNodes(slices []*discoveryv1.EndpointSlice) map[string]string {
	out := map[string]string{}
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			for _, addr := range ep.Addresses {
				if ep.NodeName != nil {
					out[addr] = *ep.NodeName
				}
			}
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
