package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

// The deployer writes one TargetGroupBinding per target group, as LBC's
// stack deployer does; the binding controller keeps the target group's
// members from it. Bindings carry no owner reference, as LBC's: the stack
// deletes them, and a binding LBC made is taken over without a write.

// +kubebuilder:rbac:groups=elbv2.k8s.aws,resources=targetgroupbindings,verbs=get;list;watch;create;patch;delete

// BindingClient is the part of the Kubernetes client the deployer needs for
// TargetGroupBindings. Its reads should go to the API server: a binding
// created a moment ago must be found again by the next deploy.
type BindingClient interface {
	client.Reader
	Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error
	Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error
	Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error
}

// Bounds of the wait for deleted bindings to be gone (the binding
// controller deregisters the targets before it releases its finalizer).
const (
	defaultBindingDeleteWait = 10 * time.Second
	bindingDeletePoll        = 200 * time.Millisecond
)

// bindingPlan is what ensureBindings leaves for the post step: the stack's
// bindings that no desired one matched.
type bindingPlan struct {
	unmatched []*elbv2api.TargetGroupBinding
	// notReady are the target groups (ARNs) whose binding is new or
	// changed, or has not registered its targets yet: no rule moves to
	// them yet (holdRules).
	notReady map[string]bool
	// pending says why a desired binding could not be created yet (its name
	// is held by an unmatched binding, deleted in the post step).
	pending error
}

// stackLabels are the labels of a stack's bindings and their namespace
// ("": every namespace), as LBC labels them.
func stackLabels(stackID model.StackID) (namespace string, labels map[string]string) {
	return model.BindingLabels(stackID)
}

// listBindings returns the stack's bindings, found by LBC's stack labels.
func (d *Deployer) listBindings(ctx context.Context, stackID model.StackID) ([]elbv2api.TargetGroupBinding, error) {
	ns, labels := stackLabels(stackID)
	var list elbv2api.TargetGroupBindingList
	if err := d.bindings.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
		// Without bindings nothing registers the targets: the stack waits
		// for the CRD.
		return nil, fmt.Errorf("listing TargetGroupBindings of %s: %w", stackID, err)
	}
	return list.Items, nil
}

// ensureBindings creates the desired bindings that are missing and patches
// those whose spec or labels differ, matching by target group ARN as LBC
// does. A binding equal to the desired one (LBC's included) is not written.
func (d *Deployer) ensureBindings(ctx context.Context, stack *model.Stack, tgARNs map[string]string,
	backendSG string) (bindingPlan, error) {
	if d.bindings == nil {
		return bindingPlan{}, nil
	}
	have, err := d.listBindings(ctx, stack.ID)
	if err != nil {
		return bindingPlan{}, err
	}
	byARN := map[string]*elbv2api.TargetGroupBinding{}
	for i := range have {
		byARN[have[i].Spec.TargetGroupARN] = &have[i]
	}
	plan := bindingPlan{notReady: map[string]bool{}}
	matched := map[string]bool{}
	for _, want := range stack.Bindings {
		arn := tgARNs[want.TargetGroupID]
		if arn == "" {
			return plan, fmt.Errorf("TargetGroupBinding %s/%s: no target group %s", want.Namespace, want.Name, want.TargetGroupID)
		}
		spec, err := bindingSpec(want, arn, d.cfg.VPCID, backendSG)
		if err != nil {
			return plan, err
		}
		matched[arn] = true
		if existing := byARN[arn]; existing != nil {
			changed, err := d.updateBinding(ctx, existing, want.Labels, spec)
			if err != nil {
				return plan, err
			}
			if changed || !bindingRegistered(existing, d.clock.Now()) {
				plan.notReady[arn] = true
			}
			continue
		}
		plan.notReady[arn] = true
		if err := d.createBinding(ctx, want, spec); err != nil {
			if !apierrors.IsAlreadyExists(err) {
				return plan, err
			}
			plan.pending = fmt.Errorf("TargetGroupBinding %s/%s exists for another target group: %w", want.Namespace,
				want.Name, ErrPending)
		}
	}
	for i := range have {
		if !matched[have[i].Spec.TargetGroupARN] {
			plan.unmatched = append(plan.unmatched, &have[i])
		}
	}
	return plan, nil
}

func (d *Deployer) createBinding(ctx context.Context, want model.TargetGroupBinding, spec elbv2api.TargetGroupBindingSpec) error {
	tgb := &elbv2api.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: want.Namespace, Name: want.Name, Labels: maps.Clone(want.Labels)},
		Spec:       spec,
	}
	if err := d.bindings.Create(ctx, tgb); err != nil {
		return fmt.Errorf("creating TargetGroupBinding %s/%s: %w", want.Namespace, want.Name, err)
	}
	log.FromContext(ctx).Info("created TargetGroupBinding", "binding", want.Namespace+"/"+want.Name,
		"targetGroup", spec.TargetGroupARN)
	return nil
}

