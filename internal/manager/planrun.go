package manager

// The plan's run: each object planned as its controller's reconcile would
// go, its recorded calls told apart by scope.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2beta1 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/controllers/noderules"
	servicecontroller "github.com/kelb-dev/kelb/internal/controllers/service"
	"github.com/kelb-dev/kelb/internal/controllers/targetgroupbinding"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/plan"
)

// planRun plans one object after another, so each object's calls are told
// apart by their scope.
type planRun struct {
	rec       *awsclient.DryRun
	deployer  *deploy.Deployer
	nodeRules *noderules.Writer
	services  *servicecontroller.Controller
	ingresses *ingresscontroller.Controller
	members   *targetgroupbinding.Controller
	bindings  *plan.Bindings
	// planned are the stacks planned so far and by which object: an
	// explicit group is deployed once, for its first member.
	planned map[model.StackID]string
}

func scopeOf(kind string, obj client.Object) string {
	return kind + " " + obj.GetNamespace() + "/" + obj.GetName()
}

// actions are the calls recorded under scope.
func (r *planRun) actions(scope, why string) []plan.Action {
	out := []plan.Action{}
	for _, call := range r.rec.Calls() {
		if call.Scope == scope {
			out = append(out, plan.Describe(call, why))
		}
	}
	return out
}

// service plans one Service as the Service controller's reconcile would
// go: node rules first, then the deploy; or the delete. Services that are
// not kelb's are left out of the plan.
func (r *planRun) service(ctx context.Context, svc *corev1.Service) (plan.Object, bool) {
	obj := plan.Object{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
	scope := scopeOf("Service", svc)
	ctx = awsclient.WithPlanScope(ctx, scope)
	intent, err := r.services.Intent(ctx, svc)
	var why string
	switch {
	case err != nil:
		obj.Error = awsclient.Message(err)
	case intent.Deploy != nil:
		id := intent.Deploy.ID
		obj.Stacks = []string{id.String()}
		if err := r.nodeRules.Ensure(ctx, id, intent.Deploy.BackendRules); err != nil {
			obj.Error = awsclient.Message(err)
			break
		}
		res, err := r.deployer.Deploy(ctx, intent.Deploy)
		if err != nil {
			obj.Error = awsclient.Message(err)
			break
		}
		r.nodeRules.Deployed(id)
		obj.Notes = resultNotes(res)
	case intent.Delete != nil:
		obj.Stacks = []string{intent.Delete.String()}
		why = "the Service is deleted or no longer kelb's"
		err := r.deployer.Delete(ctx, *intent.Delete, deploy.DeleteOptions{LiftDeletionProtection: intent.LiftDeletionProtection})
		if errors.Is(err, deploy.ErrPending) {
			obj.Notes = append(obj.Notes, "AWS holds part of the stack back for now; a later reconcile deletes it: "+err.Error())
		} else if err != nil {
			obj.Error = awsclient.Message(err)
		} else if err := r.nodeRules.Forget(ctx, *intent.Delete); err != nil {
			obj.Error = awsclient.Message(err)
		}
	default:
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer && len(svc.Finalizers) == 0 {
			return obj, false
		}
		obj.Skipped = intent.Skip
	}
	obj.Actions = r.actions(scope, why)
	return obj, true
}

// ingress plans one Ingress's reconcile: each stack it deploys or deletes,
// in order; an explicit group's stack only with its first member.
func (r *planRun) ingress(ctx context.Context, ing *networkingv1.Ingress) (plan.Object, bool) {
	obj := plan.Object{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}
	scope := scopeOf("Ingress", ing)
	ctx = awsclient.WithPlanScope(ctx, scope)
	intent, err := r.ingresses.Intent(ctx, ing)
	if err != nil {
		obj.Error = awsclient.Message(err)
		obj.Actions = r.actions(scope, "")
		return obj, true
	}
	if intent.Skip != "" && len(intent.Steps) == 0 {
		if len(ing.Finalizers) == 0 && strings.HasPrefix(intent.Skip, "not kelb's") {
			return obj, false
		}
		obj.Skipped = intent.Skip
	}
	deployer := applicationDeployer{d: r.deployer, nodeRules: r.nodeRules}
	var why string
	for _, step := range intent.Steps {
		id := step.StackID()
		obj.Stacks = append(obj.Stacks, id.String())
		if by, ok := r.planned[id]; ok {
			obj.Notes = append(obj.Notes, fmt.Sprintf("stack %s is planned with %s", id, by))
			continue
		}
		r.planned[id] = scope
		if step.Deploy != nil {
			res, err := deployer.DeployApplication(ctx, step.Deploy)
			if err != nil {
				obj.Error = awsclient.Message(err)
				break
			}
			obj.Notes = append(obj.Notes, resultNotes(deploy.Result{RulesHeld: res.RulesHeld,
				CleanupPending: res.CleanupPending})...)
			continue
		}
		why = "the Ingress is deleted, left its group or is no longer kelb's"
		if err := deployer.Delete(ctx, step.Delete); errors.Is(err, deploy.ErrPending) {
			obj.Notes = append(obj.Notes, "AWS holds part of the stack back for now; a later reconcile deletes it")
		} else if err != nil {
			obj.Error = awsclient.Message(err)
			break
		}
	}
	obj.Actions = r.actions(scope, why)
	return obj, true
}

// binding plans one TargetGroupBinding's reconcile; a binding with nothing
// to do is left out.
func (r *planRun) binding(ctx context.Context, b plan.WrittenBinding) (plan.Object, bool) {
	tgb := b.Binding
	obj := plan.Object{Kind: "TargetGroupBinding", Namespace: tgb.Namespace, Name: tgb.Name}
	scope := scopeOf("TargetGroupBinding", tgb)
	notReady, err := r.members.Plan(awsclient.WithPlanScope(ctx, scope), tgb)
	if err != nil {
		obj.Error = awsclient.Message(err)
	}
	if notReady != "" {
		obj.Notes = append(obj.Notes, "not Ready after this pass: "+notReady)
	}
	if b.Scope != "" {
		obj.Notes = append(obj.Notes, "as "+b.Scope+"'s deploy writes it")
	}
	obj.Actions = r.actions(scope, "")
	return obj, len(obj.Actions) > 0 || obj.Error != "" || notReady != ""
}

// bindingsToPlan are the cluster's bindings as the plan's deploys leave
// them: without those deleted, with those patched or created as written.
func bindingsToPlan(ctx context.Context, reader client.Reader, written *plan.Bindings) ([]plan.WrittenBinding, error) {
	var list elbv2beta1.TargetGroupBindingList
	if err := reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing TargetGroupBindings: %w", err)
	}
	byKey := map[client.ObjectKey]int{}
	var out []plan.WrittenBinding
	for i := range list.Items {
		tgb := &list.Items[i]
		if written.Deleted(client.ObjectKeyFromObject(tgb)) {
			continue
		}
		byKey[client.ObjectKeyFromObject(tgb)] = len(out)
		out = append(out, plan.WrittenBinding{Binding: tgb})
	}
	for _, w := range written.Written() {
		if i, ok := byKey[client.ObjectKeyFromObject(w.Binding)]; ok {
			out[i] = w
			continue
		}
		byKey[client.ObjectKeyFromObject(w.Binding)] = len(out)
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return planKey(out[i].Binding) < planKey(out[j].Binding) })
	return out, nil
}

