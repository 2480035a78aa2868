// Package aws is the one place that builds AWS SDK clients for kelb: region,
// endpoint overrides, retries with backoff, client-side throttling and call
// metrics. It also classifies AWS error codes (errors.go).
package aws

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	"github.com/aws/smithy-go/middleware"
)

// Config says how to reach AWS.
type Config struct {
	// Region: when empty, AWS_DEFAULT_REGION, then the SDK's own (AWS_REGION,
	// the shared config profile), then the instance metadata, as LBC does.
	Region string
	// Endpoints overrides service endpoints, keyed by SDK service id (EC2,
	// Elastic Load Balancing v2, Resource Groups Tagging API, ACM, IAM; see
	// ParseEndpoints). A service without override keeps the SDK's endpoint
	// resolution: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the shared
	// config files' endpoint_url, then AWS itself.
	Endpoints map[string]string
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// Throttle is the client-side rate limit per service and operation.
	Throttle ThrottleConfig
	// Credentials, when set, replaces the default credential chain.
	Credentials aws.CredentialsProvider
	// APIOptions are added to every client's middleware before kelb's own
	// (a dry run's recorder: DryRun.Middleware).
	APIOptions []func(*middleware.Stack) error
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
	// WAFv2, WAFRegional (classic WAF for load balancers) and Shield serve
	// the add-ons of application load balancers.
	WAFv2       *wafv2.Client
	WAFRegional *wafregional.Client
	Shield      *shield.Client
	// Region the clients call.
	Region string

	denied *deniedReporter
}

// NewClients builds every client from cfg.
func NewClients(ctx context.Context, cfg Config) (*Clients, error) {
	region := cfg.Region
	if region == "" {
		// LBC reads AWS_DEFAULT_REGION before AWS_REGION; the SDK reads
		// only the latter.
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
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
	if awsCfg.Region == "" {
		if awsCfg.Region, err = metadataRegion(ctx, awsCfg); err != nil {
			return nil, fmt.Errorf("no AWS region: set --aws-region, AWS_REGION or AWS_DEFAULT_REGION "+
				"(the instance metadata did not answer: %w)", err)
		}
	}
	limiter, err := newThrottler(cfg.Throttle)
	if err != nil {
		return nil, err
	}
	awsCfg.APIOptions = append(awsCfg.APIOptions, cfg.APIOptions...)
	denied := &deniedReporter{}
	awsCfg.APIOptions = append(awsCfg.APIOptions, limiter.addMiddleware, addMetricsMiddleware, denied.addMiddleware)
	ep := func(service string) *string {
		if u, ok := cfg.Endpoints[service]; ok {
			return aws.String(u)
		}
		return nil
	}
	return &Clients{Region: awsCfg.Region, denied: denied,
		EC2: ec2.NewFromConfig(awsCfg, func(o *ec2.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(ec2.ServiceID))
		}),
		ELBV2: elbv2.NewFromConfig(awsCfg, func(o *elbv2.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(elbv2.ServiceID))
		}),
		Tagging: tagging.NewFromConfig(awsCfg, func(o *tagging.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(tagging.ServiceID))
		}),
		ACM: acm.NewFromConfig(awsCfg, func(o *acm.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(acm.ServiceID))
		}),
		IAM: iam.NewFromConfig(awsCfg, func(o *iam.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(iam.ServiceID))
		}),
		WAFv2: wafv2.NewFromConfig(awsCfg, func(o *wafv2.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(wafv2.ServiceID))
		}),
		WAFRegional: wafregional.NewFromConfig(awsCfg, func(o *wafregional.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(wafregional.ServiceID))
		}),
		Shield: shield.NewFromConfig(awsCfg, func(o *shield.Options) {
			overrideEndpoint(&o.BaseEndpoint, ep(shield.ServiceID))
		}),
	}, nil
}

// metadataRegion asks the instance metadata service for the region, as LBC
// does when nothing else names one; a few seconds at most off EC2.
func metadataRegion(ctx context.Context, cfg aws.Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := imds.NewFromConfig(cfg).GetRegion(ctx, &imds.GetRegionInput{})
	if err != nil {
		return "", err
	}
	return out.Region, nil
}

// overrideEndpoint replaces the endpoint the SDK resolved (from the
// environment or the shared config) only when the flag names one: the flag
// wins, and no flag leaves the SDK's choice in place.
func overrideEndpoint(base **string, flag *string) {
	if flag != nil {
		*base = flag
	}
}
