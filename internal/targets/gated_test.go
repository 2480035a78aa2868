package targets

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodEndpoints(t *testing.T) {
	v4 := discoveryv1.AddressTypeIPv4
	f := EndpointFilter{PortName: "http", AddressType: v4, DropTerminating: true, PodsOnly: true}
	onNode := func(e *discoveryv1.Endpoint) { n := "node-a"; e.NodeName = &n }
	slices := []*discoveryv1.EndpointSlice{
		slice(v4, []discoveryv1.EndpointPort{port("http", 8080, "")},
			ep("10.0.0.1"),                        // ready
			ep("10.0.0.2", notReady, onNode),      // not ready: a candidate
			ep("10.0.0.3", notReady, terminating), // terminating: leaves
			ep("10.0.0.4", notReady, noPod),       // no pod: never a binding's
			ep("10.0.0.5", unknownReady),          // unknown is ready
		),
		slice(v4, []discoveryv1.EndpointPort{port("metrics", 9090, "")}, ep("10.0.0.6", notReady)), // other port
		slice(discoveryv1.AddressTypeIPv6, []discoveryv1.EndpointPort{port("http", 8080, "")}, ep("2001:db8::1", notReady)),
	}
	want := []PodEndpoint{{Target: tgts("10.0.0.1", 8080)[0], Pod: "pod-10.0.0.1", Ready: true},
		{Target: tgts("10.0.0.2", 8080)[0], Pod: "pod-10.0.0.2", Node: "node-a"},
		{Target: tgts("10.0.0.5", 8080)[0], Pod: "pod-10.0.0.5", Ready: true}}
	if diff := cmp.Diff(want, PodEndpoints(slices, f)); diff != "" {
		t.Errorf("pod endpoints (-want +got):\n%s", diff)
	}
}

// TestRegistersNotReady: LBC's rule for a not-ready endpoint, which lets a
// pod waiting on its target-health gate be registered (and so become
// healthy, and so ready).
func TestRegistersNotReady(t *testing.T) {
	type podOpt func(*corev1.Pod)
	withCond := func(typ corev1.PodConditionType, s corev1.ConditionStatus) podOpt {
		return func(p *corev1.Pod) {
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: typ, Status: s})
		}
	}
	withGate := func(name string) podOpt {
		return func(p *corev1.Pod) {
			p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(name)})
		}
	}
	deletingPod := func(p *corev1.Pod) { now := metav1.NewTime(time.Unix(1, 0)); p.DeletionTimestamp = &now }
	mk := func(opts ...podOpt) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
		for _, o := range opts {
			o(p)
		}
		return p
	}
	const gateA, gateB = "target-health.elbv2.k8s.aws/a", "target-health.elbv2.k8s.aws/b"
	readyNode, notReadyNode := node("n", "i-1", true, nil), node("n", "i-1", false, nil)
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		node *corev1.Node
		want bool
	}{
		{name: "containers ready, gate pending: registered",
			pod:  mk(withGate(gateA), withCond(corev1.ContainersReady, corev1.ConditionTrue), withCond(corev1.PodReady, corev1.ConditionFalse)),
			node: readyNode, want: true},
		{name: "two bindings' gates, both pending: registered (else neither turns True)",
			pod:  mk(withGate(gateA), withGate(gateB), withCond(corev1.ContainersReady, corev1.ConditionTrue)),
			node: readyNode, want: true},
		{name: "containers not ready", pod: mk(withGate(gateA), withCond(corev1.ContainersReady, corev1.ConditionFalse)),
			node: readyNode},
		{name: "no ContainersReady condition yet", pod: mk(withGate(gateA)), node: readyNode},
		{name: "node not ready", pod: mk(withGate(gateA), withCond(corev1.ContainersReady, corev1.ConditionTrue)),
			node: notReadyNode},
		{name: "node not found", pod: mk(withGate(gateA), withCond(corev1.ContainersReady, corev1.ConditionTrue))},
		{name: "pod not found", node: readyNode},
		{name: "pod being deleted",
			pod:  mk(withGate(gateA), withCond(corev1.ContainersReady, corev1.ConditionTrue), deletingPod),
			node: readyNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RegistersNotReady(tc.pod, tc.node); got != tc.want {
				t.Errorf("RegistersNotReady = %v; want %v", got, tc.want)
			}
		})
	}
}
