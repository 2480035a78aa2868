// Package manager wires kelb together: options, AWS clients, providers,
// deployer and controllers, run by a controller-runtime manager.
package manager

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/controllers/sweeper"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

// Options are kelb's settings; flag names and defaults are LBC's where LBC
// has the setting.
type Options struct {
	ClusterName             string
	AWSRegion               string
	AWSVPCID                string
	AWSAPIEndpoints         string
	AWSMaxRetries           int
	AWSAPIThrottle          string
	EnableBackendSG         bool
	BackendSG               string
	ManageBackendSGRules    bool
	DisableRestrictedRules  bool
	SyncPeriod              time.Duration
	ServiceMaxConcurrent    int
	LoadBalancerClass       string
	DefaultTags             string
	ExternalManagedTags     string
	DefaultTargetType       string
	DefaultSSLPolicy        string
	WatchNamespace          string
	EnableLeaderElection    bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	MetricsBindAddr         string
	HealthProbeBindAddr     string
	FeatureGates            FeatureGates
	DefaultScheme           string
	DriftPeriod             time.Duration
	OrphanSweep             string
	OrphanSweepInterval     time.Duration
	OrphanGracePeriod       time.Duration
	DeletionPolicy          string
	// VPCEndpointPollInterval: how often transitional VPC endpoints are read.
	VPCEndpointPollInterval  time.Duration
	VPCEndpointMaxConcurrent int
	// LogLevel is LBC's --log-level: info or debug (kelb's V(1) lines);
	// another value means info, as in LBC.
	LogLevel string
	// IngressClass is LBC's --ingress-class: the legacy class annotation of
	// LBC's Ingresses, whose node rules kelb keeps (and which it will serve).
	IngressClass string
	// AWSVPCTags and AWSVPCTagKey find the VPC by its tag when --aws-vpc-id
	// is not given (LBC reads only the tag named by AWSVPCTagKey).
	AWSVPCTags                  map[string]string
	AWSVPCTagKey                string
	LeaderElectionLeaseDuration time.Duration
	// EnableWebhook serves the pod readiness gate webhook on
	// --webhook-bind-port; the Webhook* names say where its certificate
	// and configuration are when kelb makes its own certificate.
	EnableWebhook           bool
	WebhookServiceName      string
	WebhookServiceNamespace string
	WebhookSecretName       string
	WebhookConfigName       string
	WebhookExtraNames       []string
	// LBC holds LBC's flags for features kelb does not have yet.
	LBC LBCOnly
	// EnableIngress runs the Ingress controller (on by default, as LBC
	// always serves Ingresses). kelb's own flag: false leaves the Ingresses
	// of --ingress-class, and their load balancers, to another controller
	// (LBC beside a kelb that serves Services only).
	EnableIngress bool
}

