package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// TestMissingPermissionReported: kelb runs with the published IAM policy
// minus elasticloadbalancing:AddTags, which creating a tagged target group
// or load balancer needs. The refusal surfaces as a Warning event and the
// Deployed condition on the Service naming the permission, a Warning event
// on kelb's own Pod and the access-denied metric; no load balancer resource
// is made meanwhile. Once the permission is granted, kelb converges on its
// own backoff, without the Service changing.
func TestMissingPermissionReported(t *testing.T) {
	const permission = "elasticloadbalancing:AddTags"
	cl := newCluster(t, 3)
	env.Proxy.IAM.SetAccountPolicy(cl.world.Account, env.Proxy.IAM.Policy().Without(permission))
	t.Cleanup(func() { env.Proxy.IAM.SetAccountPolicy(cl.world.Account, nil) })
	t.Setenv("POD_NAME", "kelb-iam-test")
	t.Setenv("POD_NAMESPACE", "default")
	before := accessDeniedCount(t, permission)
	t0 := time.Now()
	cl.startKelb()
	cl.createService("web")

	want := "missing IAM permission " + permission
	cl.waitEventText("web", "MissingIAMPermission", want)
	cl.waitEventText("kelb-iam-test", "MissingIAMPermission", want)
	c := cl.waitCondition("web", "elbv2.k8s.aws/Deployed", metav1.ConditionFalse, "MissingIAMPermission")
	if !strings.Contains(c.Message, want) || !strings.Contains(c.Message, "retrying in") {
		t.Errorf("Deployed condition message %q: want the permission named and the retry told", c.Message)
	}
	if got := accessDeniedCount(t, permission) - before; got < 1 {
		t.Errorf("kelb_aws_access_denied_total{permission=%q} rose by %v, want at least 1", permission, got)
	}
	denied := 0
	for _, call := range env.Proxy.Log.Since(t0) {
		if call.Account != cl.world.Account || call.Caller != cl.world.Account {
			continue
		}
		if call.ErrorCode == "AccessDenied" {
			denied++
		}
		if call.Service == "elasticloadbalancing" && call.Mutating() && call.Status < 300 {
			t.Errorf("kelb made %s while lacking %s", call.Action, permission)
		}
	}
	if denied == 0 {
		t.Error("the proxy logged no AccessDenied answer")
	}

	env.Proxy.IAM.SetAccountPolicy(cl.world.Account, nil)
	eventually(t, 90*time.Second, "web ready once the permission is granted", func() (bool, string) {
		s := cl.get("web")
		return len(s.Status.LoadBalancer.Ingress) > 0, fmt.Sprintf("%+v", s.Status.Conditions)
	})
}

// waitEventText waits for a Warning event with reason on the named object
// whose message holds text.
func (cl *cluster) waitEventText(name, reason, text string) {
	cl.t.Helper()
	eventually(cl.t, 30*time.Second, name+" event "+reason, func() (bool, string) {
		var events corev1.EventList
		if err := cl.c.List(cl.t.Context(), &events); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range events.Items {
			if e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning && e.Reason == reason {
				if strings.Contains(e.Message, text) {
					return true, ""
				}
				seen = append(seen, e.Message)
			}
		}
		return false, fmt.Sprintf("%q", seen)
	})
}

// accessDeniedCount is kelb_aws_access_denied_total for permission, summed
// over the process's managers.
func accessDeniedCount(t *testing.T, permission string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != "kelb_aws_access_denied_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "permission" && l.GetValue() == permission {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}
