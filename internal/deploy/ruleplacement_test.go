package deploy

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestPlaceRules(t *testing.T) {
	// have lists the keys AWS has by priority ("" leaves a priority free);
	// want lists the wanted keys in order.
	tests := []struct {
		name string
		have map[int32]string
		want []string
		out  []int32
	}{{
		name: "a new listener is numbered from 1",
		want: []string{"a", "b", "c"},
		out:  []int32{1, 2, 3},
	}, {
		name: "rules that stay keep their priorities, gaps and all",
		have: map[int32]string{1: "a", 2: "b", 5: "c", 9: "d"},
		want: []string{"a", "b", "c", "d"},
		out:  []int32{1, 2, 5, 9},
	}, {
		name: "a deleted rule leaves its gap: nothing moves",
		have: map[int32]string{1: "a", 2: "b", 3: "c", 4: "d"},
		want: []string{"a", "c", "d"},
		out:  []int32{1, 3, 4},
	}, {
		name: "a rule goes into a gap: nothing moves",
		have: map[int32]string{1: "a", 3: "c", 4: "d"},
		want: []string{"a", "b", "c", "d"},
		out:  []int32{1, 2, 3, 4},
	}, {
		name: "a rule whose meaning changes takes the place of the old one",
		have: map[int32]string{1: "a", 4: "b", 9: "c"},
		want: []string{"a", "b2", "c"},
		out:  []int32{1, 4, 9},
	}, {
		name: "a rule added at the end follows the last one",
		have: map[int32]string{1: "a", 2: "b"},
		want: []string{"a", "b", "c", "d"},
		out:  []int32{1, 2, 3, 4},
	}, {
		name: "a rule inserted into a dense run moves only the rules after it",
		have: map[int32]string{1: "a", 2: "b", 3: "c", 4: "d"},
		want: []string{"a", "b", "x", "c", "d"},
		out:  []int32{1, 2, 3, 4, 5},
	}, {
		name: "an insert moves the shorter side: the rules after it when there is room only there",
		have: map[int32]string{1: "a", 2: "b", 3: "c", 10: "d"},
		want: []string{"a", "x", "b", "c", "d"},
		out:  []int32{1, 2, 3, 4, 10},
	}, {
		name: "an insert moves the rules before it when they have room below",
		have: map[int32]string{5: "a", 6: "b", 7: "c", 8: "d"},
		want: []string{"a", "b", "c", "x", "d"},
		out:  []int32{5, 6, 7, 8, 9},
	}, {
		name: "an insert in front of a run starting at 1 moves the run",
		have: map[int32]string{1: "a", 2: "b", 10: "c"},
		want: []string{"x", "a", "b", "c"},
		out:  []int32{1, 2, 3, 10},
	}, {
		name: "two rules swapped in a dense run: both move",
		have: map[int32]string{1: "a", 2: "b", 3: "c", 4: "d"},
		want: []string{"a", "c", "b", "d"},
		out:  []int32{1, 2, 3, 4},
	}, {
		name: "two rules swapped with room after: one moves",
		have: map[int32]string{1: "a", 2: "b", 3: "c", 10: "d"},
		want: []string{"a", "c", "b", "d"},
		out:  []int32{1, 3, 4, 10},
	}, {
		name: "a rule moved to the front leaves the others in place",
		have: map[int32]string{2: "a", 3: "b", 4: "c", 5: "d"},
		want: []string{"d", "a", "b", "c"},
		out:  []int32{1, 2, 3, 4},
	}, {
		name: "rules of one meaning pair in order",
		have: map[int32]string{3: "a", 7: "a"},
		want: []string{"a", "b", "a"},
		out:  []int32{3, 4, 7},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var have []ruleHave
			for p := int32(1); p <= 20; p++ {
				if k := tc.have[p]; k != "" {
					have = append(have, ruleHave{ARN: fmt.Sprintf("r%d", p), Priority: p, Key: k})
				}
			}
			want := make([]sdkRule, len(tc.want))
			for i, k := range tc.want {
				want[i] = sdkRule{Key: k}
			}
			placeRules(80, want, have)
			got := make([]int32, len(want))
			for i := range want {
				got[i] = want[i].Priority
			}
			if d := cmp.Diff(tc.out, got); d != "" {
				t.Errorf("priorities (-want +got):\n%s", d)
			}
		})
	}
}

// TestPlaceRulesTagsAndMoves checks the resource tag follows the priority,
// and counts the moves for one member added to and removed from the middle
// of a dense group of 50 rules (LBC renumbers from 1 and moves the 25
// rules after it each time).
func TestPlaceRulesTagsAndMoves(t *testing.T) {
	want := []sdkRule{{Key: "a", Tags: map[string]string{model.TagIngressResource: "80:1", "k": "v"}}, {Key: "b"}}
	placeRules(443, want, []ruleHave{{ARN: "r", Priority: 7, Key: "a"}})
	if d := cmp.Diff([]sdkRule{{Priority: 7, Key: "a", Tags: map[string]string{model.TagIngressResource: "443:7", "k": "v"}},
		{Priority: 8, Key: "b"}}, want); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}

	moves := func(have []ruleHave, keys []string) (int, []ruleHave) {
		want := make([]sdkRule, len(keys))
		for i, k := range keys {
			want[i] = sdkRule{Key: k}
		}
		placeRules(80, want, have)
		at := map[string]int32{}
		for _, h := range have {
			at[h.Key] = h.Priority
		}
		n := 0
		var next []ruleHave
		for _, w := range want {
			if p, ok := at[w.Key]; ok && p != w.Priority {
				n++
			}
			next = append(next, ruleHave{ARN: w.Key, Priority: w.Priority, Key: w.Key})
		}
		return n, next
	}
	var keys []string
	var have []ruleHave
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("m%02d", i))
		have = append(have, ruleHave{ARN: keys[i], Priority: int32(i + 1), Key: keys[i]})
	}
	without := append(append([]string(nil), keys[:25]...), keys[26:]...)
	removed, have := moves(have, without)
	added, _ := moves(have, keys)
	if d := cmp.Diff([2]int{0, 0}, [2]int{removed, added}); d != "" {
		t.Errorf("moves for remove, add (-want +got):\n%s", d)
	}
}
