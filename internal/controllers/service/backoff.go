package service

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Waits of a Service whose failure the outside world may fix (a certificate
// issued, a subnet created, a quota raised): the first, doubling up to the
// cap.
const (
	RetryFirstWait = 10 * time.Second
	RetryMaxWait   = 5 * time.Minute
)

// retryBackoff hands out the waits before each retry of a Service that
// waits on the outside world: RetryFirstWait, doubling to RetryMaxWait. A
// Service that changed since its last wait starts over, and so does one
// that converged (Reset). It is safe for concurrent use.
type retryBackoff struct {
	clock clock.PassiveClock

	mu    sync.Mutex
	waits map[string]lastWait
}

type lastWait struct {
	version string // what the object was when the wait was handed out
	wait    time.Duration
	at      time.Time
}

func newRetryBackoff(clk clock.PassiveClock) *retryBackoff {
	return &retryBackoff{clock: clk, waits: map[string]lastWait{}}
}

// Next returns the wait before the next retry of key, whose object is now
// at version, and the time of that retry. A failure before the retry is
// due (another event reconciled the object early) keeps the schedule.
func (b *retryBackoff) Next(key, version string) (time.Duration, time.Time) {
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	wait := RetryFirstWait
	if last, ok := b.waits[key]; ok && last.version == version {
		if due := last.at.Add(last.wait); now.Before(due) {
			return due.Sub(now), due
		}
		wait = min(2*last.wait, RetryMaxWait)
	}
	b.waits[key] = lastWait{version: version, wait: wait, at: now}
	b.forgetOld(now)
	return wait, now.Add(wait)
}

// Reset makes the next wait of key the first again.
func (b *retryBackoff) Reset(key string) {
	b.mu.Lock()
	delete(b.waits, key)
	b.mu.Unlock()
}

// forgetOld drops waits long over, of objects deleted while waiting: a
// waiting object is retried at most RetryMaxWait after its last wait.
func (b *retryBackoff) forgetOld(now time.Time) {
	for key, w := range b.waits {
		if now.Sub(w.at) > 2*RetryMaxWait {
			delete(b.waits, key)
		}
	}
}
