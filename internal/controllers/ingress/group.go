package ingress

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
)

// An explicit IngressGroup has one writer at a time: the reconcile of any
// member gathers the whole group, builds it and deploys it under the
// group's lock, so two members' reconciles never deploy the group at once
// and never from two different views of it.

// groupLocks hands out one lock per group name.
type groupLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (g *groupLocks) lock(name string) (unlock func()) {
	g.mu.Lock()
	if g.locks == nil {
		g.locks = map[string]*sync.Mutex{}
	}
	l := g.locks[name]
	if l == nil {
		l = &sync.Mutex{}
		g.locks[name] = l
	}
	g.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// groupStackID is an explicit group's stack, as LBC tags it.
func groupStackID(name string) model.StackID {
	return model.StackID{Kind: model.IngressKind, Name: name}
}

// groupState is what a group is made of now.
type groupState struct {
	members []ingress.GroupMember
	// kept are members that cannot be built at all (a broken class, a
	// setting kelb does not serve, a refused class annotation): what they
	// have in AWS stays.
	kept []ingress.Excluded
	// leaving carry the group's finalizer but are no longer members (being
	// deleted, left the group or the class): their rules go, then their
	// finalizer.
	leaving []*networkingv1.Ingress
	// byKey are the Ingresses of members and kept members.
	byKey map[string]*networkingv1.Ingress
}

// loadGroup gathers the group's members: the Ingresses kelb serves that
// name the group, in any namespace, and those carrying its finalizer.
func (c *Controller) loadGroup(ctx context.Context, name string) (groupState, error) {
	st := groupState{byKey: map[string]*networkingv1.Ingress{}}
	var list networkingv1.IngressList
	if err := c.Client.List(ctx, &list); err != nil {
		return st, fmt.Errorf("listing Ingresses of group %s: %w", name, err)
	}
	// Only an Ingress that names the group, carries its finalizer, or may
	// be put in it by its class's IngressClassParams is classified.
	var params elbv2.IngressClassParamsList
	if err := c.Client.List(ctx, &params); err != nil {
		return st, fmt.Errorf("listing IngressClassParams: %w", err)
	}
	byParams := slices.ContainsFunc(params.Items, func(p elbv2.IngressClassParams) bool {
		return p.Spec.Group != nil && p.Spec.Group.Name == name
	})
	finalizer := ingress.GroupFinalizer(name)
	for i := range list.Items {
		ing := &list.Items[i]
		key := ing.Namespace + "/" + ing.Name
		finalized := controllerutil.ContainsFinalizer(ing, finalizer)
		if !finalized && !byParams && ing.Annotations[ingress.AnnGroupName] != name {
			continue
		}
		if !ing.DeletionTimestamp.IsZero() {
			if finalized {
				st.leaving = append(st.leaving, ing)
			}
			continue
		}
		class, err := c.classify(ctx, ing)
		if err != nil {
			return st, err
		}
		keep := func(err error) {
			st.kept = append(st.kept, ingress.Excluded{Key: key, Err: err})
			st.byKey[key] = ing
		}
		switch ownershipOf(ing, class, c.IngressClass) {
		case Foreign:
			continue
		case Released:
			if finalized {
				st.leaving = append(st.leaving, ing)
			}
			continue
		case Broken:
			if finalized {
				keep(fmt.Errorf("%s: %s", class.Field, class.Reason))
			}
			continue
		}
		group, err := ingress.GroupOf(ing, class.Params)
		switch {
		case err != nil:
			// A name kelb cannot take is the author's mistake: kept as it
			// is, not taken for leaving the group.
			if finalized {
				keep(err)
			}
			continue
		case group != name:
			if finalized {
				st.leaving = append(st.leaving, ing)
			}
			continue
		}
		if err := ingress.CheckClassAnnotation(ing, class, c.DisableIngressClassAnnotation, finalized); err != nil {
			keep(err)
			continue
		}
		if err := ingress.CheckGroupNameAnnotation(ing, class.Params, c.DisableIngressGroupNameAnnotation,
			finalized); err != nil {
			keep(err)
			continue
		}
		c.reportIgnored(ing)
		if why := ingress.Unserved(ing, class.Params); why != nil {
			keep(why)
			continue
		}
		services, err := c.backendServices(ctx, ing)
		if err != nil {
			return st, err
		}
		clients, err := c.oidcClients(ctx, ing, services)
		if err != nil {
			return st, err
		}
		c.reportAuthSkipped(ctx, ing, class)
		st.members = append(st.members, ingress.GroupMember{Ingress: ing, Class: class, Services: services,
			OIDCClients: clients})
		st.byKey[key] = ing
	}
	return st, nil
}

// reconcileGroup makes AWS match group name as it is now, and reports on
// its members; trigger is the Ingress whose reconcile this is, and the
// result is its.
func (c *Controller) reconcileGroup(ctx context.Context, name string, trigger *networkingv1.Ingress) (
	reconcile.Result, error) {
	res, _, err := c.reconcileGroupBuilt(ctx, name, trigger)
	return res, err
}

// reconcileGroupBuilt is reconcileGroup that also says whether the trigger
// is served by the group's load balancer now (built and deployed).
func (c *Controller) reconcileGroupBuilt(ctx context.Context, name string, trigger *networkingv1.Ingress) (
	result reconcile.Result, triggerBuilt bool, resultErr error) {
	unlock := c.groups.lock(name)
	defer unlock()
	st, err := c.loadGroup(ctx, name)
	if err != nil {
		return reconcile.Result{}, false, err
	}
	if len(st.members) == 0 && len(st.kept) == 0 {
		r, err := c.deleteGroup(ctx, name, st.leaving, trigger)
		return r, false, err
	}
	in := ingress.GroupInput{Name: name, Members: st.members, Kept: st.kept}
	res, err := c.buildGroup(ctx, in)
	if err != nil {
		// Nothing changes in AWS: every member hears why.
		r, err := c.groupFailed(ctx, st, trigger, EventFailedBuildModel, "Failed build model due to ",
			fmt.Errorf("group %s: %w; nothing changed", name, err))
		return r, false, err
	}
	for _, key := range res.Built {
		ing := st.byKey[key]
		if err := c.ensureFinalizerNamed(ctx, ing, ingress.GroupFinalizer(name)); err != nil {
			c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedAddFinalizer, "Reconcile",
				"Failed add finalizer due to %v", err)
			return reconcile.Result{}, false, err
		}
	}
	dep, err := c.Deployer.DeployApplication(ctx, res.Stack)
	if err != nil {
		r, err := c.groupFailed(ctx, st, trigger, EventFailedDeployModel, "Failed deploy model due to ",
			fmt.Errorf("group %s: %w", name, err))
		return r, false, err
	}
	// The leaving members' rules are gone from AWS: their finalizer may go.
	if err := c.releaseGroup(ctx, name, st.leaving, trigger); err != nil {
		return reconcile.Result{}, false, err
	}
	for _, e := range res.Excluded {
		ing := st.byKey[e.Key]
		r, err := c.failed(ctx, ing, EventFailedBuildModel, "Failed build model due to ",
			fmt.Errorf("%w; left out of group %s: its rules, target groups and bindings are kept as they are",
				e.Err, name))
		if ing.Namespace == trigger.Namespace && ing.Name == trigger.Name {
			result, resultErr = r, err
		}
	}
	for _, key := range res.Built {
		ing := st.byKey[key]
		r, err := c.succeeded(ctx, ing, dep)
		if ing.Namespace == trigger.Namespace && ing.Name == trigger.Name {
			result, resultErr, triggerBuilt = r, err, true
		}
	}
	if result == (reconcile.Result{}) && resultErr == nil {
		result.RequeueAfter = c.driftDelay()
	}
	return result, triggerBuilt, resultErr
}

