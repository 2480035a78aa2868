package awsproxy

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// FaultRule injects a fault into matching calls.
type FaultRule struct {
	Caller  string        `json:"caller,omitempty"`  // access key; "" matches every caller
	Service string        `json:"service,omitempty"` // "" matches every service
	Action  string        `json:"action,omitempty"`  // "" matches every action
	Rate    float64       `json:"rate"`              // fraction of matching calls, 0..1
	Code    string        `json:"code,omitempty"`    // error code to answer with; "" adds latency only
	Status  int           `json:"status,omitempty"`  // HTTP status for Code; default by code
	Latency time.Duration `json:"latency,omitempty"` // added before answering
	// Lost: the call reaches AWS and takes effect, then its answer is lost
	// and Code is returned instead (a time-out or a dropped connection).
	Lost bool `json:"lost,omitempty"`
}

// Well-known fault codes.
const (
	CodeThrottling           = "Throttling"           // ELBv2 and most query/JSON services
	CodeRequestLimitExceeded = "RequestLimitExceeded" // EC2
	CodeInternalError        = "InternalError"
	CodeServiceUnavailable   = "ServiceUnavailable"
)

// Faults holds the active fault rules; they can be changed at any time.
type Faults struct {
	mu    sync.Mutex
	rules []FaultRule
	rng   *rand.Rand
}

// NewFaults returns a fault injector with no rules and a fixed seed, so that
// a run with the same calls injects the same faults.
func NewFaults() *Faults { return &Faults{rng: rand.New(rand.NewPCG(1, 2))} }

// Set replaces every rule.
func (f *Faults) Set(rules ...FaultRule) {
	f.mu.Lock()
	f.rules = append([]FaultRule(nil), rules...)
	f.mu.Unlock()
}

// Rules returns the active rules.
func (f *Faults) Rules() []FaultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FaultRule(nil), f.rules...)
}

// Throttle is a rule set that throttles a fraction of the calls of caller
// ("" for all) with the code each service really uses.
func Throttle(caller string, rate float64) []FaultRule {
	return []FaultRule{
		{Caller: caller, Service: "ec2", Rate: rate, Code: CodeRequestLimitExceeded},
		{Caller: caller, Service: "elasticloadbalancing", Rate: rate, Code: CodeThrottling},
		{Caller: caller, Service: "tagging", Rate: rate, Code: CodeThrottling},
	}
}

func (f *Faults) pick(r *Request) (FaultRule, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rule := range f.rules {
		if (rule.Caller == "" || rule.Caller == r.Caller) && (rule.Service == "" || rule.Service == r.Service) && (rule.Action == "" || rule.Action == r.Action) &&
			f.rng.Float64() < rule.Rate {
			return rule, true
		}
	}
	return FaultRule{}, false
}

// Wrap implements Middleware.
func (f *Faults) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		rule, ok := f.pick(r)
		if !ok {
			return next(r)
		}
		if rule.Latency > 0 {
			time.Sleep(rule.Latency)
		}
		if rule.Code == "" {
			return next(r)
		}
		if rule.Lost {
			next(r)
		}
		status := rule.Status
		if status == 0 {
			status = defaultStatus(rule.Code)
		}
		return errorResponse(r, status, rule.Code, "injected by the test proxy")
	}
}

func defaultStatus(code string) int {
	switch code {
	case CodeInternalError:
		return http.StatusInternalServerError
	case CodeServiceUnavailable, CodeRequestLimitExceeded:
		return http.StatusServiceUnavailable
	case CodeThrottling:
		return http.StatusBadRequest
	}
	return http.StatusBadRequest
}
