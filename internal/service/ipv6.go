package service

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Target group IP address types.
const (
	TargetGroupIPv4 = "ipv4"
	TargetGroupIPv6 = "ipv6"
)

// targetGroupIPType is the IP address type of a Service's target groups:
// ipv6 when any of its IP families is IPv6, as LBC decides (so a dual-stack
// Service, whichever family it lists first, is served over IPv6), else
// ipv4. AWS associates IPv6 target groups only with dualstack load
// balancers, so an IPv6 Service on an ipv4 load balancer is refused before
// anything is made.
func targetGroupIPType(svc *corev1.Service, lbIPType string) (string, error) {
	for _, f := range svc.Spec.IPFamilies {
		if f != corev1.IPv6Protocol {
			continue
		}
		if lbIPType != "dualstack" {
			return "", &AnnotationError{Annotation: AnnIPAddressType, Value: lbIPType,
				Allowed: "dualstack, which a Service with the IPv6 family in spec.ipFamilies needs (its target groups are IPv6)"}
		}
		return TargetGroupIPv6, nil
	}
	return TargetGroupIPv4, nil
}

// endpointAddressType is the EndpointSlice address type whose endpoints an
// ip target group of the given IP address type registers.
func endpointAddressType(tgIPType string) discoveryv1.AddressType {
	if tgIPType == TargetGroupIPv6 {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}