// buildGroup gathers the AWS facts the group needs and builds it.
func (c *Controller) buildGroup(ctx context.Context, in ingress.GroupInput) (ingress.GroupResult, error) {
	q, err := ingress.QueryGroup(c.Config, in)
	if err != nil {
		return ingress.GroupResult{}, err
	}
	if in.Facts, err = c.facts(ctx, q); err != nil {
		return ingress.GroupResult{}, err
	}
	return ingress.BuildGroup(c.Config, in)
}

// groupFailed reports a group-level failure on every member and kept
// member; the trigger's result says when to look again.
func (c *Controller) groupFailed(ctx context.Context, st groupState, trigger *networkingv1.Ingress, reason,
	prefix string, err error) (reconcile.Result, error) {
	for key, ing := range st.byKey {
		if key != trigger.Namespace+"/"+trigger.Name {
			_, _ = c.failed(ctx, ing, reason, prefix, err)
		}
	}
	return c.failed(ctx, trigger, reason, prefix, err)
}

// deleteGroup deletes the stack of a group without members, then releases
// the finalizer of those that were.
func (c *Controller) deleteGroup(ctx context.Context, name string, leaving []*networkingv1.Ingress,
	trigger *networkingv1.Ingress) (reconcile.Result, error) {
	if err := c.Deployer.Delete(ctx, groupStackID(name)); err != nil {
		if errors.Is(err, deploy.ErrPending) {
			log.FromContext(ctx).V(1).Info("deletion waits for AWS", "group", name, "reason", err.Error())
			return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
		}
		c.Recorder.Eventf(trigger, nil, corev1.EventTypeWarning, EventFailedCleanup, "Delete",
			"Failed to delete the load balancer of group %s due to %v", name, err)
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, c.releaseGroup(ctx, name, leaving, trigger)
}

// releaseGroup removes the group's finalizer from Ingresses no longer in
// it; the trigger's copy hears of its own release (the write was made on
// another copy, which is then the current one: the trigger's is taken to
// be it).
func (c *Controller) releaseGroup(ctx context.Context, name string, leaving []*networkingv1.Ingress,
	trigger *networkingv1.Ingress) error {
	finalizer := ingress.GroupFinalizer(name)
	for _, ing := range leaving {
		if !controllerutil.RemoveFinalizer(ing, finalizer) {
			continue
		}
		if err := c.Client.Update(ctx, ing); err != nil && !apierrors.IsNotFound(err) {
			c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedRemoveFinalizer, "Delete",
				"Failed remove finalizer due to %v", err)
			return fmt.Errorf("removing finalizer %s from Ingress %s/%s: %w", finalizer, ing.Namespace, ing.Name, err)
		}
		if ing.Namespace == trigger.Namespace && ing.Name == trigger.Name {
			ing.DeepCopyInto(trigger)
		}
	}
	return nil
}

