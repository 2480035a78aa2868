package targetgroupbinding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/targets"
)

// backendMissingError: the Service, or its port, the binding names is not
// there. As LBC, the binding then has no targets.
type backendMissingError struct{ msg string }

func (e *backendMissingError) Error() string { return e.msg }

// invalidError names the spec field (or Service setting) that makes the
// binding impossible; nothing is changed in AWS until it is edited.
type invalidError struct {
	Field, Value, Allowed string
}

func (e *invalidError) Error() string {
	msg := fmt.Sprintf("%s %q is not valid", e.Field, e.Value)
	if e.Value == "" {
		msg = fmt.Sprintf("%s is not valid", e.Field)
	}
	return msg + ": " + e.Allowed
}

// servicePort finds the Service port serviceRef.port names: a number is
// the Service's port number, a string its port name (as LBC).
func servicePort(svc *corev1.Service, ref intstr.IntOrString) (corev1.ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		if ref.Type == intstr.Int && p.Port == ref.IntVal || ref.Type == intstr.String && p.Name == ref.StrVal {
			return p, true
		}
	}
	return corev1.ServicePort{}, false
}

// whereTargets says where the binding's targets are, for their node rules:
// the node of each ip target's endpoint, and the name the Service port's
// targets are reached by.
type whereTargets struct {
	nodeOf         map[string]string // ip target address -> node name; nil for instance targets
	targetPortName string
}

// desired computes the binding's targets from the cache: the ready
// endpoints of the Service port, with the not-ready ones whose pod waits
// only on a readiness gate (ip), or the suitable nodes on its node port
// (instance).
func (c *Controller) desired(ctx context.Context, tgb *elbv2api.TargetGroupBinding, targetType,
	ipAddressType string) ([]model.Target, podTargets, whereTargets, error) {
	var where whereTargets
	ref := tgb.Spec.ServiceRef
	var svc corev1.Service
	if err := c.Client.Get(ctx, client.ObjectKey{Namespace: tgb.Namespace, Name: ref.Name}, &svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, podTargets{}, where, &backendMissingError{fmt.Sprintf("service %s/%s not found", tgb.Namespace, ref.Name)}
		}
		return nil, podTargets{}, where, fmt.Errorf("reading service %s/%s: %w", tgb.Namespace, ref.Name, err)
	}
	port, ok := servicePort(&svc, ref.Port)
	if !ok {
		return nil, podTargets{}, where, &backendMissingError{fmt.Sprintf("service %s/%s has no port %s", tgb.Namespace, ref.Name, ref.Port.String())}
	}
	if targetType == string(elbv2api.TargetTypeInstance) {
		ts, err := c.instanceTargets(ctx, tgb, &svc, port)
		return ts, podTargets{}, where, err
	}
	var slices discoveryv1.EndpointSliceList
	if err := c.Client.List(ctx, &slices, client.InNamespace(tgb.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: ref.Name}); err != nil {
		return nil, podTargets{}, where, fmt.Errorf("listing endpoint slices of service %s/%s: %w", tgb.Namespace, ref.Name, err)
	}
	family := discoveryv1.AddressTypeIPv4
	if ipAddressType == string(elbv2api.TargetGroupIPAddressTypeIPv6) {
		family = discoveryv1.AddressTypeIPv6
	}
	ptrs := make([]*discoveryv1.EndpointSlice, len(slices.Items))
	for i := range slices.Items {
		ptrs[i] = &slices.Items[i]
	}
	f := targets.EndpointFilter{PortName: port.Name, AddressType: family, DropTerminating: true, PodsOnly: true}
	where.nodeOf, where.targetPortName = targets.EndpointNodes(ptrs), port.TargetPort.StrVal
	extra, err := c.podTargets(ctx, tgb, ptrs, f)
	if err != nil {
		return nil, extra, where, err
	}
	return append(targets.Endpoints(ptrs, f), extra.register...), extra, where, nil
}

func (c *Controller) instanceTargets(ctx context.Context, tgb *elbv2api.TargetGroupBinding, svc *corev1.Service,
	port corev1.ServicePort) ([]model.Target, error) {
	if svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil, &invalidError{Field: "spec.serviceRef (service type)", Value: string(svc.Spec.Type),
			Allowed: "instance targets need a Service of type NodePort or LoadBalancer"}
	}
	if port.NodePort == 0 {
		return nil, &invalidError{Field: "spec.serviceRef.port", Value: tgb.Spec.ServiceRef.Port.String(),
			Allowed: "instance targets need a Service port with a node port"}
	}
	selector, err := targets.BindingNodeSelector(tgb.Spec.NodeSelector)
	if err != nil {
		return nil, &invalidError{Field: "spec.nodeSelector", Allowed: "a valid label selector (" + err.Error() + ")"}
	}
	var nodes corev1.NodeList
	if err := c.Client.List(ctx, &nodes); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	ptrs := make([]*corev1.Node, len(nodes.Items))
	for i := range nodes.Items {
		ptrs[i] = &nodes.Items[i]
	}
	return targets.BindingInstances(ptrs, selector, port.NodePort), nil
}
