package integration

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/service"
)

// accountCalls returns every call of the cluster's account, kelb's and the
// test's, for the rule report.
func (cl *cluster) accountCalls() []awsproxy.Call {
	var out []awsproxy.Call
	for _, c := range env.Proxy.Log.Calls() {
		if c.Account == cl.world.Account {
			out = append(out, c)
		}
	}
	return out
}

// TestRuleChangesLeaveNoGap: node-group rules that change shape (ranges
// merged past the budget, a target type change) never leave a gap in
// traffic that was allowed before and after, and the load balancer never
// sends traffic before it is allowed.
func TestRuleChangesLeaveNoGap(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	first := deploy.BackendRuleBudget
	for i := 0; i < first; i++ {
		cl.createService(fmt.Sprintf("g%02d", i))
	}
	for i := 0; i < first; i++ {
		cl.waitReady(fmt.Sprintf("g%02d", i))
	}

	t0 := time.Now()
	for i := first; i < first+5; i++ { // past the budget: ranges merge
		cl.createService(fmt.Sprintf("g%02d", i))
	}
	for i := first; i < first+5; i++ {
		cl.waitReady(fmt.Sprintf("g%02d", i))
	}
	time.Sleep(500 * time.Millisecond)
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	t.Logf("ranges merged: gap %s, exposure %s", rep.Gap, rep.Exposure)
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}

	t1 := time.Now()
	cl.update("g00", func(s *corev1.Service) {
		s.Annotations = map[string]string{service.AnnTargetType: "ip"}
	})
	cl.createEndpoints(cl.get("g00"), "10.0.10.31", "10.0.11.32")
	eventually(t, 30*time.Second, "ip targets", func() (bool, string) {
		for _, c := range cl.calls(t1) {
			if c.Action == "RegisterTargets" && c.Params["Targets.member.1.Port"] == "8080" {
				return true, ""
			}
		}
		return false, "no ip registration yet"
	})
	time.Sleep(time.Second)
	rep = awsproxy.Analyze(cl.accountCalls(), t1, time.Now())
	t.Logf("target type change: gap %s, exposure %s", rep.Gap, rep.Exposure)
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}
}
