// Package aws is the one place that builds AWS SDK clients for kelb: region,
// endpoint overrides, retries with backoff, client-side throttling and call
// metrics. It also classifies AWS error codes (errors.go).
package aws

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
)

// Config says how to reach AWS.
type Config struct {
	Region string
	// Endpoints overrides service endpoints, keyed by signing name
	// (ec2, elasticloadbalancing, tagging, acm, iam); key "*" applies to
	// every service.
	Endpoints map[string]string
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// Throttle is the client-side rate limit per service and operation.
	Throttle ThrottleConfig
	// Credentials, when set, replaces the default credential chain.
	Credentials aws.CredentialsProvider
}

// Clients holds the SDK clients kelb uses. Consumers take the narrow
// interfaces they define, not this struct's fields' concrete types.
type Clients struct {
	EC2     *ec2.Client
	ELBV2   *elbv2.Client
	Tagging *tagging.Client
	// ACM and IAM are read for the certificates of TLS listeners.
	ACM *acm.Client
	IAM *iam.Client
	// Region the clients call.
	Region string
}

// NewClients builds every client from cfg.
func NewClients(ctx context.Context, cfg Config) (*Clients, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = cfg.MaxRetries + 1
				o.MaxBackoff = 20 * time.Second
				// The controller requeues with its own backoff; a shared retry
				// quota would turn a burst of throttling into hard failures.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	limiter, err := newThrottler(cfg.Throttle)
	if err != nil {
		return nil, err
	}
	awsCfg.APIOptions = append(awsCfg.APIOptions, limiter.addMiddleware, addMetricsMiddleware)
	return &Clients{Region: awsCfg.Region,
		EC2: ec2.NewFromConfig(awsCfg, func(o *ec2.Options) {
			o.BaseEndpoint = endpoint(cfg.Endpoints, "ec2")
		}),
		ELBV2: elbv2.NewFromConfig(awsCfg, func(o *elbv2.Options) {
			o.BaseEndpoint = endpoint(cfg.Endpoints, "elasticloadbalancing")
		}),
		Tagging: tagging.NewFromConfig(awsCfg, func(o *tagging.Options) {
			o.BaseEndpoint = endpoint(cfg.Endpoints, "tagging")
		}),
		ACM: acm.NewFromConfig(awsCfg, func(o *acm.Options) {
			o.BaseEndpoint = endpoint(cfg.Endpoints, "acm")
		}),
		IAM: iam.NewFromConfig(awsCfg, func(o *iam.Options) {
			o.BaseEndpoint = endpoint(cfg.Endpoints, "iam")
		}),
	}, nil
}

func endpoint(endpoints map[string]string, service string) *string {
	if e, ok := endpoints[service]; ok {
		return aws.String(e)
	}
	if e, ok := endpoints["*"]; ok {
		return aws.String(e)
	}
	return nil
}

// ParseEndpoints parses --aws-api-endpoints: "service=url,service=url" (LBC's
// format, service by signing name), or a single URL for every service.
func ParseEndpoints(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	if !strings.Contains(s, "=") {
		out["*"] = s
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--aws-api-endpoints: %q is not service=url", kv)
		}
		out[k] = v
	}
	return out, nil
}
