package service

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// view is a read-only picture of the cluster for one reconcile: nodes, their
// security groups and the endpoint slices of every Service, listed once.
// Lists skip the cache's deep copy, so nothing here may be modified.
type view struct {
	nodes  []*corev1.Node
	sgs    map[string]string
	slices map[client.ObjectKey][]*discoveryv1.EndpointSlice
}

func (c *Controller) view(ctx context.Context) (*view, error) {
	var nodes corev1.NodeList
	if err := c.Client.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	var slices discoveryv1.EndpointSliceList
	if err := c.Client.List(ctx, &slices, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing endpoint slices: %w", err)
	}
	v := &view{slices: map[client.ObjectKey][]*discoveryv1.EndpointSlice{}}
	for i := range nodes.Items {
		v.nodes = append(v.nodes, &nodes.Items[i])
	}
	for i := range slices.Items {
		s := &slices.Items[i]
		if name := s.Labels[discoveryv1.LabelServiceName]; name != "" {
			key := client.ObjectKey{Namespace: s.Namespace, Name: name}
			v.slices[key] = append(v.slices[key], s)
		}
	}
	var err error
	if v.sgs, err = c.Instances.SecurityGroups(ctx, service.InstanceIDs(v.nodes)); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *view) input(svc *corev1.Service) service.Input {
	return service.Input{Service: svc, Nodes: v.nodes, EndpointSlices: v.slices[client.ObjectKeyFromObject(svc)],
		Facts: service.Facts{InstanceSGs: v.sgs}}
}

// build resolves the facts the Service needs (subnets; certificates and SSL
// policies for TLS) and builds its desired stack; what AWS would refuse is
// found here, before anything changes.
func (c *Controller) build(ctx context.Context, svc *corev1.Service, v *view) (*model.Stack, error) {
	stackID := svc.Namespace + "/" + svc.Name
	in := v.input(svc)
	in.Facts.ExistingScheme = c.Deployer.Inventory().LoadBalancerScheme(stackID)
	in.Facts.ExistingSubnets = c.Deployer.Inventory().LoadBalancerSubnets(stackID)
	q, err := service.QueryFor(c.Config, svc, in.Facts)
	if err != nil {
		return nil, err
	}
	if in.Facts.Subnets, err = c.Subnets.Resolve(ctx, q); err != nil {
		return nil, err
	}
	if len(q.Certificates) > 0 {
		if in.Facts.Certificates, err = c.Certificates.Status(ctx, q.Certificates); err != nil {
			return nil, err
		}
		if in.Facts.SSLPolicies, err = c.SSLPolicies.Names(ctx); err != nil {
			return nil, err
		}
	}
	if len(q.SecurityGroupNames) > 0 {
		if c.SecurityGroupNames == nil {
			return nil, fmt.Errorf("security groups named %v cannot be looked up: no resolver", q.SecurityGroupNames)
		}
		if in.Facts.SecurityGroupsByName, err = c.SecurityGroupNames.Resolve(ctx, q.SecurityGroupNames); err != nil {
			return nil, err
		}
	}
	if len(q.PrefixLists) > 0 && c.PrefixLists != nil {
		if in.Facts.PrefixLists, err = c.PrefixLists.Resolve(ctx, q.PrefixLists); err != nil {
			return nil, err
		}
	}
	in.Facts.LoadBalancerWithoutSGs = c.Deployer.Inventory().LoadBalancerWithoutSecurityGroups(stackID)
	if q.VPCCIDRs || in.Facts.LoadBalancerWithoutSGs {
		if in.Facts.VPCCIDRs, err = c.VPC.CIDRs(ctx); err != nil {
			return nil, err
		}
	}
	return service.Build(c.Config, in)
}

// BackendNeeds returns every node security group and the rules that every
// Service kelb serves (and is not deleting) needs there, computed from the
// cache now: the node-rules writer calls it right before it writes. If a
// Service's rules cannot be computed (bad input), the needs are incomplete
// and the writer revokes nothing, so traffic it had keeps flowing.
func (c *Controller) BackendNeeds(ctx context.Context) (deploy.BackendNeeds, error) {
	v, err := c.view(ctx)
	if err != nil {
		return deploy.BackendNeeds{}, err
	}
	var list corev1.ServiceList
	if err := c.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return deploy.BackendNeeds{}, fmt.Errorf("listing services: %w", err)
	}
	needs := deploy.BackendNeeds{Complete: true, Leaving: map[string]bool{}}
	for i := range list.Items {
		svc := &list.Items[i]
		own := service.OwnershipOf(svc, c.LoadBalancerClass)
		if own != service.Claimed || !svc.DeletionTimestamp.IsZero() {
			if own != service.Foreign && controllerutil.ContainsFinalizer(svc, service.Finalizer) {
				needs.Leaving[svc.Namespace+"/"+svc.Name] = true
			}
			continue
		}
		stack, err := c.build(ctx, svc, v)
		if err != nil {
			log.FromContext(ctx).V(1).Info("not revoking node security-group rules while a Service is invalid",
				"invalidService", svc.Namespace+"/"+svc.Name, "error", err.Error())
			needs.Complete = false
			continue
		}
		needs.Rules = append(needs.Rules, stack.BackendRules...)
	}
	seen := map[string]bool{}
	for _, sg := range v.sgs {
		if !seen[sg] {
			seen[sg] = true
			needs.NodeSGs = append(needs.NodeSGs, sg)
		}
	}
	sort.Strings(needs.NodeSGs)
	return needs, nil
}
