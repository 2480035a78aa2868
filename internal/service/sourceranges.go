package service

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// checkSourceFamilies refuses an IPv6 source range on a load balancer that
// only has IPv4 addresses, as LBC does: its managed frontend group would
// hold only the IPv6 rule, which no client of an IPv4 load balancer can
// match, so the ranges the user meant to allow would all be shut out.
func checkSourceFamilies(svc *corev1.Service, cidrs []string, ipType string) error {
	if ipType == "dualstack" {
		return nil
	}
	for _, c := range cidrs {
		if strings.Contains(c, ":") {
			return &AnnotationError{Annotation: sourceRangesField(svc), Value: c,
				Allowed: "IPv4 CIDRs; IPv6 ranges need annotation " + AnnIPAddressType + ": dualstack"}
		}
	}
	return nil
}

// sourceRangesField names where a Service's source ranges come from: the
// spec field, else the annotation.
func sourceRangesField(svc *corev1.Service) string {
	if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
		return "spec.loadBalancerSourceRanges"
	}
	return AnnSourceRanges
}
