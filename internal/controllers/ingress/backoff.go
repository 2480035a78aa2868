package ingress

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Waits of an Ingress whose failure the outside world may fix: the first,
// doubling up to the cap (the Service controller's).
const (
	RetryFirstWait = 10 * time.Second
	RetryMaxWait   = 5 * time.Minute
)

// retryBackoff hands out the waits before each retry of an Ingress that
// waits on the outside world. An Ingress that changed since its last wait
// starts over, and so does one that converged (Reset). Safe for concurrent
// use.
type retryBackoff struct {
	clock clock.PassiveClock

	mu    sync.Mutex
	waits map[string]lastWait
}

type lastWait struct {
	version string // the Ingress's content when the wait was handed out
	wait    time.Duration
	at      time.Time
}

func newRetryBackoff(clk clock.PassiveClock) *retryBackoff {
	return &retryBackoff{clock: clk, waits: map[string]lastWait{}}
}

// Next returns the wait before the next retry of key, whose object is now
// at version. A failure before the retry is due keeps the schedule.
func (b *retryBackoff) Next(key, version string) time.Duration {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	wait := RetryFirstWait
	if last, ok := b.waits[key]; ok && last.version == version {
		if due := last.at.Add(last.wait); now.Before(due) {
			return due.Sub(now)
		}
		wait = min(2*last.wait, RetryMaxWait)
	}
	b.waits[key] = lastWait{version: version, wait: wait, at: now}
	for k, w := range b.waits { // objects deleted while waiting
		if now.Sub(w.at) > 2*RetryMaxWait {
			delete(b.waits, k)
		}
	}
	return wait
}

// Reset makes the next wait of key the first again.
func (b *retryBackoff) Reset(key string) {
	b.mu.Lock()
	delete(b.waits, key)
	b.mu.Unlock()
}