// updateBinding patches a binding whose spec differs or that lacks a stack
// label. Fields kelb does not set (a target group name, a role to assume,
// the protocol LBC's webhook may fill in) are kept as they are.
func (d *Deployer) updateBinding(ctx context.Context, have *elbv2api.TargetGroupBinding, labels map[string]string,
	spec elbv2api.TargetGroupBindingSpec) (changed bool, err error) {
	spec.TargetGroupName = have.Spec.TargetGroupName
	spec.IamRoleArnToAssume = have.Spec.IamRoleArnToAssume
	spec.AssumeRoleExternalId = have.Spec.AssumeRoleExternalId
	spec.TargetGroupProtocol = have.Spec.TargetGroupProtocol
	labelsOK := true
	for k, v := range labels {
		labelsOK = labelsOK && have.Labels[k] == v
	}
	if labelsOK && equality.Semantic.DeepEqual(have.Spec, spec) {
		return false, nil
	}
	patched := have.DeepCopy()
	patched.Spec = spec
	patched.Labels = model.MergeTags(have.Labels, labels)
	if err := d.bindings.Patch(ctx, patched, client.MergeFrom(have)); err != nil {
		return false, fmt.Errorf("patching TargetGroupBinding %s/%s: %w", have.Namespace, have.Name, err)
	}
	log.FromContext(ctx).Info("patched TargetGroupBinding", "binding", have.Namespace+"/"+have.Name)
	// Only a spec change asks the binding controller for new work.
	return !equality.Semantic.DeepEqual(have.Spec, spec), nil
}

// deleteBindings deletes the bindings and waits, within a bound, until they
// are gone. It returns ErrPending (wrapped) while one is still there.
func (d *Deployer) deleteBindings(ctx context.Context, tgbs []*elbv2api.TargetGroupBinding) error {
	for _, tgb := range tgbs {
		if tgb.DeletionTimestamp != nil {
			continue
		}
		if err := d.bindings.Delete(ctx, tgb); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting TargetGroupBinding %s/%s: %w", tgb.Namespace, tgb.Name, err)
		}
		log.FromContext(ctx).Info("deleted TargetGroupBinding", "binding", tgb.Namespace+"/"+tgb.Name)
	}
	for _, tgb := range tgbs {
		if err := d.waitBindingGone(ctx, tgb); err != nil {
			return err
		}
	}
	return nil
}

func (d *Deployer) waitBindingGone(ctx context.Context, tgb *elbv2api.TargetGroupBinding) error {
	gone := func(ctx context.Context) (bool, error) {
		err := d.bindings.Get(ctx, client.ObjectKeyFromObject(tgb), &elbv2api.TargetGroupBinding{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	err := wait.PollUntilContextTimeout(ctx, bindingDeletePoll, d.bindingDeleteWait, true, gone)
	switch {
	case err == nil:
		return nil
	case wait.Interrupted(err) && ctx.Err() == nil:
		return fmt.Errorf("TargetGroupBinding %s/%s is still being deleted: %w", tgb.Namespace, tgb.Name, ErrPending)
	default:
		return fmt.Errorf("waiting for TargetGroupBinding %s/%s to be deleted: %w", tgb.Namespace, tgb.Name, err)
	}
}

// deleteStackBindings deletes every binding of the stack and waits, within
// a bound, until they are gone.
func (d *Deployer) deleteStackBindings(ctx context.Context, stackID model.StackID) error {
	if d.bindings == nil {
		return nil
	}
	have, err := d.listBindings(ctx, stackID)
	if meta.IsNoMatchError(err) {
		return nil // the kind is not served: there is no binding to delete
	}
	if err != nil {
		return err
	}
	tgbs := make([]*elbv2api.TargetGroupBinding, len(have))
	for i := range have {
		tgbs[i] = &have[i]
	}
	return d.deleteBindings(ctx, tgbs)
}

// bindingSpec is the binding's spec as LBC writes it, with what AWS knows
// filled in: the target group's ARN, the VPC, the backend group.
func bindingSpec(b model.TargetGroupBinding, arn, vpcID, backendSG string) (elbv2api.TargetGroupBindingSpec, error) {
	targetType := elbv2api.TargetType(b.TargetType)
	ipType := elbv2api.TargetGroupIPAddressType(b.IPAddressType)
	port := intstr.FromInt32(b.ServicePort)
	if b.ServicePortName != "" {
		port = intstr.FromString(b.ServicePortName)
	}
	spec := elbv2api.TargetGroupBindingSpec{
		TargetGroupARN:          arn,
		TargetType:              &targetType,
		ServiceRef:              elbv2api.ServiceReference{Name: b.ServiceName, Port: port},
		IPAddressType:           &ipType,
		VpcID:                   vpcID,
		MultiClusterTargetGroup: b.MultiClusterTargetGroup,
	}
	if len(b.NodeSelector) > 0 {
		spec.NodeSelector = &metav1.LabelSelector{MatchLabels: maps.Clone(b.NodeSelector)}
	}
	if b.Networking == nil {
		return spec, nil
	}
	spec.Networking = &elbv2api.TargetGroupBindingNetworking{}
	for _, r := range b.Networking.Ingress {
		rule := elbv2api.NetworkingIngressRule{}
		for _, p := range r.From {
			switch {
			case p.BackendSG && backendSG == "":
				return spec, errors.New("TargetGroupBinding " + b.Namespace + "/" + b.Name +
					": rules from the backend security group, which is not known")
			case p.BackendSG:
				rule.From = append(rule.From, elbv2api.NetworkingPeer{SecurityGroup: &elbv2api.SecurityGroup{GroupID: backendSG}})
			default:
				rule.From = append(rule.From, elbv2api.NetworkingPeer{IPBlock: &elbv2api.IPBlock{CIDR: p.CIDR}})
			}
		}
		for _, p := range r.Ports {
			proto := elbv2api.NetworkingProtocol(p.Protocol)
			port := elbv2api.NetworkingPort{Protocol: &proto}
			if p.Port != "" {
				v := intstr.Parse(p.Port)
				port.Port = &v
			}
			rule.Ports = append(rule.Ports, port)
		}
		spec.Networking.Ingress = append(spec.Networking.Ingress, rule)
	}
	return spec, nil
}
