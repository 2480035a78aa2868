package service

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// build gathers the Service's inputs from the cache and the fact providers,
// then builds its desired stack.
func (c *Controller) build(ctx context.Context, svc *corev1.Service) (*model.Stack, error) {
	q, err := service.Query(svc)
	if err != nil {
		return nil, err
	}
	in, err := c.input(ctx, svc)
	if err != nil {
		return nil, err
	}
	if in.Facts.Subnets, err = c.Subnets.Resolve(ctx, q); err != nil {
		return nil, err
	}
	return service.Build(c.Config, in)
}

// input reads what the builder needs besides subnets.
func (c *Controller) input(ctx context.Context, svc *corev1.Service) (service.Input, error) {
	nodes, err := c.nodes(ctx)
	if err != nil {
		return service.Input{}, err
	}
	var slices discoveryv1.EndpointSliceList
	if err := c.Client.List(ctx, &slices, client.InNamespace(svc.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: svc.Name}); err != nil {
		return service.Input{}, fmt.Errorf("listing endpoint slices: %w", err)
	}
	in := service.Input{Service: svc, Nodes: nodes}
	for i := range slices.Items {
		in.EndpointSlices = append(in.EndpointSlices, &slices.Items[i])
	}
	sgs, err := c.Instances.SecurityGroups(ctx, service.InstanceIDs(nodes))
	if err != nil {
		return service.Input{}, err
	}
	in.Facts = service.Facts{InstanceSGs: sgs}
	return in, nil
}

func (c *Controller) nodes(ctx context.Context) ([]*corev1.Node, error) {
	var list corev1.NodeList
	if err := c.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	out := make([]*corev1.Node, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// backendRules returns every node security group and the rules that the
// claimed Services other than svc (and svc itself unless it is going away)
// need there. If a Service's rules cannot be computed (bad input), nothing is
// revoked: needed is nil and nodeSGs empty, so traffic it had keeps flowing.
func (c *Controller) backendRules(ctx context.Context, svc *corev1.Service) (nodeSGs []string, needed []model.BackendRule, err error) {
	var list corev1.ServiceList
	if err := c.Client.List(ctx, &list); err != nil {
		return nil, nil, fmt.Errorf("listing services: %w", err)
	}
	nodes, err := c.nodes(ctx)
	if err != nil {
		return nil, nil, err
	}
	sgs, err := c.Instances.SecurityGroups(ctx, service.InstanceIDs(nodes))
	if err != nil {
		return nil, nil, err
	}
	for i := range list.Items {
		other := &list.Items[i]
		if !service.IsClaimed(other, c.LoadBalancerClass) || !other.DeletionTimestamp.IsZero() ||
			(other.Namespace == svc.Namespace && other.Name == svc.Name &&
				(!svc.DeletionTimestamp.IsZero() || !service.IsClaimed(svc, c.LoadBalancerClass))) {
			continue
		}
		in, err := c.input(ctx, other)
		if err != nil {
			return nil, nil, err
		}
		rules, err := service.BackendRules(c.Config, in)
		if err != nil {
			log.FromContext(ctx).Info("not revoking node security-group rules while a Service is invalid",
				"invalidService", other.Namespace+"/"+other.Name, "error", err.Error())
			return nil, nil, nil
		}
		needed = append(needed, rules...)
	}
	seen := map[string]bool{}
	for _, sg := range sgs {
		if !seen[sg] {
			seen[sg] = true
			nodeSGs = append(nodeSGs, sg)
		}
	}
	sort.Strings(nodeSGs)
	return nodeSGs, needed, nil
}
