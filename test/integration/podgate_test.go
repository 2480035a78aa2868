package integration

import (
	"fmt"
	"testing"
	"time"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/readinessgate"
)

// TestPodReadinessGate: a pod carrying an ip binding's target-health gate,
// its containers ready but the pod not (so its endpoint is published not
// ready), is registered all the same; its condition is False while AWS
// says initial, then True soon after AWS reports the target healthy. The
// latency from healthy to True is logged.
func TestPodReadinessGate(t *testing.T) {
	const initial = 2 * time.Second
	env.Proxy.TargetHealth.SetTimes(initial, 0)
	t.Cleanup(func() { env.Proxy.TargetHealth.SetTimes(0, 0) })
	w := newTGBWorld(t)
	w.startKelb()
	ipType := v1beta1.TargetTypeIP
	arn := w.userTargetGroup("gated", elbtypes.TargetTypeEnumIp)
	w.service("gated", 30601)
	gate := readinessgate.ConditionType("gated")

	// The pod as the webhook leaves it and the kubelet reports it: gate in
	// the spec, containers ready, pod not ready.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "pod-10-0-6-1"},
		Spec: corev1.PodSpec{NodeName: w.world.Nodes[0], Containers: []corev1.Container{{Name: "app", Image: "app"}},
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: corev1.PodConditionType(gate)}}}}
	w.create(pod)
	now := metav1.Now()
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.6.1", Conditions: []corev1.PodCondition{
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ReadinessGatesNotReady", LastTransitionTime: now}}}
	if err := w.typed.Status().Update(t.Context(), pod); err != nil {
		t.Fatal(err)
	}
	w.writeSlice(podSlice("gated", map[string]string{"10.0.6.1": "not-ready"}))
	w.create(&v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gated"},
		Spec: v1beta1.TargetGroupBindingSpec{TargetGroupName: "gated", TargetType: &ipType,
			ServiceRef: v1beta1.ServiceReference{Name: "gated", Port: intstr.FromString("http")}}})

	t0 := time.Now()
	w.waitMembers(arn, "10.0.6.1:8080")
	condition := func() *corev1.PodCondition {
		var p corev1.Pod
		if err := w.typed.Get(t.Context(), client.ObjectKeyFromObject(pod), &p); err != nil {
			t.Fatal(err)
		}
		return readinessgate.Existing(&p, gate)
	}
	eventually(t, 30*time.Second, "gate condition False while initial", func() (bool, string) {
		c := condition()
		if c != nil && c.Status == corev1.ConditionTrue {
			t.Fatalf("condition True before AWS reported the target healthy: %+v", c)
		}
		return c != nil && c.Status == corev1.ConditionFalse && c.Reason == "Elb.RegistrationInProgress", fmt.Sprintf("%+v", c)
	})
	eventually(t, 30*time.Second, "gate condition True", func() (bool, string) {
		c := condition()
		return c != nil && c.Status == corev1.ConditionTrue && c.Reason == "" && c.Message == "", fmt.Sprintf("%+v", c)
	})
	trueAt := time.Now()

	// AWS reported the target healthy initial after its registration.
	var registeredAt time.Time
	for _, c := range w.calls(t0) {
		if c.Action == "RegisterTargets" && c.Status == 200 {
			registeredAt = c.Time
			break
		}
	}
	if registeredAt.IsZero() {
		t.Fatal("no RegisterTargets call logged")
	}
	latency := trueAt.Sub(registeredAt.Add(initial))
	reads := 0
	for _, c := range w.calls(t0) {
		if c.Action == "DescribeTargetHealth" {
			reads++
		}
	}
	t.Logf("gate latency from AWS healthy to condition True: %v (DescribeTargetHealth calls: %d)", latency, reads)
	if latency > 10*time.Second {
		t.Errorf("condition True %v after the target turned healthy, want within 10 s", latency)
	}
}
