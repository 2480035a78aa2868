package ingress

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/kelb-dev/kelb/internal/ingress"
)

// StackHold says what an Ingress that exists means for the stack of its
// implicit group (ingress.k8s.aws/stack "<namespace>/<name>"), to the
// orphan sweeper.
type StackHold int

const (
	// HoldNone: nothing in the cluster serves the stack or will clean it
	// up: the Ingress is not of kelb's class and carries no finalizer of
	// an implicit group. The stack is an orphan.
	HoldNone StackHold = iota
	// HoldOther: something serves the stack or will clean it up: this
	// Ingress controller (the Ingress is being deleted, or left the class
	// with kelb's finalizer), LBC or another kelb (their finalizer), or a
	// fix of a broken class configuration that decides whose it is.
	HoldOther
	// HoldServed: kelb serves the Ingress (of its class, finalizer on, not
	// being deleted), even if its build currently fails: what the stack
	// holds in AWS is this cluster's.
	HoldServed
)

func (h StackHold) String() string {
	return [...]string{"none", "other", "served"}[h]
}

// StackHoldOf classifies ing as the controller does, with what r reads, and
// says what it means for its stack.
func StackHoldOf(ctx context.Context, r client.Reader, flags ClassFlags, ing *networkingv1.Ingress) (StackHold, error) {
	if !ing.DeletionTimestamp.IsZero() {
		return HoldOther, nil // its finalizer's holder cleans up; gone, it is judged again
	}
	class, err := classify(ctx, r, flags, ing)
	if err != nil {
		return HoldOther, err
	}
	return stackHold(ing, class, flags.IngressClass), nil
}

// stackHold is StackHoldOf's decision for an Ingress not being deleted.
func stackHold(ing *networkingv1.Ingress, class ingress.Class, flag string) StackHold {
	finalized := controllerutil.ContainsFinalizer(ing, Finalizer)
	switch own := ownershipOf(ing, class, flag); {
	case own == Claimed && finalized:
		return HoldServed
	case own != Foreign:
		// Claimed before its finalizer (the build may be failing: it is
		// served all the same), Released (kelb's finalizer deletes the
		// stack) or Broken (kept until the class is fixed).
		return HoldOther
	case finalized:
		return HoldOther // LBC's or another kelb's: theirs to clean up
	case class.Verdict == ingress.Invalid:
		// A class configuration being fixed or recreated decides whose it
		// is; a load balancer is never deleted for a transient mistake.
		return HoldOther
	}
	return HoldNone
}

// GroupHoldOf says what an Ingress means for the stack of explicit group
// name (ingress.k8s.aws/stack "<group>"): it holds it while it carries
// the group's finalizer (kelb's or LBC's reconcile cleans up), or names
// the group by its annotation or its class's IngressClassParams (served
// when kelb serves it, else someone else's or being fixed).
func GroupHoldOf(ctx context.Context, r client.Reader, flags ClassFlags, ing *networkingv1.Ingress,
	name string) (StackHold, error) {
	if controllerutil.ContainsFinalizer(ing, ingress.GroupFinalizer(name)) {
		return HoldOther, nil
	}
	if !ing.DeletionTimestamp.IsZero() {
		return HoldNone, nil // gone soon, and holds nothing of the group
	}
	named := ing.Annotations[ingress.AnnGroupName] == name
	class, err := classify(ctx, r, flags, ing)
	if err != nil {
		return HoldOther, err
	}
	if p := class.Params; p != nil && p.Spec.Group != nil {
		named = p.Spec.Group.Name == name
	}
	switch {
	case !named:
		return HoldNone, nil
	case ownershipOf(ing, class, flags.IngressClass) == Claimed:
		return HoldServed, nil
	}
	return HoldOther, nil
}
