package podreadiness

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

func binding(name, service string, tt elbv2.TargetType) elbv2.TargetGroupBinding {
	b := elbv2.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: elbv2.TargetGroupBindingSpec{ServiceRef: elbv2.ServiceReference{Name: service}}}
	if tt != "" {
		b.Spec.TargetType = &tt
	}
	return b
}

func service(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: corev1.ServiceSpec{Selector: selector}}
}

func pod(labels map[string]string, gates ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", Labels: labels}}
	for _, g := range gates {
		p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(g)})
	}
	return p
}

var enabledNS = map[string]string{"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}

func TestDecide(t *testing.T) {
	web := map[string]string{"app": "web"}
	webSvc := map[string]*corev1.Service{"web": service("web", web)}
	const gateWeb = "target-health.elbv2.k8s.aws/k8s-shop-web-1"
	for _, tc := range []struct {
		name string
		in   Input
		want Decision
	}{
		{name: "namespace not labelled",
			in:   Input{Enabled: true, Pod: pod(web), Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeNotEnabled}},
		{name: "namespace label with another value",
			in: Input{Enabled: true, NamespaceLabels: map[string]string{"elbv2.k8s.aws/pod-readiness-gate-inject": "disabled"},
				Pod: pod(web), Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeNotEnabled}},
		{name: "injection switched off by flag",
			in:   Input{Enabled: false, NamespaceLabels: enabledNS, Pod: pod(web), Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeNotEnabled}},
		{name: "ip binding whose Service selects the pod",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(map[string]string{"app": "web", "tier": "front"}),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeInjected, Gates: []corev1.PodReadinessGate{{ConditionType: gateWeb}}, Added: []string{gateWeb}}},
		{name: "instance binding: no gate",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "instance")}, Services: webSvc},
			want: Decision{Outcome: OutcomeUnchanged}},
		{name: "binding without target type: no gate, as LBC",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "")}, Services: webSvc},
			want: Decision{Outcome: OutcomeUnchanged}},
		{name: "selector does not match",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(map[string]string{"app": "api"}),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeUnchanged}},
		{name: "Service without selector selects nothing",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")},
				Services: map[string]*corev1.Service{"web": service("web", nil)}},
			want: Decision{Outcome: OutcomeUnchanged}},
		{name: "Service missing",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}},
			want: Decision{Outcome: OutcomeUnchanged}},
		{name: "gate already present",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web, gateWeb),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeUnchanged}},
		{name: "several bindings: the matching ip ones, by name, the user's gates kept",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(map[string]string{"app": "web", "v": "2"}, "example.com/warm"),
				Bindings: []elbv2.TargetGroupBinding{
					binding("z-web-443", "web", "ip"), binding("a-web-80", "web", "ip"), binding("web-inst", "web", "instance"),
					binding("canary", "canary", "ip"), binding("all", "all", "ip")},
				Services: map[string]*corev1.Service{"web": service("web", map[string]string{"app": "web"}),
					"canary": service("canary", map[string]string{"app": "web", "v": "3"}),
					"all":    service("all", map[string]string{"v": "2"})}},
			want: Decision{Outcome: OutcomeInjected,
				Gates: []corev1.PodReadinessGate{{ConditionType: "example.com/warm"},
					{ConditionType: "target-health.elbv2.k8s.aws/a-web-80"}, {ConditionType: "target-health.elbv2.k8s.aws/all"},
					{ConditionType: "target-health.elbv2.k8s.aws/z-web-443"}},
				Added: []string{"target-health.elbv2.k8s.aws/a-web-80", "target-health.elbv2.k8s.aws/all",
					"target-health.elbv2.k8s.aws/z-web-443"}}},
		{name: "legacy gates go when a gate applies",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web, "target-health.alb.ingress.k8s.aws/web_80", gateWeb),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "ip")}, Services: webSvc},
			want: Decision{Outcome: OutcomeInjected, Gates: []corev1.PodReadinessGate{{ConditionType: gateWeb}},
				Removed: []string{"target-health.alb.ingress.k8s.aws/web_80"}}},
		{name: "legacy gates stay when no gate applies",
			in: Input{Enabled: true, NamespaceLabels: enabledNS, Pod: pod(web, "target-health.alb.ingress.k8s.aws/web_80"),
				Bindings: []elbv2.TargetGroupBinding{binding("k8s-shop-web-1", "web", "instance")}, Services: webSvc},
			want: Decision{Outcome: OutcomeUnchanged}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Decide(tc.in)); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceNames(t *testing.T) {
	got := ServiceNames([]elbv2.TargetGroupBinding{binding("a", "web", "ip"), binding("b", "web", "ip"),
		binding("c", "api", "ip"), binding("d", "node", "instance"), binding("e", "none", "")})
	if diff := cmp.Diff([]string{"api", "web"}, got); diff != "" {
		t.Error(diff)
	}
}