// DefaultDriftPeriod: a converged Service is compared with AWS every 10
// minutes. That finds drift within 10 minutes at about 12 read calls per
// Service per hour (listeners and targets per Service, the rest in bulk).
const DefaultDriftPeriod = 10 * time.Minute

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.ClusterName, "cluster-name", "", "Kubernetes cluster name (required); tags every AWS resource")
	fs.StringVar(&o.AWSRegion, "aws-region", "", "AWS region (default: the AWS SDK's, e.g. AWS_REGION)")
	fs.StringVar(&o.AWSVPCID, "aws-vpc-id", "", "VPC of the cluster (default: the VPC of the nodes' instances)")
	joined(fs, &o.AWSAPIEndpoints, "stringToString", "aws-api-endpoints",
		"AWS API endpoints: serviceID=URL,... with the SDK's service ids (EC2, Elastic Load Balancing v2, "+
			"Resource Groups Tagging API, ACM, IAM); without, the SDK's AWS_ENDPOINT_URL[_<SERVICE>] and shared config apply")
	stringToString(fs, &o.AWSVPCTags, "aws-vpc-tags",
		"find the VPC by tag when --aws-vpc-id is not given: key=value,... (the tag named by --aws-vpc-tag-key is read)")
	fs.StringVar(&o.AWSVPCTagKey, "aws-vpc-tag-key", "Name", "the key in --aws-vpc-tags that finds the VPC")
	fs.IntVar(&o.AWSMaxRetries, "aws-max-retries", 10, "maximum retries of one AWS call")
	fs.StringVar(&o.AWSAPIThrottle, "aws-api-throttle", "",
		"client-side AWS rate limits: serviceID:operationRegex=rate:burst,... (before kelb's defaults)")
	fs.BoolVar(&o.EnableBackendSG, "enable-backend-security-group", true, "use a shared backend security group")
	fs.StringVar(&o.BackendSG, "backend-security-group", "", "your own backend security group instead of the managed one")
	fs.BoolVar(&o.ManageBackendSGRules, "enable-manage-backend-security-group-rules", false,
		"manage node rules for objects with their own frontend security groups and no "+
			"manage-backend-security-group-rules annotation (the annotation wins)")
	fs.BoolVar(&o.DisableRestrictedRules, "disable-restricted-sg-rules", false,
		"allow all traffic from the backend security group to the nodes instead of only the ports in use")
	fs.DurationVar(&o.SyncPeriod, "sync-period", 10*time.Hour, "period of the Kubernetes informers' full resync")
	fs.IntVar(&o.ServiceMaxConcurrent, "service-max-concurrent-reconciles", 3, "Services reconciled at once")
	fs.StringVar(&o.LoadBalancerClass, "load-balancer-class", service.DefaultLoadBalancerClass,
		"spec.loadBalancerClass of the Services kelb serves")
	joined(fs, &o.DefaultTags, "stringToString", "default-tags", "tags on every AWS resource: key=value,...")
	joined(fs, &o.ExternalManagedTags, "stringSlice", "external-managed-tags",
		"tag keys managed outside kelb: never set or removed by kelb, refused in annotations: key,...")
	fs.StringVar(&o.DefaultTargetType, "default-target-type", "instance", "target type without annotation: instance or ip")
	fs.StringVar(&o.DefaultSSLPolicy, "default-ssl-policy", "ELBSecurityPolicy-2016-08", "TLS listeners' default policy")
	fs.StringVar(&o.WatchNamespace, "watch-namespace", "", "only serve Services in this namespace (default: all)")
	fs.BoolVar(&o.EnableLeaderElection, "enable-leader-election", true, "elect a leader among replicas (Lease)")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "kelb-leader", "name of the leader-election Lease")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the Lease (default: kelb's)")
	fs.DurationVar(&o.LeaderElectionLeaseDuration, "leader-election-lease-duration", 0,
		"how long other replicas wait for a leader that stopped renewing before taking over; 0 is controller-runtime's 15s")
	fs.StringVar(&o.MetricsBindAddr, "metrics-bind-addr", ":8080", "address of the Prometheus metrics endpoint; 0 disables")
	fs.StringVar(&o.HealthProbeBindAddr, "health-probe-bind-addr", ":61779", "address of /healthz and /readyz")
	fs.Var(&o.FeatureGates, "feature-gates", "LBC's feature gates: Name=true|false,... (featuregates.go lists them)")
	fs.StringVar(&o.DefaultScheme, "default-load-balancer-scheme", service.SchemeInternal,
		"scheme of a load balancer whose Service names none: internal or internet-facing")
	fs.DurationVar(&o.DriftPeriod, "drift-period", DefaultDriftPeriod,
		"how often each Service's AWS resources are compared with what kelb wants")
	fs.StringVar(&o.OrphanSweep, "orphan-sweep", sweeper.ModeDelete,
		"what to do with AWS resources whose Service (or, with --enable-ingress, Ingress) is gone: delete, report or off")
	fs.DurationVar(&o.OrphanSweepInterval, "orphan-sweep-interval", 5*time.Minute, "how often to look for orphans")
	fs.DurationVar(&o.OrphanGracePeriod, "orphan-grace-period", 10*time.Minute,
		"how long an orphan is left alone after it is first seen")
	fs.StringVar(&o.DeletionPolicy, "deletion-policy", "delete",
		"what deleting a VPCEndpoint does to its AWS endpoint by default: delete or retain "+
			"(the Namespace annotation ec2.services.k8s.aws/deletion-policy and the object's "+
			"services.k8s.aws/deletion-policy win)")
	fs.DurationVar(&o.VPCEndpointPollInterval, "vpc-endpoint-poll-interval", 2*time.Second,
		"how often VPC endpoints in a transitional state are read (one batched call for all of them)")
	fs.IntVar(&o.VPCEndpointMaxConcurrent, "vpc-endpoint-max-concurrent-reconciles", 3, "VPCEndpoints reconciled at once")
	fs.StringVar(&o.LogLevel, "log-level", "info", "info or debug")
	fs.StringVar(&o.IngressClass, "ingress-class", "alb",
		"legacy kubernetes.io/ingress.class value of LBC's Ingresses, whose node rules kelb keeps")
	fs.BoolVar(&o.EnableWebhook, "enable-webhook", true,
		"serve the pod readiness gate webhook (LBC's /mutate-v1-pod) on --webhook-bind-port")
	fs.StringVar(&o.WebhookServiceName, "webhook-service-name", DefaultWebhookServiceName,
		"the webhook's Service, named in the certificate kelb makes when --webhook-cert-dir holds none")
	fs.StringVar(&o.WebhookServiceNamespace, "webhook-service-namespace", "",
		"namespace of the webhook's Service and certificate Secret (default: --leader-election-namespace, POD_NAMESPACE, kube-system)")
	fs.StringVar(&o.WebhookSecretName, "webhook-secret-name", DefaultWebhookSecretName,
		"Secret where kelb keeps the certificate it makes, shared by replicas (only a Secret kelb made is ever changed)")
	fs.StringVar(&o.WebhookConfigName, "webhook-config-name", DefaultWebhookConfigName,
		"kelb's MutatingWebhookConfiguration, whose caBundle kelb keeps when it makes its own certificate")
	stringSlice(fs, &o.WebhookExtraNames, "webhook-extra-names", []string{},
		"more DNS names or IP addresses for the certificate kelb makes (a webhook reached by URL)")
	fs.BoolVar(&o.EnableIngress, "enable-ingress", true,
		"serve Ingresses of --ingress-class as application load balancers; false leaves them, and their load balancers, "+
			"to another controller")
	o.LBC.bind(fs)
}

