package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// calls returns the bench account's AWS calls since t0.
func (b *bench) calls(t0 time.Time) []awsproxy.Call {
	var out []awsproxy.Call
	for _, c := range b.env.Proxy.Log.Since(t0) {
		if c.Caller == b.world.Account { // kelb, not the bench
			out = append(out, c)
		}
	}
	return out
}

// printCalls prints the totals and, per Service, each action's count.
func printCalls(calls []awsproxy.Call, services int) { printCallsPer(calls, services, "Service") }

// printCallsPer prints the totals and each action's count, per unit (a
// Service, an Ingress).
func printCallsPer(calls []awsproxy.Call, n int, unit string) {
	counts := awsproxy.CountByAction(calls)
	mutating := 0
	for _, c := range calls {
		if c.Mutating() {
			mutating++
		}
	}
	per := func(k int) float64 { return float64(k) / float64(max(n, 1)) }
	fmt.Printf("  AWS calls: %d in total, %.2f per %s (%.2f mutating, %.2f reads)\n", len(calls), per(len(calls)), unit,
		per(mutating), per(len(calls)-mutating))
	actions := awsproxy.Actions(counts)
	sort.SliceStable(actions, func(i, j int) bool { return counts[actions[i]] > counts[actions[j]] })
	var parts []string
	for _, a := range actions {
		parts = append(parts, fmt.Sprintf("%s %d (%.2f)", a, counts[a], per(counts[a])))
	}
	fmt.Printf("  by action (per %s): %s\n", unit, strings.Join(parts, ", "))
	refused := map[string]int{}
	for _, c := range calls {
		if c.ErrorCode != "" {
			refused[c.Action+" "+c.ErrorCode]++
		}
	}
	if len(refused) > 0 {
		var rs []string
		for _, k := range awsproxy.Actions(refused) {
			rs = append(rs, fmt.Sprintf("%s %d", k, refused[k]))
		}
		fmt.Printf("  refused by AWS: %s\n", strings.Join(rs, ", "))
	}
}

func header(title string) { fmt.Printf("== %s\n", title) }
