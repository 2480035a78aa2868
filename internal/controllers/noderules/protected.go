package noderules

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
)

// LBC's Ingresses and TargetGroupBindings get node rules with the same
// description kelb's have (elbv2.k8s.aws/targetGroupBinding=shared), from
// the same backend group. Until kelb serves those objects itself, it must
// not revoke a rule one of them may need: after a switch from LBC, nobody
// would put it back.

// The permissions the protection needs:
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses;ingressclasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=elbv2.k8s.aws,resources=targetgroupbindings,verbs=get;list;watch

// Names LBC uses.
const (
	ingressController    = "ingress.k8s.aws/alb"
	ingressClassLegacy   = "kubernetes.io/ingress.class"
	ingressDefaultClass  = "ingressclass.kubernetes.io/is-default-class"
	ingressTargetType    = "alb.ingress.kubernetes.io/target-type"
	ingressHealthPort    = "alb.ingress.kubernetes.io/healthcheck-port"
	tgbRecheckNotServed  = 10 * time.Second
	defaultIngressClass  = "alb"
	tgbGroup, tgbVersion = "elbv2.k8s.aws", "v1beta1"
)

var tgbListKind = schema.GroupVersionKind{Group: tgbGroup, Version: tgbVersion, Kind: "TargetGroupBindingList"}

// LBCObjects finds the ports LBC's objects may receive traffic on.
type LBCObjects struct {
	Client client.Reader
	// IngressClass is --ingress-class: the legacy annotation value of LBC's
	// Ingresses.
	IngressClass string

	mu          sync.Mutex
	tgbMissedAt time.Time // when the TargetGroupBinding kind was last found not served
}

// ProtectedPorts returns the ports (on every node group, from any source)
// that TargetGroupBindings and Ingresses of class alb may need, whether any
// such object exists, and an error when one of their ports cannot be known
// (the caller then revokes nothing).
func (o *LBCObjects) ProtectedPorts(ctx context.Context) ([]model.BackendRule, bool, error) {
	var ports []model.BackendRule
	add := func(proto string, port int32) {
		if port > 0 {
			ports = append(ports, model.BackendRule{Protocol: strings.ToLower(proto), Port: port, CIDR: deploy.AnySource})
		}
	}
	tgbs, err := o.targetGroupBindings(ctx)
	if err != nil {
		return nil, false, err
	}
	live := 0
	for i := range tgbs {
		// A binding being deleted has had (or has, if LBC finalizes it)
		// its targets deregistered: it needs nothing more, and the run its
		// finalizer asks for before letting go must be free to revoke.
		if tgbs[i].GetDeletionTimestamp() != nil {
			continue
		}
		live++
		if err := o.bindingPorts(ctx, &tgbs[i], add); err != nil {
			return nil, false, err
		}
	}
	ings, err := o.albIngresses(ctx)
	if err != nil {
		return nil, false, err
	}
	for i := range ings {
		if err := o.ingressPorts(ctx, &ings[i], add); err != nil {
			return nil, false, err
		}
	}
	return ports, live+len(ings) > 0, nil
}

