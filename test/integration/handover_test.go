package integration

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestTargetsNeverAheadOfTheirRules: the binding controller registers the
// targets of Services, and no target is ever registered on a port its node
// group does not allow yet: node ports moved on three Services at once,
// and a Service turned to ip targets, show no exposure (and no gap) in the
// proxy's rule report, and every new port's targets are registered.
func TestTargetsNeverAheadOfTheirRules(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	names := []string{"h0", "h1", "h2"}
	for i, name := range names {
		cl.createService(name, withPort(80, 31100+int32(i), corev1.ProtocolTCP))
	}
	for _, name := range names {
		cl.waitReady(name)
	}

	t0 := time.Now()
	for i, name := range names {
		cl.update(name, func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 31200 + int32(i) })
	}
	cl.update("h0", func(s *corev1.Service) { s.Annotations = map[string]string{service.AnnTargetType: "ip"} })
	cl.createEndpoints(cl.get("h0"), "10.0.10.61", "10.0.11.62")
	registered := func(port string) bool {
		for _, c := range cl.calls(t0) {
			if c.Action == "RegisterTargets" && c.Params["Targets.member.1.Port"] == port {
				return true
			}
		}
		return false
	}
	eventually(t, 60*time.Second, "every new port's targets registered", func() (bool, string) {
		for _, port := range []string{"8080", "31201", "31202"} {
			if !registered(port) {
				return false, "no registration on " + port + " yet"
			}
		}
		return true, ""
	})
	// h0's listener forwards to its new ip target group only once that
	// group's targets are registered: never to an empty group.
	var newTG string
	var registeredAt time.Time
	for _, c := range cl.calls(t0) {
		if c.Action == "RegisterTargets" && c.Params["Targets.member.1.Port"] == "8080" {
			newTG, registeredAt = c.Params["TargetGroupArn"], c.Time
			break
		}
	}
	eventually(t, 30*time.Second, "h0's listener on its new target group", func() (bool, string) {
		for _, c := range cl.calls(t0) {
			if c.Action == "ModifyListener" && slices.Contains(paramValues(c), newTG) {
				if c.Time.Before(registeredAt) {
					t.Errorf("the listener moved to %s at %s, before its targets were registered (%s)", newTG,
						c.Time.Format(time.StampMilli), registeredAt.Format(time.StampMilli))
				}
				return true, ""
			}
		}
		return false, "not yet"
	})
	time.Sleep(time.Second) // the old ports' rules go after the moves
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	t.Logf("node ports moved and ip targets: gap %s, exposure %s", rep.Gap, rep.Exposure)
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}
	for _, name := range names {
		cl.waitReady(name)
	}
}