// leaveGroups has the Ingress leave every explicit group whose finalizer
// it carries other than keep: each is reconciled without it (its rules go,
// then the finalizer).
func (c *Controller) leaveGroups(ctx context.Context, ing *networkingv1.Ingress, keep string) (
	reconcile.Result, error) {
	for _, g := range groupFinalizersOf(ing) {
		if g == keep {
			continue
		}
		res, err := c.reconcileGroup(ctx, g, ing)
		if err != nil || controllerutil.ContainsFinalizer(ing, ingress.GroupFinalizer(g)) {
			return res, err // still in it: AWS holds something back, or the group cannot be built
		}
	}
	return reconcile.Result{}, nil
}

// releaseImplicit deletes the stack of the Ingress's implicit group once it
// is served by an explicit group, and drops the implicit finalizer.
func (c *Controller) releaseImplicit(ctx context.Context, ing *networkingv1.Ingress) (reconcile.Result, error) {
	if err := c.Deployer.Delete(ctx, stackID(ing)); err != nil {
		if errors.Is(err, deploy.ErrPending) {
			return reconcile.Result{RequeueAfter: 5 * time.Second}, nil
		}
		c.Recorder.Eventf(ing, nil, corev1.EventTypeWarning, EventFailedCleanup, "Delete",
			"Failed to delete the load balancer of its implicit group due to %v", err)
		return reconcile.Result{}, err
	}
	var fresh networkingv1.Ingress
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(ing), &fresh); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if controllerutil.RemoveFinalizer(&fresh, Finalizer) {
		if err := c.Client.Update(ctx, &fresh); err != nil && !apierrors.IsNotFound(err) {
			return reconcile.Result{}, fmt.Errorf("removing finalizer %s: %w", Finalizer, err)
		}
	}
	return reconcile.Result{}, nil
}
