package conditions

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestRetryBackoff(t *testing.T) {
	type step struct {
		after   time.Duration // since the previous step
		key     string
		version string
		reset   bool // Reset(key) instead of Next
	}
	tests := []struct {
		name  string
		steps []step
		want  []time.Duration // the wait each Next returned
	}{
		{"doubles up to the cap", []step{{0, "a", "v1", false}, {10 * time.Second, "a", "v1", false},
			{20 * time.Second, "a", "v1", false}, {40 * time.Second, "a", "v1", false}, {80 * time.Second, "a", "v1", false},
			{160 * time.Second, "a", "v1", false}, {5 * time.Minute, "a", "v1", false}},
			[]time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second,
				5 * time.Minute, 5 * time.Minute}},
		{"an early failure keeps the schedule", []step{{0, "a", "v1", false}, {3 * time.Second, "a", "v1", false},
			{7 * time.Second, "a", "v1", false}},
			[]time.Duration{10 * time.Second, 7 * time.Second, 20 * time.Second}},
		{"a change starts over", []step{{0, "a", "v1", false}, {10 * time.Second, "a", "v1", false},
			{time.Second, "a", "v2", false}, {10 * time.Second, "a", "v2", false}},
			[]time.Duration{10 * time.Second, 20 * time.Second, 10 * time.Second, 20 * time.Second}},
		{"converging starts over", []step{{0, "a", "v1", false}, {10 * time.Second, "a", "v1", false},
			{time.Second, "a", "", true}, {time.Second, "a", "v1", false}},
			[]time.Duration{10 * time.Second, 20 * time.Second, 10 * time.Second}},
		{"Services wait apart", []step{{0, "a", "v1", false}, {5 * time.Second, "b", "v1", false},
			{5 * time.Second, "a", "v1", false}, {0, "b", "v1", false}},
			[]time.Duration{10 * time.Second, 10 * time.Second, 20 * time.Second, 5 * time.Second}},
		{"a wait long over is forgotten", []step{{0, "a", "v1", false}, {0, "b", "v1", false},
			{2*RetryMaxWait + time.Second, "b", "v1", false}, {0, "a", "v1", false}},
			[]time.Duration{10 * time.Second, 10 * time.Second, 20 * time.Second, 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clk := clocktesting.NewFakeClock(start)
			b := NewBackoff(clk)
			var got []time.Duration
			for _, s := range tt.steps {
				clk.Step(s.after)
				if s.reset {
					b.Reset(s.key)
					continue
				}
				wait, at := b.Next(s.key, s.version)
				if !at.Equal(clk.Now().Add(wait)) {
					t.Errorf("retry at %s, want now + %s", at, wait)
				}
				got = append(got, wait)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}
