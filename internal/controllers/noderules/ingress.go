package noderules

import (
	"context"
	"fmt"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// albIngresses lists the Ingresses LBC serves: ingressClassName naming an
// IngressClass of controller ingress.k8s.aws/alb, the legacy annotation with
// --ingress-class, or no class at all while LBC's IngressClass is the
// default one.
func (o *LBCObjects) albIngresses(ctx context.Context) ([]networkingv1.Ingress, error) {
	var list networkingv1.IngressList
	if err := o.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing Ingresses: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	var classes networkingv1.IngressClassList
	if err := o.Client.List(ctx, &classes); err != nil {
		return nil, fmt.Errorf("listing IngressClasses: %w", err)
	}
	ours, defaultOurs := map[string]bool{}, false
	for _, c := range classes.Items {
		if c.Spec.Controller == ingressController {
			ours[c.Name] = true
			defaultOurs = defaultOurs || c.Annotations[ingressDefaultClass] == "true"
		}
	}
	legacy := o.IngressClass
	if legacy == "" {
		legacy = defaultIngressClass
	}
	var out []networkingv1.Ingress
	for _, ing := range list.Items {
		if ing.DeletionTimestamp != nil {
			// Its load balancer is going or gone (kelb's or LBC's
			// finalizer deletes it first): it needs nothing more, and
			// the run kelb's clean-up asks for must be free to revoke.
			continue
		}
		switch {
		case ing.Spec.IngressClassName != nil:
			if !ours[*ing.Spec.IngressClassName] {
				continue
			}
		case ing.Annotations[ingressClassLegacy] != "":
			if ing.Annotations[ingressClassLegacy] != legacy {
				continue
			}
		case !defaultOurs:
			continue
		}
		out = append(out, ing)
	}
	return out, nil
}

// ingressPorts adds, for every backend of the Ingress, the ports its
// traffic and health checks land on.
func (o *LBCObjects) ingressPorts(ctx context.Context, ing *networkingv1.Ingress, add func(string, int32)) error {
	instance := ing.Annotations[ingressTargetType] != "ip"
	var backends []*networkingv1.IngressServiceBackend
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		backends = append(backends, b.Service)
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil {
				backends = append(backends, p.Backend.Service)
			}
		}
	}
	for _, b := range backends {
		port := intstr.FromInt32(b.Port.Number)
		if b.Port.Name != "" {
			port = intstr.FromString(b.Port.Name)
		}
		ports, err := o.servicePorts(ctx, ing.Namespace, b.Name, port, instance)
		if err != nil {
			return fmt.Errorf("Ingress %s/%s: %w", ing.Namespace, ing.Name, err)
		}
		for _, p := range ports {
			add("tcp", p)
		}
	}
	if hc, err := strconv.Atoi(ing.Annotations[ingressHealthPort]); err == nil {
		add("tcp", int32(hc))
	}
	return nil
}