// resultNotes say what the controller does on a later pass.
func resultNotes(res deploy.Result) []string {
	var out []string
	if res.RulesHeld {
		out = append(out, "some listeners keep forwarding to their old target groups until the new ones' "+
			"targets are registered; a reconcile a second later moves them")
	}
	if res.CleanupPending != nil {
		out = append(out, "clean-up waits for AWS: "+res.CleanupPending.Error())
	}
	return out
}

// run plans the objects in the controllers' order: each Service and
// Ingress, then the binding controller's part for the bindings as their
// deploys leave them, then the node-rules writer's settle run.
func (r *planRun) run(ctx context.Context, apiReader client.Reader, svcs []*corev1.Service,
	ings []*networkingv1.Ingress, unallocated []string) ([]plan.Object, error) {
	var out []plan.Object
	for _, svc := range svcs {
		if obj, ok := r.service(ctx, svc); ok {
			if slices.Contains(unallocated, planKey(svc)) {
				obj.Notes = append(obj.Notes, "not in the cluster: its node ports, which the API server allocates "+
					"at create, are planned as 0; give spec.ports[].nodePort to plan instance targets exactly")
			}
			out = append(out, obj)
		}
	}
	for _, ing := range ings {
		if obj, ok := r.ingress(ctx, ing); ok {
			out = append(out, obj)
		}
	}
	tgbs, err := bindingsToPlan(ctx, apiReader, r.bindings)
	if err != nil {
		return nil, err
	}
	for _, b := range tgbs {
		if obj, ok := r.binding(ctx, b); ok {
			out = append(out, obj)
		}
	}
	// Rules nothing needs any longer are revoked in the settle run, once
	// the new ones are in.
	nodes := plan.Object{Kind: nodeRulesScope, Name: "node security groups"}
	if err := r.nodeRules.Flush(awsclient.WithPlanScope(ctx, nodeRulesScope)); err != nil {
		nodes.Error = err.Error()
	}
	nodes.Actions = []plan.Action{}
	for _, call := range r.rec.Calls() {
		if call.Scope == "" || call.Scope == nodeRulesScope {
			nodes.Actions = append(nodes.Actions, plan.Describe(call, ""))
		}
	}
	return append(out, nodes), nil
}
