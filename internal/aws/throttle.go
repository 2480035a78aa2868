package aws

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// ThrottleRule limits the operations of one service matching a pattern.
type ThrottleRule struct {
	ServiceID  string // SDK service id, e.g. "Elastic Load Balancing v2", "EC2"
	Operations *regexp.Regexp
	Rate       float64 // calls per second
	Burst      int
}

// ThrottleConfig is an ordered list of rules; the first match applies. Like
// AWS's own token buckets, each operation a rule matches gets a bucket of
// its own: CreateListener calls do not wait for RegisterTargets calls.
type ThrottleConfig []ThrottleRule

// DefaultThrottle follows the sizes of AWS's per-account buckets (ELBv2:
// 40 tokens refilled at 10 a second), so that kelb waits on its side
// instead of being throttled, and retried, by AWS.
const DefaultThrottle = "Elastic Load Balancing v2:.*=10:40," +
	"EC2:Describe.*=20:100,EC2:.*=5:200,Resource Groups Tagging API:.*=5:10,ACM:.*=10:10,IAM:.*=5:10"

// ParseThrottle parses --aws-api-throttle, LBC's format:
// "serviceID:operationRegex=rate:burst,...". Rules given by the user come
// before the defaults, so they win.
func ParseThrottle(s string) (ThrottleConfig, error) {
	var out ThrottleConfig
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lhs, rhs, ok := strings.Cut(part, "=")
		svc, ops, ok2 := strings.Cut(lhs, ":")
		r, b, ok3 := strings.Cut(rhs, ":")
		if !ok || !ok2 || !ok3 {
			return nil, fmt.Errorf("--aws-api-throttle: %q is not serviceID:operationRegex=rate:burst", part)
		}
		re, err := regexp.Compile("^(?:" + ops + ")$")
		if err != nil {
			return nil, fmt.Errorf("--aws-api-throttle: %q: %w", part, err)
		}
		rf, err1 := strconv.ParseFloat(r, 64)
		bi, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || rf <= 0 || bi <= 0 {
			return nil, fmt.Errorf("--aws-api-throttle: %q: rate and burst must be positive numbers", part)
		}
		out = append(out, ThrottleRule{ServiceID: svc, Operations: re, Rate: rf, Burst: bi})
	}
	return out, nil
}

type throttler struct {
	rules    ThrottleConfig
	limiters sync.Map // "rule index/operation" -> *rate.Limiter
}

func newThrottler(cfg ThrottleConfig) (*throttler, error) {
	defaults, err := ParseThrottle(DefaultThrottle)
	if err != nil {
		return nil, err
	}
	return &throttler{rules: append(append(ThrottleConfig{}, cfg...), defaults...)}, nil
}

func (t *throttler) limiter(service, operation string) *rate.Limiter {
	for i, r := range t.rules {
		if r.ServiceID == service && r.Operations.MatchString(operation) {
			key := strconv.Itoa(i) + "/" + operation
			if l, ok := t.limiters.Load(key); ok {
				return l.(*rate.Limiter)
			}
			l, _ := t.limiters.LoadOrStore(key, rate.NewLimiter(rate.Limit(r.Rate), r.Burst))
			return l.(*rate.Limiter)
		}
	}
	return nil
}

// addMiddleware waits for a token before every attempt (retries included).
func (t *throttler) addMiddleware(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("kelbThrottle",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error) {
			l := t.limiter(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			if l != nil {
				if err := l.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}
