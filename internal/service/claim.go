package service

import (
	corev1 "k8s.io/api/core/v1"
)

// DefaultLoadBalancerClass is the class LBC and kelb answer to.
const DefaultLoadBalancerClass = "service.k8s.aws/nlb"

// Finalizer is put on every Service kelb made AWS resources for.
const Finalizer = "service.k8s.aws/resources"

// IsClaimed reports whether the Service is kelb's, by LBC's rules: type
// LoadBalancer and either our loadBalancerClass, or no class with the
// annotation type "external" (with an nlb-target-type) or the legacy "nlb-ip".
// Services with type "nlb" and no class belong to the in-tree cloud provider.
func IsClaimed(svc *corev1.Service, lbClass string) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	if svc.Spec.LoadBalancerClass != nil {
		return *svc.Spec.LoadBalancerClass == lbClass
	}
	switch svc.Annotations[AnnType] {
	case "external":
		_, ok := svc.Annotations[AnnTargetType]
		return ok
	case "nlb-ip":
		return true
	}
	return false
}
