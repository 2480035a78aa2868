package awsproxy

import (
	"net/http"
	"sync"
)

// Crash stands in for kill -9 of one caller in crash tests: once armed, it
// lets the caller's first n mutating calls through (they take effect in the
// emulator and are answered), then answers every further call of that
// caller with an error, so that nothing the "killed" process still runs can
// change AWS, until the test disarms it for the restarted process.
type Crash struct {
	mu      sync.Mutex
	caller  string
	left    int
	dead    bool
	crashed chan struct{}
}

// NewCrash returns a disarmed crash.
func NewCrash() *Crash { return &Crash{} }

// CodeCrashed is the error code a crashed caller's calls get.
const CodeCrashed = "KelbTestCrashed"

// Arm kills caller right after its n-th mutating call from now succeeds;
// the channel closes at that moment.
func (c *Crash) Arm(caller string, n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.caller, c.left, c.dead, c.crashed = caller, n, false, make(chan struct{})
	return c.crashed
}

// Disarm lets the caller through again (the process was restarted).
func (c *Crash) Disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.caller, c.dead = "", false
}

// Wrap implements Middleware.
func (c *Crash) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		c.mu.Lock()
		armed := c.caller != "" && r.Caller == c.caller
		dead := armed && c.dead
		c.mu.Unlock()
		if dead {
			return errorResponse(r, http.StatusBadRequest, CodeCrashed, "the calling process was killed by the test")
		}
		resp := next(r)
		if !armed || !(Call{Action: r.Action}).Mutating() || resp.Status != http.StatusOK {
			return resp
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.caller == r.Caller && !c.dead {
			if c.left--; c.left <= 0 {
				c.dead = true
				close(c.crashed)
			}
		}
		return resp
	}
}
