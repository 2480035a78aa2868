package ingress

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// classify gathers what class selection looks at (IngressClasses, their
// params, and the namespace's labels only when a params object selects
// namespaces) and decides. It reads nothing of the Ingress beyond its class.
func (c *Controller) classify(ctx context.Context, ing *networkingv1.Ingress) (ingress.Class, error) {
	f := ingress.ClassFacts{IngressClassFlag: c.IngressClass,
		Classes: map[string]*networkingv1.IngressClass{}, Params: map[string]*elbv2.IngressClassParams{}}
	var classes networkingv1.IngressClassList
	if err := c.Client.List(ctx, &classes); err != nil {
		return ingress.Class{}, fmt.Errorf("listing IngressClasses: %w", err)
	}
	for i := range classes.Items {
		f.Classes[classes.Items[i].Name] = &classes.Items[i]
	}
	var params elbv2.IngressClassParamsList
	if err := c.Client.List(ctx, &params); err != nil {
		return ingress.Class{}, fmt.Errorf("listing IngressClassParams: %w", err)
	}
	selects := false
	for i := range params.Items {
		f.Params[params.Items[i].Name] = &params.Items[i]
		selects = selects || params.Items[i].Spec.NamespaceSelector != nil
	}
	if selects {
		var ns corev1.Namespace
		if err := c.Client.Get(ctx, client.ObjectKey{Name: ing.Namespace}, &ns); err != nil {
			return ingress.Class{}, fmt.Errorf("reading namespace %s: %w", ing.Namespace, err)
		}
		f.NamespaceLabels = ns.Labels
	}
	return ingress.Classify(ing, f), nil
}