// Debug reports whether --log-level asks for debug lines; unknown values
// mean info, as in LBC.
func (o *Options) Debug() bool { return o.LogLevel == "debug" }

// Validate checks the options and returns every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.ClusterName == "" {
		errs = append(errs, errors.New("--cluster-name is required"))
	} else if err := validClusterName(o.ClusterName); err != nil {
		errs = append(errs, err)
	}
	switch o.DefaultTargetType {
	case service.TargetInstance, service.TargetIP:
	default:
		errs = append(errs, fmt.Errorf("--default-target-type: %q; allowed: instance, ip", o.DefaultTargetType))
	}
	switch o.DefaultScheme {
	case "", service.SchemeInternal, service.SchemeInternetFacing:
	default:
		errs = append(errs, fmt.Errorf("--default-load-balancer-scheme: %q; allowed: internal, internet-facing",
			o.DefaultScheme))
	}
	if err := o.FeatureGates.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch o.OrphanSweep {
	case sweeper.ModeDelete, sweeper.ModeReport, sweeper.ModeOff:
	default:
		errs = append(errs, fmt.Errorf("--orphan-sweep: %q; allowed: delete, report, off", o.OrphanSweep))
	}
	switch o.DeletionPolicy {
	case "", "delete", "retain":
	default:
		errs = append(errs, fmt.Errorf("--deletion-policy: %q; allowed: delete, retain", o.DeletionPolicy))
	}
	if o.OrphanSweepInterval <= 0 {
		errs = append(errs, fmt.Errorf("--orphan-sweep-interval: %s; must be more than 0", o.OrphanSweepInterval))
	}
	if o.OrphanGracePeriod < 0 {
		errs = append(errs, fmt.Errorf("--orphan-grace-period: %s; must not be negative", o.OrphanGracePeriod))
	}
	if o.DriftPeriod < time.Second {
		errs = append(errs, fmt.Errorf("--drift-period: %s is too short", o.DriftPeriod))
	}
	if defaults, err := parseTags(o.DefaultTags); err != nil {
		errs = append(errs, err)
	} else {
		for k := range o.externalManagedTags() {
			if _, ok := defaults[k]; ok {
				errs = append(errs, fmt.Errorf("--default-tags: key %q is in --external-managed-tags", k))
			}
		}
		// As LBC: no tracking key (of any kind of stack, or kelb's identity).
		for _, k := range model.TrackingKeys() {
			if _, ok := defaults[k]; ok {
				errs = append(errs, fmt.Errorf("--default-tags: tag key %s cannot be specified in default-tags flag", k))
			}
		}
	}
	if err := o.securityGroupFlags().Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := awsclient.ParseEndpoints(o.AWSAPIEndpoints); err != nil {
		errs = append(errs, err)
	}
	if _, ok := o.AWSVPCTags[o.AWSVPCTagKey]; o.AWSVPCID == "" && len(o.AWSVPCTags) > 0 && !ok {
		errs = append(errs, fmt.Errorf("--aws-vpc-tags: no key %q, the key --aws-vpc-tag-key names", o.AWSVPCTagKey))
	}
	return errors.Join(errs...)
}

