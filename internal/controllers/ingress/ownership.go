package ingress

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/kelb-dev/kelb/internal/ingress"
)

// Finalizer is LBC's finalizer of an Ingress in an implicit group, put on
// every Ingress kelb makes AWS resources for, so that a cluster switches
// between the two in either direction.
const Finalizer = "ingress.k8s.aws/resources"

// AnnClaimedClass records, on an Ingress served by a kelb whose
// --ingress-class is not LBC's, which class that was: LBC's finalizer says
// nothing about which controller put it there, and without this record such
// a kelb could not tell its own former Ingress from LBC's.
const AnnClaimedClass = "kelb.dev/ingress-class"

// AnnGroupName names an explicit IngressGroup (LBC's).
const AnnGroupName = ingress.AnnGroupName

// groupFinalizersOf are the explicit groups whose finalizer the Ingress
// carries (LBC's "group.ingress.k8s.aws/<group>").
func groupFinalizersOf(ing *networkingv1.Ingress) []string {
	var out []string
	for _, f := range ing.Finalizers {
		if name, ok := strings.CutPrefix(f, ingress.GroupFinalizerPrefix); ok && name != "" {
			out = append(out, name)
		}
	}
	return out
}

// finalizedByUs reports whether the Ingress carries the finalizer of its
// implicit group or of an explicit group.
func finalizedByUs(ing *networkingv1.Ingress) bool {
	return controllerutil.ContainsFinalizer(ing, Finalizer) || len(groupFinalizersOf(ing)) > 0
}

// Ownership says what kelb may do with an Ingress.
type Ownership int

const (
	// Foreign: another controller's. Never changed or finalized, whatever
	// finalizers it carries; nothing but the class is read.
	Foreign Ownership = iota
	// Claimed: kelb serves it.
	Claimed
	// Released: kelb's finalizer is on it but it is no longer of kelb's
	// class: what was made for it is deleted and the finalizer released,
	// as LBC does with an Ingress that leaves its class.
	Released
	// Broken: kelb's finalizer is on it but its class configuration is
	// broken (a missing IngressClass or IngressClassParams...). Kept as it
	// is and reported, so that an accidental edit of a class never deletes
	// a load balancer; deleted when the Ingress is.
	Broken
)

func (o Ownership) String() string {
	return [...]string{"foreign", "claimed", "released", "broken"}[o]
}

// standsInForLBC reports whether kelb answers to LBC's own --ingress-class
// ("alb", or "" which also serves class-less Ingresses): then an Ingress
// carrying LBC's finalizer without a record of another kelb is taken to be
// one LBC or this kelb served.
func standsInForLBC(flag string) bool {
	return flag == "" || flag == ingress.DefaultIngressClassFlag
}

// ownershipOf decides what kelb, answering to --ingress-class flag, may do
// with ing, given its class selection.
func ownershipOf(ing *networkingv1.Ingress, class ingress.Class, flag string) Ownership {
	if marker := ing.Annotations[AnnClaimedClass]; marker != "" && marker != flag {
		return Foreign // another kelb's, of another class
	}
	finalized := finalizedByUs(ing)
	switch {
	case class.Verdict == ingress.Ours:
		return Claimed
	case !finalized:
		return Foreign
	case class.Verdict == ingress.Invalid:
		return Broken
	case ing.Annotations[AnnClaimedClass] == flag || standsInForLBC(flag):
		return Released
	}
	return Foreign // LBC's, beside a kelb with a class of its own
}
