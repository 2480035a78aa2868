package main

import (
	"fmt"
	"path/filepath"
	"time"
)

// figures are one size's headline numbers, printed side by side at the end.
type figures struct {
	services        int
	converge        time.Duration // until the last hostname
	convergeCalls   float64       // AWS calls per Service until the last hostname
	restartHostname time.Duration // the new Service's hostname after kelb started
	restartReads    float64       // reads per existing Service until the restart is quiet
	restartQuiet    time.Duration // until the restart's reads ended
	deleteAll       time.Duration
	deleteCalls     float64
}

// current is the figures of the size being measured.
func (b *bench) current() *figures { return &b.figures[len(b.figures)-1] }

// scale stretches a timeout made for 100 Services to the size measured.
func (b *bench) scale(d time.Duration) time.Duration {
	return d * time.Duration(max(1, b.cfg.services/100))
}

// profileArgs asks kelb for a CPU profile of this process at the sizes that
// get one.
func (b *bench) profileArgs(process string) []string {
	if b.cfg.services < b.cfg.profileFrom {
		return nil
	}
	path := filepath.Join(b.dir, fmt.Sprintf("cpu-%d-%s.pprof", b.cfg.services, process))
	fmt.Printf("  kelb's CPU profile: %s\n", path)
	return []string{"--cpu-profile", path}
}

func (b *bench) printFigures() {
	if len(b.figures) < 2 {
		return
	}
	header("side by side")
	fmt.Printf("  %8s | %-24s | %-26s | %-28s\n", "Services", "converge (calls/Service)", "delete (calls/Service)",
		"restart: new hostname (reads/existing, quiet after)")
	for _, f := range b.figures {
		fmt.Printf("  %8d | %9s (%5.2f)        | %9s (%5.2f)          | %9s (%5.2f, %s)\n", f.services,
			f.converge.Round(100*time.Millisecond), f.convergeCalls, f.deleteAll.Round(100*time.Millisecond), f.deleteCalls,
			f.restartHostname.Round(100*time.Millisecond), f.restartReads, f.restartQuiet.Round(time.Second))
	}
	base := b.figures[0]
	for _, f := range b.figures[1:] {
		ratio := func(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }
		fmt.Printf("  %d vs %d Services (%.0fx): converge %.1fx, delete %.1fx, restart's new hostname %.1fx\n",
			f.services, base.services, float64(f.services)/float64(base.services), ratio(f.converge, base.converge),
			ratio(f.deleteAll, base.deleteAll), ratio(f.restartHostname, base.restartHostname))
	}
	fmt.Println()
}