// targetGroupBindings lists every TargetGroupBinding, LBC's or anyone's;
// none while the kind is not served (checked again every 10 seconds).
func (o *LBCObjects) targetGroupBindings(ctx context.Context) ([]unstructured.Unstructured, error) {
	o.mu.Lock()
	skip := !o.tgbMissedAt.IsZero() && time.Since(o.tgbMissedAt) < tgbRecheckNotServed
	o.mu.Unlock()
	if skip {
		return nil, nil
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(tgbListKind)
	if err := o.Client.List(ctx, list); err != nil {
		if meta.IsNoMatchError(err) {
			o.mu.Lock()
			o.tgbMissedAt = time.Now()
			o.mu.Unlock()
			return nil, nil
		}
		return nil, fmt.Errorf("listing TargetGroupBindings: %w", err)
	}
	o.mu.Lock()
	o.tgbMissedAt = time.Time{}
	o.mu.Unlock()
	return list.Items, nil
}

// bindingPorts adds the ports of a binding's networking rules; a rule
// without ports (all the targets' ports) or with a named one is resolved
// from the Service.
func (o *LBCObjects) bindingPorts(ctx context.Context, tgb *unstructured.Unstructured, add func(string, int32)) error {
	rules, _, _ := unstructured.NestedSlice(tgb.Object, "spec", "networking", "ingress")
	targetType, _, _ := unstructured.NestedString(tgb.Object, "spec", "targetType")
	svcName, _, _ := unstructured.NestedString(tgb.Object, "spec", "serviceRef", "name")
	svcPort := intstr.FromString("")
	if v, ok, _ := unstructured.NestedFieldNoCopy(tgb.Object, "spec", "serviceRef", "port"); ok {
		svcPort = toIntOrString(v)
	}
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		list, _ := rule["ports"].([]any)
		if len(list) == 0 {
			list = []any{map[string]any{}}
		}
		for _, p := range list {
			port, _ := p.(map[string]any)
			proto, _ := port["protocol"].(string)
			if proto == "" {
				proto = "tcp"
			}
			if v, ok := port["port"]; ok && toIntOrString(v).Type == intstr.Int {
				add(proto, toIntOrString(v).IntVal)
				continue
			}
			resolved, err := o.servicePorts(ctx, tgb.GetNamespace(), svcName, svcPort, targetType != "ip")
			if err != nil {
				return fmt.Errorf("TargetGroupBinding %s/%s: %w", tgb.GetNamespace(), tgb.GetName(), err)
			}
			for _, n := range resolved {
				add(proto, n)
			}
		}
	}
	return nil
}

func toIntOrString(v any) intstr.IntOrString {
	switch x := v.(type) {
	case int64:
		return intstr.FromInt32(int32(x))
	case float64:
		return intstr.FromInt32(int32(x))
	case string:
		return intstr.Parse(x)
	}
	return intstr.FromString("")
}

// servicePorts returns where the traffic of one Service port lands: the
// node port (instance targets) and the target port (ip targets; a named
// one as the endpoint slices publish it). Both are returned when unsure.
func (o *LBCObjects) servicePorts(ctx context.Context, ns, name string, port intstr.IntOrString, instance bool) ([]int32, error) {
	var svc corev1.Service
	if err := o.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil // no Service, no targets, no traffic
		}
		return nil, fmt.Errorf("reading Service %s/%s: %w", ns, name, err)
	}
	var out []int32
	for _, p := range svc.Spec.Ports {
		if !(port.Type == intstr.Int && p.Port == port.IntVal || port.Type == intstr.String && p.Name == port.StrVal) {
			continue
		}
		out = append(out, p.NodePort)
		if p.TargetPort.Type == intstr.Int {
			out = append(out, p.TargetPort.IntVal)
			continue
		}
		named, err := o.endpointPorts(ctx, ns, name, p.Name)
		if err != nil && !instance {
			return nil, err
		}
		out = append(out, named...)
	}
	return out, nil
}

// endpointPorts returns the target ports the endpoint slices publish for a
// Service port (slices name their ports after the Service's).
func (o *LBCObjects) endpointPorts(ctx context.Context, ns, svc, portName string) ([]int32, error) {
	var slices discoveryv1.EndpointSliceList
	if err := o.Client.List(ctx, &slices, client.InNamespace(ns),
		client.MatchingLabels{discoveryv1.LabelServiceName: svc}); err != nil {
		return nil, fmt.Errorf("listing endpoint slices of %s/%s: %w", ns, svc, err)
	}
	var out []int32
	for _, s := range slices.Items {
		for _, p := range s.Ports {
			if p.Name != nil && *p.Name == portName && p.Port != nil {
				out = append(out, *p.Port)
			}
		}
	}
	return out, nil
}
