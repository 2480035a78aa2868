package deploy

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/kelb-dev/kelb/internal/model"
)

// Rule priorities are placed so that a change to the rules moves as few
// existing rules as it can. A moved rule costs a SetRulePriorities entry
// and a tag write (its resource tag names its priority), and a group's
// members should not see their rules renumbered because another member
// changed. LBC numbers every listener from 1 on each change, so removing
// the first of 50 members moves the other 49; kelb keeps every rule that
// stays where it is and fills gaps.
//
// The wanted rules come in the order they must be tried. The rules AWS
// has that mean the same as a wanted one and already stand in the wanted
// order (the longest such run, by priority) keep their priority: they are
// the anchors. The other wanted rules are placed in the gaps between the
// anchors, in order; the anchors are chosen so that every gap has room
// for what goes in it, and as many rules as can stay do. A new rule
// takes the priority right after the rule before it, so a listener kelb
// fills from nothing is numbered 1, 2, 3, ... as LBC numbers it, and a
// cluster switching from LBC keeps every priority.

// placeRules sets the priority of each wanted rule (and the port:priority
// resource tag, where the rule has one) from the rules the listener has.
func placeRules(port int32, want []sdkRule, have []ruleHave) {
	own := ownPriorities(want, have)
	anchors := anchorRules(own)
	free := unmatchedPriorities(own, have)
	for k := 1; k < len(anchors); k++ {
		left, right := anchors[k-1], anchors[k]
		prev := left.Priority
		for i := left.Want + 1; i < right.Want; i++ {
			prev = placeRule(own, free, i, prev, right)
			want[i].Priority = prev
		}
		if right.Want < len(want) {
			want[right.Want].Priority = right.Priority
		}
	}
	for i := range want {
		if _, ok := want[i].Tags[model.TagIngressResource]; ok {
			tags := maps.Clone(want[i].Tags)
			tags[model.TagIngressResource] = fmt.Sprintf("%d:%d", port, want[i].Priority)
			want[i].Tags = tags
		}
	}
}

// anchor is a wanted rule (by index) that keeps the priority its match in
// AWS has. The anchors of a listener start with one before every rule
// (priority 0) and end with one after (one past the highest priority).
type anchor struct {
	Want     int
	Priority int32
}

// ownPriorities pairs each wanted rule with a rule AWS has of the same
// meaning (the n-th wanted rule of a meaning with the n-th had one, by
// priority) and returns that rule's priority, or 0 for none.
func ownPriorities(want []sdkRule, have []ruleHave) []int32 {
	byKey := map[string][]int32{}
	for _, h := range have {
		byKey[h.Key] = append(byKey[h.Key], h.Priority)
	}
	for _, p := range byKey {
		slices.Sort(p)
	}
	own := make([]int32, len(want))
	for wi, w := range want {
		if p := byKey[w.Key]; len(p) > 0 {
			own[wi], byKey[w.Key] = p[0], p[1:]
		}
	}
	return own
}

// unmatchedPriorities are the priorities of the rules AWS has that no
// wanted rule means the same as, lowest first: a wanted rule placed on one
// of them replaces it in place (ModifyRule) instead of being created
// beside it.
func unmatchedPriorities(own []int32, have []ruleHave) []int32 {
	taken := map[int32]bool{}
	for _, p := range own {
		taken[p] = true
	}
	var out []int32
	for _, h := range have {
		if !taken[h.Priority] {
			out = append(out, h.Priority)
		}
	}
	slices.Sort(out)
	return out
}

// anchorRules is the largest set of matched wanted rules that can all
// keep their own priorities: in wanted order, with room between each two
// for the rules wanted between them. Rule i at priority p and a later rule
// k at q leave room when q-p >= k-i, that is when p-i <= q-k: the anchors
// are a longest non-decreasing run of own[i]-i (patience sorting), among
// the rules with room before them (from priority 1) and after them (up to
// the highest priority).
func anchorRules(own []int32) []anchor {
	slack := func(i int) int32 { return own[i] - int32(i) }
	last := int32(maxRulePriority + 1 - len(own))
	// tails[k] is the index of the smallest last slack of a run of length
	// k+1; back links each index to the one before it in its run.
	var tails []int
	back := make([]int, len(own))
	for i, p := range own {
		if p == 0 || slack(i) < 1 || slack(i) > last {
			continue
		}
		k := sort.Search(len(tails), func(k int) bool { return slack(tails[k]) > slack(i) })
		back[i] = -1
		if k > 0 {
			back[i] = tails[k-1]
		}
		if k == len(tails) {
			tails = append(tails, i)
		} else {
			tails[k] = i
		}
	}
	run := make([]anchor, len(tails))
	if len(tails) > 0 {
		for k, i := len(tails)-1, tails[len(tails)-1]; k >= 0; k, i = k-1, back[i] {
			run[k] = anchor{Want: i, Priority: own[i]}
		}
	}
	out := append([]anchor{{Want: -1, Priority: 0}}, run...)
	return append(out, anchor{Want: len(own), Priority: maxRulePriority + 1})
}

// placeRule picks the priority of wanted rule i, placed after prev and
// before right with the rules between them still to place: its own
// priority, else one of a rule it may replace in place, else the next
// one. The first two are taken only where they leave the later rules of
// the gap room to keep their own priorities.
func placeRule(own, free []int32, i int, prev int32, right anchor) int32 {
	limit := right.Priority - 1 - int32(right.Want-1-i)
	for j := i + 1; j < right.Want; j++ {
		if q := own[j] - int32(j-i); own[j] > prev && q < limit {
			limit = q
		}
	}
	if p := own[i]; p > prev && p <= limit {
		return p
	}
	if k, _ := slices.BinarySearch(free, prev+1); k < len(free) && free[k] <= limit {
		return free[k]
	}
	return prev + 1
}
