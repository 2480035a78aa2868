package service

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// DefaultLoadBalancerClass is the class LBC and kelb answer to.
const DefaultLoadBalancerClass = "service.k8s.aws/nlb"

// Finalizer is put on every Service kelb made AWS resources for. It is
// LBC's, so that a cluster switches between the two in either direction.
const Finalizer = "service.k8s.aws/resources"

// AnnClaimedClass records, on a Service served by a kelb with a class of its
// own, which class that was. Kubernetes clears spec.loadBalancerClass when
// the type changes away from LoadBalancer, and LBC's finalizer says nothing
// about which controller put it there: without this record such a kelb
// could not tell its own former Service from LBC's.
const AnnClaimedClass = "kelb.dev/load-balancer-class"

// Ownership says what kelb may do with a Service.
type Ownership int

const (
	// Foreign: another controller's (another class, or class-less Services
	// when kelb has a class of its own). Never changed or finalized, whatever
	// finalizers or annotations it carries.
	Foreign Ownership = iota
	// Claimed: kelb serves it.
	Claimed
	// Released: kelb could have served it (type changed away from
	// LoadBalancer, annotation removed, class cleared) and no longer does;
	// if it carries kelb's finalizer, kelb cleans up what it made.
	Released
)

func (o Ownership) String() string {
	return [...]string{"foreign", "claimed", "released"}[o]
}

// OwnershipOf decides by LBC's rules which Services a kelb with class
// lbClass serves. With LBC's class: type LoadBalancer and that class, or no
// class with annotation type "external" and nlb-target-type exactly "ip" or
// "instance", or the legacy type "nlb-ip" (Services with type "nlb" and no
// class belong to the in-tree cloud provider). With a class of its own: only
// that class, so that kelb and LBC never drive one Service together.
//
// One deliberate difference: LBC takes a Service whose nlb-target-type
// turns into another value (a typo) for not its own and, as it carries the
// finalizer, deletes its load balancer. kelb keeps such a Service claimed,
// so the build refuses the value (event and condition naming the annotation
// and the allowed values) and nothing in AWS changes until it is fixed.
func OwnershipOf(svc *corev1.Service, lbClass string) Ownership {
	if marker := svc.Annotations[AnnClaimedClass]; marker != "" && marker != lbClass {
		return Foreign // another kelb's, of another class
	}
	isLB := svc.Spec.Type == corev1.ServiceTypeLoadBalancer
	if c := svc.Spec.LoadBalancerClass; c != nil {
		switch {
		case *c != lbClass:
			return Foreign
		case isLB:
			return Claimed
		}
		return Released
	}
	if lbClass != DefaultLoadBalancerClass {
		if svc.Annotations[AnnClaimedClass] == lbClass {
			return Released // was ours; the class went with the type
		}
		return Foreign // class-less Services are LBC's business
	}
	if isLB && annotationClaimed(svc) {
		return Claimed
	}
	return Released
}

// IsClaimed reports whether kelb serves the Service.
func IsClaimed(svc *corev1.Service, lbClass string) bool {
	return OwnershipOf(svc, lbClass) == Claimed
}

func annotationClaimed(svc *corev1.Service) bool {
	switch svc.Annotations[AnnType] {
	case "external":
		switch target, set := svc.Annotations[AnnTargetType]; {
		case target == TargetIP || target == TargetInstance:
			return true
		case set:
			// A value LBC does not take: never served (no finalizer),
			// not kelb's, as with LBC; served, still kelb's, to refuse
			// the value rather than delete the load balancer.
			return controllerutil.ContainsFinalizer(svc, Finalizer)
		}
		return false
	case "nlb-ip":
		return true
	}
	return false
}
