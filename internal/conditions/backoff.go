package conditions

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Waits of an object whose failure the outside world may fix (a certificate
// issued, a subnet created, a quota raised): the first, doubling up to the
// cap. Every controller retries such failures on these waits.
const (
	RetryFirstWait = 10 * time.Second
	RetryMaxWait   = 5 * time.Minute
)

// Backoff hands out the waits before each retry of an object that waits
// on the outside world: RetryFirstWait, doubling to RetryMaxWait. An object
// that changed since its last wait starts over, and so does one that
// converged (Reset). It is safe for concurrent use.
type Backoff struct {
	clock clock.PassiveClock

	mu    sync.Mutex
	waits map[string]lastWait
}

type lastWait struct {
	version string // what the object was when the wait was handed out
	wait    time.Duration
	at      time.Time
}

// NewBackoff returns a Backoff on the clock.
func NewBackoff(clk clock.PassiveClock) *Backoff {
	return &Backoff{clock: clk, waits: map[string]lastWait{}}
}

// Next returns the wait before the next retry of key, whose object is now
// at version, and the time of that retry. A failure before the retry is
// due (another event reconciled the object early) keeps the schedule.
func (b *Backoff) Next(key, version string) (time.Duration, time.Time) {
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
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	delete(b.waits, key)
	b.mu.Unlock()
}

// forgetOld drops waits long over, of objects deleted while waiting: a
// waiting object is retried at most RetryMaxWait after its last wait.
func (b *Backoff) forgetOld(now time.Time) {
	for key, w := range b.waits {
		if now.Sub(w.at) > 2*RetryMaxWait {
			delete(b.waits, key)
		}
	}
}
