package integration

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/service"
)

// TestTargetTypeTypoKeepsLoadBalancer: a Service served by annotation whose
// nlb-target-type turns into a value LBC does not take stays kelb's and is
// refused, naming the annotation; nothing in AWS changes (LBC would take it
// for not its own and delete the load balancer). A Service never served
// with such a value is not kelb's: no finalizer, no condition.
func TestTargetTypeTypoKeepsLoadBalancer(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	byAnnotation := func(target string) func(*corev1.Service) {
		return func(s *corev1.Service) {
			s.Spec.LoadBalancerClass = nil
			s.Annotations = map[string]string{service.AnnType: "external", service.AnnTargetType: target}
		}
	}
	cl.createService("typo", byAnnotation("instance"))
	cl.createService("never", byAnnotation("Instance"))
	hostname := cl.waitReady("typo").Status.LoadBalancer.Ingress[0].Hostname
	t0 := time.Now()
	cl.update("typo", func(s *corev1.Service) { s.Annotations[service.AnnTargetType] = "Instance" })
	cond := cl.waitCondition("typo", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
	for _, want := range []string{service.AnnTargetType, "instance, ip", "Instance"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("condition message %q does not name %q", cond.Message, want)
		}
	}
	if m := cl.mutatingCalls(t0); len(m) != 0 {
		t.Errorf("AWS changed: %v", m)
	}
	s := cl.get("typo")
	if len(s.Finalizers) != 1 || len(s.Status.LoadBalancer.Ingress) != 1 || s.Status.LoadBalancer.Ingress[0].Hostname != hostname {
		t.Errorf("served Service changed: finalizers %v, status %+v", s.Finalizers, s.Status.LoadBalancer)
	}
	if s := cl.get("never"); len(s.Finalizers) != 0 || len(s.Status.Conditions) != 0 {
		t.Errorf("a Service LBC would not claim was touched: finalizers %v, conditions %+v", s.Finalizers, s.Status.Conditions)
	}
}
