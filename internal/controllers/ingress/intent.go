package ingress

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
)

// Step is one stack a reconcile of an Ingress would deploy or delete.
type Step struct {
	Deploy *model.ApplicationStack // nil: Delete
	Delete model.StackID
}

// StackID is the stack the step is about.
func (s Step) StackID() model.StackID {
	if s.Deploy != nil {
		return s.Deploy.ID
	}
	return s.Delete
}

// Intent is what a reconcile of one Ingress would hand to the deployer,
// found with reads only (kelb plan): the same class, ownership and group
// decisions, gather and build as Reconcile, in its order (the group that
// serves the Ingress before the stacks it leaves), without finalizer,
// status or event writes.
type Intent struct {
	Steps []Step
	// Skip says why nothing is deployed or deleted.
	Skip string
}

// Intent decides as Reconcile does. An error is the one Reconcile would
// report; nothing is written either way.
func (c *Controller) Intent(ctx context.Context, ing *networkingv1.Ingress) (Intent, error) {
	class, err := c.classify(ctx, ing)
	if err != nil {
		return Intent{}, err
	}
	var in Intent
	leave := func(keep string) error {
		for _, g := range groupFinalizersOf(ing) {
			if g == keep {
				continue
			}
			step, err := c.groupStep(ctx, g)
			if err != nil {
				return err
			}
			in.Steps = append(in.Steps, step)
		}
		return nil
	}
	own := ownershipOf(ing, class, c.IngressClass)
	switch {
	case own == Foreign:
		return Intent{Skip: "not kelb's: another controller's Ingress or another class"}, nil
	case own == Released || !ing.DeletionTimestamp.IsZero():
		// Out of its explicit groups first, then its implicit group's stack.
		if err := leave(""); err != nil {
			return Intent{}, err
		}
		if controllerutil.ContainsFinalizer(ing, Finalizer) {
			in.Steps = append(in.Steps, Step{Delete: stackID(ing)})
		}
		if len(in.Steps) == 0 {
			in.Skip = "not served (no finalizer): nothing of it in AWS to delete"
		}
		return in, nil
	case own == Broken:
		return Intent{Skip: fmt.Sprintf("kept as it is: %s: %s", class.Field, class.Reason)}, nil
	}
	group, err := ingress.GroupOf(ing, class.Params)
	if err != nil {
		return Intent{}, err
	}
	if group != "" {
		step, err := c.groupStep(ctx, group)
		if err != nil {
			return Intent{}, err
		}
		in.Steps = append(in.Steps, step)
		if err := leave(group); err != nil {
			return Intent{}, err
		}
		if controllerutil.ContainsFinalizer(ing, Finalizer) {
			in.Steps = append(in.Steps, Step{Delete: stackID(ing)}) // it moved from its implicit group
		}
		return in, nil
	}
	served := controllerutil.ContainsFinalizer(ing, Finalizer)
	if err := ingress.CheckClassAnnotation(ing, class, c.DisableIngressClassAnnotation, served); err != nil {
		return Intent{}, err
	}
	if why := ingress.Unserved(ing, class.Params); why != nil {
		return Intent{Skip: fmt.Sprintf("kept as it is: %s %q is not served by kelb yet; allowed: %s",
			why.Field, why.Value, why.Allowed)}, nil
	}
	stack, err := c.build(ctx, ing, class)
	if err != nil {
		return Intent{}, err
	}
	in.Steps = append(in.Steps, Step{Deploy: stack})
	if err := leave(""); err != nil {
		return Intent{}, err
	}
	return in, nil
}

// groupStep is what reconciling group name would do: build and deploy its
// members, or delete its stack when none is left.
func (c *Controller) groupStep(ctx context.Context, name string) (Step, error) {
	st, err := c.loadGroup(ctx, name)
	if err != nil {
		return Step{}, err
	}
	if len(st.members) == 0 && len(st.kept) == 0 {
		return Step{Delete: groupStackID(name)}, nil
	}
	res, err := c.buildGroup(ctx, ingress.GroupInput{Name: name, Members: st.members, Kept: st.kept})
	if err != nil {
		return Step{}, fmt.Errorf("group %s: %w; nothing changed", name, err)
	}
	return Step{Deploy: res.Stack}, nil
}