// tagValueChars are the characters AWS accepts in a tag value (ELBv2 and
// EC2 alike): letters, separators, digits and _ . : / = + - @. The length
// is counted apart: a bounded repeat ({1,256}) of these Unicode classes
// compiles into 5 MB that the process would hold for as long as it runs.
var tagValueChars = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)

// isTagValue: 1 to 256 characters AWS accepts in a tag value.
func isTagValue(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= 256 && tagValueChars.MatchString(s)
}

// validClusterName checks the cluster name as the value of the cluster tag
// on every resource, and of the tag filters that find them: EC2 filters
// read * and ? as wildcards, so such a name would match other clusters'.
func validClusterName(name string) error {
	switch {
	case strings.ContainsAny(name, "*?"):
		return fmt.Errorf("--cluster-name: %q contains * or ?, which AWS tag filters read as wildcards "+
			"matching other clusters' names", name)
	case !isTagValue(name):
		return fmt.Errorf("--cluster-name: %q is not a valid AWS tag value: at most 256 letters, digits, spaces "+
			"and _ . : / = + - @", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("--cluster-name: %q starts or ends with a space", name)
	case strings.HasPrefix(strings.ToLower(name), "aws:"):
		return fmt.Errorf("--cluster-name: %q starts with aws:, which AWS reserves", name)
	}
	return nil
}

func parseTags(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--default-tags: %q is not key=value", kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

// externalManagedTags returns the keys of --external-managed-tags.
func (o *Options) externalManagedTags() map[string]bool {
	out := map[string]bool{}
	for _, k := range strings.Split(o.ExternalManagedTags, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out[k] = true
		}
	}
	return out
}

func (o *Options) securityGroupFlags() sgpolicy.Flags {
	return sgpolicy.Flags{EnableBackendSG: o.EnableBackendSG, ManageBackendRules: o.ManageBackendSGRules}
}
