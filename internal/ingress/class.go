// Package ingress turns one Ingress (an implicit group of one: Build) or
// the members of an explicit IngressGroup (BuildGroup), their IngressClass
// and IngressClassParams, their backend Services and resolved AWS facts
// into the desired state of an application load balancer, the way LBC
// v3.5 does. Everything here is pure: no clients, no clock, no I/O.
package ingress

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// Class selection, as LBC decides which Ingresses it serves.
const (
	// ControllerALB is the spec.controller of LBC's IngressClasses.
	ControllerALB = "ingress.k8s.aws/alb"
	// AnnIngressClass is the legacy class annotation; when present it
	// decides alone, whatever spec.ingressClassName says.
	AnnIngressClass = "kubernetes.io/ingress.class"
	// AnnDefaultClass marks the cluster's default IngressClass ("true").
	AnnDefaultClass = "ingressclass.kubernetes.io/is-default-class"
	// DefaultIngressClassFlag is the default of --ingress-class.
	DefaultIngressClassFlag = "alb"

	paramsKind = "IngressClassParams"
)

// Verdict says whether an Ingress is kelb's.
type Verdict int

// Verdicts.
const (
	// NotOurs: another controller's Ingress; never touched.
	NotOurs Verdict = iota
	// Ours: kelb serves it.
	Ours
	// Invalid: the Ingress names a class configuration that is broken (a
	// missing IngressClass or IngressClassParams, parameters of another
	// kind, a namespace the params do not admit, several default classes).
	// As in LBC, it is left alone unless it already carries kelb's
	// finalizer; then it is kept as it is and reported, so that an
	// accidental edit of a class never deletes a load balancer.
	Invalid
)

func (v Verdict) String() string {
	switch v {
	case Ours:
		return "Ours"
	case Invalid:
		return "Invalid"
	}
	return "NotOurs"
}

// Class is the outcome of class selection for one Ingress.
type Class struct {
	Verdict Verdict
	// By says what decided: the annotation, spec.ingressClassName, the
	// default IngressClass, or no class at all.
	By string
	// ClassName is the IngressClass used ("" by annotation or without one).
	ClassName string
	// Params are the class's IngressClassParams; nil when it has none.
	Params *elbv2.IngressClassParams
	// Field and Reason say what is wrong when Invalid.
	Field  string
	Reason string
}

// ClassFacts are what class selection looks at besides the Ingress.
type ClassFacts struct {
	// IngressClassFlag is --ingress-class; "" also serves Ingresses
	// without any class (and the annotation value "alb").
	IngressClassFlag string
	// Classes are the cluster's IngressClasses by name.
	Classes map[string]*networkingv1.IngressClass
	// Params are the cluster's IngressClassParams by name.
	Params map[string]*elbv2.IngressClassParams
	// NamespaceLabels are the labels of the Ingress's namespace.
	NamespaceLabels map[string]string
}

// Classify decides whether kelb serves ing, as LBC's group loader and class
// loader do: the legacy annotation first; else spec.ingressClassName, or the
// default IngressClass when it has none; an IngressClass of another
// controller is not ours; one of ours with spec.parameters must point at an
// existing IngressClassParams whose namespaceSelector admits the Ingress's
// namespace.
func Classify(ing *networkingv1.Ingress, f ClassFacts) Class {
	if v, ok := ing.Annotations[AnnIngressClass]; ok {
		c := Class{By: "annotation " + AnnIngressClass}
		if (f.IngressClassFlag == "" && v == DefaultIngressClassFlag) || v == f.IngressClassFlag {
			c.Verdict = Ours
		}
		return c
	}
	name, by := "", "spec.ingressClassName"
	if ing.Spec.IngressClassName != nil {
		name = *ing.Spec.IngressClassName
	} else {
		def, err := defaultClass(f.Classes)
		if err != nil {
			return Class{Verdict: Invalid, By: "default IngressClass", Field: AnnDefaultClass, Reason: err.Error()}
		}
		if def == "" {
			c := Class{By: "no class"}
			if f.IngressClassFlag == "" {
				c.Verdict = Ours
			}
			return c
		}
		name, by = def, "default IngressClass"
	}
	c := Class{By: by, ClassName: name}
	class, ok := f.Classes[name]
	if !ok {
		return invalid(c, "spec.ingressClassName", fmt.Sprintf("IngressClass %q not found", name))
	}
	if class.Spec.Controller != ControllerALB {
		return c // another controller's class
	}
	p := class.Spec.Parameters
	if p == nil {
		c.Verdict = Ours
		return c
	}
	if p.APIGroup == nil || *p.APIGroup != elbv2.GroupVersion.Group || p.Kind != paramsKind {
		return invalid(c, "IngressClass "+name+" spec.parameters",
			fmt.Sprintf("parameters must be apiGroup %s, kind %s", elbv2.GroupVersion.Group, paramsKind))
	}
	params, ok := f.Params[p.Name]
	if !ok {
		return invalid(c, "IngressClass "+name+" spec.parameters.name",
			fmt.Sprintf("IngressClassParams %q not found", p.Name))
	}
	if sel := params.Spec.NamespaceSelector; sel != nil {
		selector, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return invalid(c, "IngressClassParams "+params.Name+" spec.namespaceSelector", err.Error())
		}
		if !selector.Matches(labels.Set(f.NamespaceLabels)) {
			return invalid(c, "IngressClassParams "+params.Name+" spec.namespaceSelector",
				fmt.Sprintf("namespace %s is not selected (%s)", ing.Namespace, selector.String()))
		}
	}
	c.Verdict, c.Params = Ours, params
	return c
}

// CheckClassAnnotation refuses a new use of the kubernetes.io/ingress.class
// annotation for kelb's class under --disable-ingress-class-annotation
// (disabled). LBC refuses it in its validating webhook (a create, or an
// update whose old Ingress did not use it) and keeps serving existing uses;
// kelb runs no Ingress webhook, so it refuses at reconcile an Ingress it
// would serve by the annotation alone and does not serve yet (served: it
// carries kelb's finalizer). Nothing is made for it until it names its
// class in spec.ingressClassName and drops the annotation.
func CheckClassAnnotation(ing *networkingv1.Ingress, c Class, disabled, served bool) error {
	if !disabled || served || c.Verdict != Ours || c.By != "annotation "+AnnIngressClass {
		return nil
	}
	return &AnnotationError{Annotation: AnnIngressClass, Value: ing.Annotations[AnnIngressClass],
		Allowed: "none: new uses are refused with --disable-ingress-class-annotation; " +
			"name an IngressClass of controller " + ControllerALB + " in spec.ingressClassName"}
}

func invalid(c Class, field, reason string) Class {
	c.Verdict, c.Field, c.Reason = Invalid, field, reason
	return c
}

// defaultClass returns the IngressClass marked default ("" when none); the
// API server assigns it to new Ingresses, and LBC also applies it to
// Ingresses made before it was marked.
func defaultClass(classes map[string]*networkingv1.IngressClass) (string, error) {
	var defaults []string
	for name, c := range classes {
		if c.Annotations[AnnDefaultClass] == "true" {
			defaults = append(defaults, name)
		}
	}
	if len(defaults) > 1 {
		sort.Strings(defaults)
		return "", fmt.Errorf("several IngressClasses are marked default (%s); mark one", strings.Join(defaults, ", "))
	}
	if len(defaults) == 1 {
		return defaults[0], nil
	}
	return "", nil
}
