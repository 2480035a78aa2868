package aws

import (
	"context"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	apiCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kelb_aws_api_calls_total",
		Help: "AWS API attempts by service, operation and outcome (success or the AWS error code).",
	}, []string{"service", "operation", "outcome"})
	apiDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kelb_aws_api_call_duration_seconds",
		Help:    "Duration of AWS API attempts.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"service", "operation"})
)

func init() { crmetrics.Registry.MustRegister(apiCalls, apiDuration) }

// addMetricsMiddleware records every attempt, after the throttler's wait.
func addMetricsMiddleware(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("kelbMetrics",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error) {
			svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			start := time.Now()
			out, md, err := next.HandleFinalize(ctx, in)
			apiDuration.WithLabelValues(svc, op).Observe(time.Since(start).Seconds())
			outcome := "success"
			if err != nil {
				outcome = ErrorCode(err)
			}
			apiCalls.WithLabelValues(svc, op, outcome).Inc()
			return out, md, err
		}), middleware.After)
}
