package service

import (
	"context"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// view is a read-only picture of the cluster for one reconcile: nodes and
// their security groups, listed once. Lists skip the cache's deep copy, so
// nothing here may be modified.
type view struct {
	nodes []*corev1.Node
	sgs   map[string]string

	nodesOnce    sync.Once
	nodesVersion string
}

func (c *Controller) view(ctx context.Context) (*view, error) {
	var nodes corev1.NodeList
	if err := c.Client.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	v := &view{}
	for i := range nodes.Items {
		v.nodes = append(v.nodes, &nodes.Items[i])
	}
	// The cache lists in no fixed order; by name, a build sees the same
	// input for the same nodes (and builtRules recognises it).
	sort.Slice(v.nodes, func(i, j int) bool { return v.nodes[i].Name < v.nodes[j].Name })
	var err error
	if v.sgs, err = c.Instances.SecurityGroups(ctx, service.InstanceIDs(v.nodes)); err != nil {
		return nil, err
	}
	return v, nil
}

// sliceServiceIndex indexes endpoint slices by the name of their Service
// (the kubernetes.io/service-name label), so that a reconcile reads its
// Service's slices alone, not every slice of the cluster.
const sliceServiceIndex = "kelb.dev/endpointslice-service-name"

func sliceServiceName(o client.Object) []string {
	if name := o.GetLabels()[discoveryv1.LabelServiceName]; name != "" {
		return []string{name}
	}
	return nil
}

// endpointSlices returns the Service's endpoint slices from the cache (not
// deep-copied: read only).
func (c *Controller) endpointSlices(ctx context.Context, svc *corev1.Service) ([]*discoveryv1.EndpointSlice, error) {
	var list discoveryv1.EndpointSliceList
	if err := c.Client.List(ctx, &list, client.InNamespace(svc.Namespace),
		client.MatchingFields{sliceServiceIndex: svc.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing endpoint slices: %w", err)
	}
	out := make([]*discoveryv1.EndpointSlice, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	sortSlices(out)
	return out, nil
}

// allEndpointSlices returns every endpoint slice by Service, for a
// computation over every Service.
func (c *Controller) allEndpointSlices(ctx context.Context) (map[client.ObjectKey][]*discoveryv1.EndpointSlice, error) {
	var list discoveryv1.EndpointSliceList
	if err := c.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing endpoint slices: %w", err)
	}
	out := map[client.ObjectKey][]*discoveryv1.EndpointSlice{}
	for i := range list.Items {
		s := &list.Items[i]
		if name := s.Labels[discoveryv1.LabelServiceName]; name != "" {
			key := client.ObjectKey{Namespace: s.Namespace, Name: name}
			out[key] = append(out[key], s)
		}
	}
	for _, slices := range out {
		sortSlices(slices)
	}
	return out, nil
}

// sortSlices orders a Service's slices by name, for the same reason as the
// nodes.
func sortSlices(slices []*discoveryv1.EndpointSlice) {
	sort.Slice(slices, func(i, j int) bool { return slices[i].Name < slices[j].Name })
}

func (v *view) input(svc *corev1.Service, slices []*discoveryv1.EndpointSlice) service.Input {
	return service.Input{Service: svc, Nodes: v.nodes, EndpointSlices: slices, Facts: service.Facts{InstanceSGs: v.sgs}}
}

// build resolves the facts the Service needs (subnets; certificates and SSL
// policies for TLS) and builds its desired stack; what AWS would refuse is
// found here, before anything changes.
func (c *Controller) build(ctx context.Context, svc *corev1.Service, v *view,
	slices []*discoveryv1.EndpointSlice) (*model.Stack, error) {
	in, err := c.input(ctx, svc, v, slices)
	if err != nil {
		return nil, err
	}
	return service.Build(c.Config, in)
}

// input gathers everything the Service's stack is built from.
func (c *Controller) input(ctx context.Context, svc *corev1.Service, v *view,
	slices []*discoveryv1.EndpointSlice) (service.Input, error) {
	stackID := model.ServiceStackID(svc.Namespace, svc.Name)
	in := v.input(svc, slices)
	in.Facts.ExistingScheme = c.Deployer.Inventory().LoadBalancerScheme(stackID)
	in.Facts.ExistingSubnets = c.Deployer.Inventory().LoadBalancerSubnets(stackID)
	q, err := service.QueryFor(c.Config, svc, in.Facts)
	if err != nil {
		return service.Input{}, err
	}
	if in.Facts.Subnets, err = c.Subnets.Resolve(ctx, q); err != nil {
		return service.Input{}, err
	}
	if len(q.Certificates) > 0 {
		if in.Facts.Certificates, err = c.Certificates.Status(ctx, q.Certificates); err != nil {
			return service.Input{}, err
		}
		if in.Facts.SSLPolicies, err = c.SSLPolicies.Names(ctx); err != nil {
			return service.Input{}, err
		}
	}
	if len(q.SecurityGroupNames) > 0 {
		if c.SecurityGroupNames == nil {
			return service.Input{}, fmt.Errorf("security groups named %v cannot be looked up: no resolver", q.SecurityGroupNames)
		}
		if in.Facts.SecurityGroupsByName, err = c.SecurityGroupNames.Resolve(ctx, q.SecurityGroupNames); err != nil {
			return service.Input{}, err
		}
	}
	if len(q.PrefixLists) > 0 && c.PrefixLists != nil {
		if in.Facts.PrefixLists, err = c.PrefixLists.Resolve(ctx, q.PrefixLists); err != nil {
			return service.Input{}, err
		}
	}
	in.Facts.LoadBalancerWithoutSGs = c.Deployer.Inventory().LoadBalancerWithoutSecurityGroups(stackID)
	if q.VPCCIDRs || in.Facts.LoadBalancerWithoutSGs {
		if in.Facts.VPCCIDRs, err = c.VPC.CIDRs(ctx); err != nil {
			return service.Input{}, err
		}
	}
	return in, nil
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
	slices, err := c.allEndpointSlices(ctx)
	if err != nil {
		return deploy.BackendNeeds{}, err
	}
	var list corev1.ServiceList
	if err := c.Client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return deploy.BackendNeeds{}, fmt.Errorf("listing services: %w", err)
	}
	needs := deploy.BackendNeeds{Complete: true, Leaving: map[model.StackID]bool{}}
	seen := map[types.UID]bool{}
	for i := range list.Items {
		svc := &list.Items[i]
		own := service.OwnershipOf(svc, c.LoadBalancerClass)
		if own != service.Claimed || !svc.DeletionTimestamp.IsZero() {
			if own != service.Foreign && controllerutil.ContainsFinalizer(svc, service.Finalizer) {
				needs.Leaving[model.ServiceStackID(svc.Namespace, svc.Name)] = true
			}
			continue
		}
		rules, err := c.backendRules(ctx, svc, v, slices[client.ObjectKeyFromObject(svc)])
		if err != nil {
			log.FromContext(ctx).V(1).Info("not revoking node security-group rules while a Service is invalid",
				"invalidService", svc.Namespace+"/"+svc.Name, "error", err.Error())
			needs.Complete = false
			continue
		}
		seen[svc.UID] = true
		needs.Rules = append(needs.Rules, rules...)
	}
	c.built.keepOnly(seen)
	groups := map[string]bool{}
	for _, sg := range v.sgs {
		if !groups[sg] {
			groups[sg] = true
			needs.NodeSGs = append(needs.NodeSGs, sg)
		}
	}
	sort.Strings(needs.NodeSGs)
	return needs, nil
}
