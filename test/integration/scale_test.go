package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/kelb-dev/kelb/internal/deploy"
)

// TestManyServicesShareNodeRules: more instance-target Services than a
// security group has rules (AWS and moto stop at 60) all converge, kelb's
// rules in the node group stay within its budget, and deleting every
// Service leaves the node group exactly as it was.
func TestManyServicesShareNodeRules(t *testing.T) {
	cl := newCluster(t, 3)
	before := cl.nodeRules()
	cl.startKelb()
	const n = 70
	for i := 0; i < n; i++ {
		cl.createService(fmt.Sprintf("s%02d", i))
	}
	for i := 0; i < n; i++ {
		cl.waitReady(fmt.Sprintf("s%02d", i))
	}
	rules := cl.nodeRules()
	if got := len(rules) - len(before); got > deploy.BackendRuleBudget || got == 0 {
		t.Errorf("kelb keeps %d rules in the node group, want 1..%d: %v", got, deploy.BackendRuleBudget, rules)
	}
	for i := 0; i < n; i++ {
		if err := cl.c.Delete(t.Context(), cl.get(fmt.Sprintf("s%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		cl.waitGone(fmt.Sprintf("s%02d", i))
	}
	eventually(t, 30*time.Second, "node rules restored", func() (bool, string) {
		after := cl.nodeRules()
		return fmt.Sprint(after) == fmt.Sprint(before), fmt.Sprint(after)
	})
	if left := cl.tagged(); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
}
