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

// ClassFlags are the flags that decide which Ingresses kelb serves. The
// controller and the orphan sweeper classify with the same ones, so that
// the sweeper never takes an Ingress the controller serves for nobody's.
type ClassFlags struct {
	// IngressClass is --ingress-class.
	IngressClass string
}

// classFlags are the controller's class flags.
func (c *Controller) classFlags() ClassFlags {
	return ClassFlags{IngressClass: c.IngressClass}
}

// classify decides the Ingress's class with the controller's client and
// flags.
func (c *Controller) classify(ctx context.Context, ing *networkingv1.Ingress) (ingress.Class, error) {
	return classify(ctx, c.Client, c.classFlags(), ing)
}

// classify gathers what class selection looks at (IngressClasses, their
// params, and the namespace's labels only when a params object selects
// namespaces) and decides. It reads nothing of the Ingress beyond its class.
func classify(ctx context.Context, r client.Reader, flags ClassFlags, ing *networkingv1.Ingress) (ingress.Class, error) {
	f := ingress.ClassFacts{IngressClassFlag: flags.IngressClass,
		Classes: map[string]*networkingv1.IngressClass{}, Params: map[string]*elbv2.IngressClassParams{}}
	var classes networkingv1.IngressClassList
	if err := r.List(ctx, &classes); err != nil {
		return ingress.Class{}, fmt.Errorf("listing IngressClasses: %w", err)
	}
	for i := range classes.Items {
		f.Classes[classes.Items[i].Name] = &classes.Items[i]
	}
	var params elbv2.IngressClassParamsList
	if err := r.List(ctx, &params); err != nil {
		return ingress.Class{}, fmt.Errorf("listing IngressClassParams: %w", err)
	}
	if selectsNamespaces(params.Items) {
		var ns corev1.Namespace
		if err := r.Get(ctx, client.ObjectKey{Name: ing.Namespace}, &ns); err != nil {
			return ingress.Class{}, fmt.Errorf("reading namespace %s: %w", ing.Namespace, err)
		}
		f.NamespaceLabels = ns.Labels
	}
	for i := range params.Items {
		f.Params[params.Items[i].Name] = &params.Items[i]
	}
	return ingress.Classify(ing, f), nil
}

// selectsNamespaces reports whether any IngressClassParams has a
// namespaceSelector: only then do namespace labels decide anything.
func selectsNamespaces(params []elbv2.IngressClassParams) bool {
	for i := range params {
		if params[i].Spec.NamespaceSelector != nil {
			return true
		}
	}
	return false
}
