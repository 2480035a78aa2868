package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

func ingressClass(name, controller string, params *networkingv1.IngressClassParametersReference,
	annotations map[string]string) *networkingv1.IngressClass {
	return &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations},
		Spec: networkingv1.IngressClassSpec{Controller: controller, Parameters: params}}
}

func paramsRef(group, kind, name string) *networkingv1.IngressClassParametersReference {
	return &networkingv1.IngressClassParametersReference{APIGroup: &group, Kind: kind, Name: name}
}

func TestClassify(t *testing.T) {
	teamA := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: elbv2.IngressClassParamsSpec{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"team": "a"}}}}
	open := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "open"}}
	classes := map[string]*networkingv1.IngressClass{
		"alb":        ingressClass("alb", ControllerALB, nil, nil),
		"nginx":      ingressClass("nginx", "k8s.io/ingress-nginx", nil, nil),
		"alb-team-a": ingressClass("alb-team-a", ControllerALB, paramsRef("elbv2.k8s.aws", "IngressClassParams", "team-a"), nil),
		"alb-open":   ingressClass("alb-open", ControllerALB, paramsRef("elbv2.k8s.aws", "IngressClassParams", "open"), nil),
		"alb-gone":   ingressClass("alb-gone", ControllerALB, paramsRef("elbv2.k8s.aws", "IngressClassParams", "gone"), nil),
		"alb-other":  ingressClass("alb-other", ControllerALB, paramsRef("example.com", "Config", "x"), nil),
		// Another controller's class with broken parameters is simply not ours.
		"nginx-params": ingressClass("nginx-params", "k8s.io/ingress-nginx", paramsRef("example.com", "Config", "x"), nil),
	}
	params := map[string]*elbv2.IngressClassParams{"team-a": teamA, "open": open}
	withDefault := func(name string) map[string]*networkingv1.IngressClass {
		out := map[string]*networkingv1.IngressClass{}
		for k, v := range classes {
			out[k] = v
		}
		c := *classes[name]
		c.Annotations = map[string]string{AnnDefaultClass: "true"}
		out[name] = &c
		return out
	}
	twoDefaults := withDefault("alb")
	n := *twoDefaults["nginx"]
	n.Annotations = map[string]string{AnnDefaultClass: "true"}
	twoDefaults["nginx"] = &n

	ing := func(className *string, annotations map[string]string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: annotations},
			Spec: networkingv1.IngressSpec{IngressClassName: className}}
	}
	name := func(s string) *string { return &s }
	facts := func(flag string, cls map[string]*networkingv1.IngressClass, nsLabels map[string]string) ClassFacts {
		return ClassFacts{IngressClassFlag: flag, Classes: cls, Params: params, NamespaceLabels: nsLabels}
	}
	tests := []struct {
		name  string
		ing   *networkingv1.Ingress
		facts ClassFacts
		want  Class
	}{
		{"annotation alb with the default flag", ing(nil, map[string]string{AnnIngressClass: "alb"}),
			facts("alb", classes, nil), Class{Verdict: Ours, By: "annotation " + AnnIngressClass}},
		{"annotation wins over spec.ingressClassName", ing(name("alb"), map[string]string{AnnIngressClass: "nginx"}),
			facts("alb", classes, nil), Class{Verdict: NotOurs, By: "annotation " + AnnIngressClass}},
		{"annotation alb with an empty flag", ing(nil, map[string]string{AnnIngressClass: "alb"}),
			facts("", classes, nil), Class{Verdict: Ours, By: "annotation " + AnnIngressClass}},
		{"annotation must equal a custom flag", ing(nil, map[string]string{AnnIngressClass: "alb"}),
			facts("internal-alb", classes, nil), Class{Verdict: NotOurs, By: "annotation " + AnnIngressClass}},
		{"annotation equal to a custom flag", ing(nil, map[string]string{AnnIngressClass: "internal-alb"}),
			facts("internal-alb", classes, nil), Class{Verdict: Ours, By: "annotation " + AnnIngressClass}},
		{"class of ours without parameters", ing(name("alb"), nil), facts("alb", classes, nil),
			Class{Verdict: Ours, By: "spec.ingressClassName", ClassName: "alb"}},
		{"another controller's class", ing(name("nginx"), nil), facts("alb", classes, nil),
			Class{Verdict: NotOurs, By: "spec.ingressClassName", ClassName: "nginx"}},
		{"another controller's class with parameters of another kind", ing(name("nginx-params"), nil),
			facts("alb", classes, nil), Class{Verdict: NotOurs, By: "spec.ingressClassName", ClassName: "nginx-params"}},
		{"missing class", ing(name("albb"), nil), facts("alb", classes, nil),
			Class{Verdict: Invalid, By: "spec.ingressClassName", ClassName: "albb", Field: "spec.ingressClassName",
				Reason: `IngressClass "albb" not found`}},
		{"params without namespaceSelector", ing(name("alb-open"), nil), facts("alb", classes, nil),
			Class{Verdict: Ours, By: "spec.ingressClassName", ClassName: "alb-open", Params: open}},
		{"params whose namespaceSelector admits the namespace", ing(name("alb-team-a"), nil),
			facts("alb", classes, map[string]string{"team": "a"}),
			Class{Verdict: Ours, By: "spec.ingressClassName", ClassName: "alb-team-a", Params: teamA}},
		{"params whose namespaceSelector refuses the namespace", ing(name("alb-team-a"), nil),
			facts("alb", classes, map[string]string{"team": "b"}),
			Class{Verdict: Invalid, By: "spec.ingressClassName", ClassName: "alb-team-a",
				Field: "IngressClassParams team-a spec.namespaceSelector", Reason: "namespace shop is not selected (team=a)"}},
		{"missing params", ing(name("alb-gone"), nil), facts("alb", classes, nil),
			Class{Verdict: Invalid, By: "spec.ingressClassName", ClassName: "alb-gone",
				Field: "IngressClass alb-gone spec.parameters.name", Reason: `IngressClassParams "gone" not found`}},
		{"parameters of another kind", ing(name("alb-other"), nil), facts("alb", classes, nil),
			Class{Verdict: Invalid, By: "spec.ingressClassName", ClassName: "alb-other",
				Field:  "IngressClass alb-other spec.parameters",
				Reason: "parameters must be apiGroup elbv2.k8s.aws, kind IngressClassParams"}},
		{"no class, no default, default flag", ing(nil, nil), facts("alb", classes, nil),
			Class{Verdict: NotOurs, By: "no class"}},
		{"no class, no default, empty flag serves class-less Ingresses", ing(nil, nil), facts("", classes, nil),
			Class{Verdict: Ours, By: "no class"}},
		{"no class, the default class is ours", ing(nil, nil), facts("alb", withDefault("alb-open"), nil),
			Class{Verdict: Ours, By: "default IngressClass", ClassName: "alb-open", Params: open}},
		{"no class, the default class is another controller's", ing(nil, nil), facts("", withDefault("nginx"), nil),
			Class{Verdict: NotOurs, By: "default IngressClass", ClassName: "nginx"}},
		{"no class, two default classes", ing(nil, nil), facts("alb", twoDefaults, nil),
			Class{Verdict: Invalid, By: "default IngressClass", Field: AnnDefaultClass,
				Reason: "several IngressClasses are marked default (alb, nginx); mark one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Classify(tt.ing, tt.facts)); diff != "" {
				t.Errorf("Classify (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckClassAnnotation: under --disable-ingress-class-annotation, only
// an Ingress kelb would serve by the annotation and does not serve yet is
// refused; an existing use (kelb's finalizer on it), a class by
// spec.ingressClassName, and an annotation naming another class pass.
func TestCheckClassAnnotation(t *testing.T) {
	byAnnotation := Class{Verdict: Ours, By: "annotation " + AnnIngressClass}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web",
		Annotations: map[string]string{AnnIngressClass: "alb"}}}
	refused := &AnnotationError{Annotation: AnnIngressClass, Value: "alb",
		Allowed: "none: new uses are refused with --disable-ingress-class-annotation; " +
			"name an IngressClass of controller ingress.k8s.aws/alb in spec.ingressClassName"}
	tests := []struct {
		name     string
		class    Class
		disabled bool
		served   bool
		want     error
	}{
		{"flag off", byAnnotation, false, false, nil},
		{"new use", byAnnotation, true, false, refused},
		{"existing use: served before", byAnnotation, true, true, nil},
		{"annotation of another class", Class{Verdict: NotOurs, By: "annotation " + AnnIngressClass}, true, false, nil},
		{"spec.ingressClassName", Class{Verdict: Ours, By: "spec.ingressClassName", ClassName: "alb"}, true, false, nil},
		{"default IngressClass", Class{Verdict: Ours, By: "default IngressClass", ClassName: "alb"}, true, false, nil},
	}
	for _, tt := range tests {
		got := CheckClassAnnotation(ing, tt.class, tt.disabled, tt.served)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
