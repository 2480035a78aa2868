package aws

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

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

// ThrottleConfig is an ordered list of rules; the first match applies.
type ThrottleConfig []ThrottleRule

// DefaultThrottle keeps kelb well below the account-wide API rate limits that
// it shares with every other tool in the account.
const DefaultThrottle = "Elastic Load Balancing v2:RegisterTargets|DeregisterTargets=4:20," +
	"Elastic Load Balancing v2:.*=10:40,EC2:.*=20:60,Resource Groups Tagging API:.*=5:10"

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
	limiters []*rate.Limiter
}

func newThrottler(cfg ThrottleConfig) (*throttler, error) {
	defaults, err := ParseThrottle(DefaultThrottle)
	if err != nil {
		return nil, err
	}
	t := &throttler{rules: append(append(ThrottleConfig{}, cfg...), defaults...)}
	for _, r := range t.rules {
		t.limiters = append(t.limiters, rate.NewLimiter(rate.Limit(r.Rate), r.Burst))
	}
	return t, nil
}

func (t *throttler) limiter(service, operation string) *rate.Limiter {
	for i, r := range t.rules {
		if r.ServiceID == service && r.Operations.MatchString(operation) {
			return t.limiters[i]
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
