package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// orphans creates n+live Services, waits until they are served, stops kelb
// and deletes the first n with their finalizers stripped: n orphan stacks
// kelb made (with this cluster's identity tag) and live ones.
func (cl *cluster) orphans(n, live int) {
	cl.t.Helper()
	cl.startKelb()
	for i := range n + live {
		cl.createService(fmt.Sprintf("svc%d", i))
	}
	for i := range n + live {
		cl.waitReady(fmt.Sprintf("svc%d", i))
	}
	cl.stopKelb()
	for i := range n {
		cl.deleteStripped(fmt.Sprintf("svc%d", i))
	}
}

// deletions counts kelb's delete calls since t0.
func (cl *cluster) deletions(t0 time.Time) int {
	counts := awsproxy.CountByAction(cl.calls(t0))
	return counts["DeleteLoadBalancer"] + counts["DeleteTargetGroup"] + counts["DeleteSecurityGroup"]
}

// TestSweeperRefusesMassDeletion: 6 orphans of 7 stacks (more than 5 and
// more than half) are refused and reported; nothing is deleted.
func TestSweeperRefusesMassDeletion(t *testing.T) {
	cl := newCluster(t, 2)
	cl.orphans(6, 1)
	refused := orphanFindings(t, "refused")
	t0 := time.Now()
	cl.startKelb()
	eventually(t, 30*time.Second, "sweep refused", func() (bool, string) {
		got := orphanFindings(t, "refused") - refused
		return got >= 6, fmt.Sprintf("%v refused", got)
	})
	if n := cl.deletions(t0); n != 0 {
		t.Errorf("kelb made %d delete calls, want none", n)
	}
	if lbs := cl.loadBalancers(); len(lbs) != 7 {
		t.Errorf("want the 7 load balancers left, got %d", len(lbs))
	}
}

// TestSweeperReportMode: with --orphan-sweep=report an orphan is found and
// reported after the grace period, and nothing is deleted.
func TestSweeperReportMode(t *testing.T) {
	cl := newCluster(t, 2)
	cl.orphans(1, 1)
	cl.opts.OrphanSweep = "report"
	found, reported := orphanFindings(t, "found"), orphanFindings(t, "reported")
	t0 := time.Now()
	cl.startKelb()
	eventually(t, 30*time.Second, "orphan reported", func() (bool, string) {
		return orphanFindings(t, "reported") > reported, ""
	})
	if got := orphanFindings(t, "found") - found; got != 1 {
		t.Errorf("found %v orphans, want 1", got)
	}
	if n := cl.deletions(t0); n != 0 {
		t.Errorf("kelb made %d delete calls in report mode, want none", n)
	}
	if lbs := cl.loadBalancers(); len(lbs) != 2 {
		t.Errorf("want both load balancers left, got %d", len(lbs))
	}
}

// TestSweeperGracePeriod: an orphan is left alone for the grace period,
// while the sweeper runs, and deleted after it.
func TestSweeperGracePeriod(t *testing.T) {
	cl := newCluster(t, 2)
	cl.orphans(1, 1)
	// A grace period longer than the test: found, then passes without a delete.
	cl.opts.OrphanGracePeriod = time.Hour
	found := orphanFindings(t, "found")
	t0 := time.Now()
	cl.startKelb()
	eventually(t, 30*time.Second, "orphan found", func() (bool, string) {
		return orphanFindings(t, "found") > found, ""
	})
	waitSweeps(t, sweeps(t), 3)
	if n := cl.deletions(t0); n != 0 {
		t.Errorf("kelb made %d delete calls within the grace period, want none", n)
	}
	cl.stopKelb()

	// A grace period of 3 s, counted from the new process's first sight.
	cl.opts.OrphanGracePeriod = 3 * time.Second
	t1 := time.Now()
	cl.startKelb()
	eventually(t, 30*time.Second, "orphan deleted", func() (bool, string) {
		return len(cl.loadBalancers()) == 1, fmt.Sprint(cl.loadBalancers())
	})
	for _, c := range cl.calls(t1) {
		if c.Action == "DeleteLoadBalancer" {
			if after := c.Time.Sub(t1); after < cl.opts.OrphanGracePeriod {
				t.Errorf("deleted %s after start, before the grace period of %s", after, cl.opts.OrphanGracePeriod)
			}
		}
	}
	// The orphan's target groups and group go after its load balancer and
	// its TargetGroupBinding: the live Service's LB, TG, frontend SG and the
	// backend SG are left.
	eventually(t, 30*time.Second, "the live stack and the backend group left", func() (bool, string) {
		left := cl.tagged()
		return len(left) == 4, fmt.Sprint(left)
	})
}
