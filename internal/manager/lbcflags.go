package manager

import (
	"flag"
	"sort"
	"time"

	"github.com/spf13/pflag"
)

// LBCOnly holds the values of LBC's flags for features kelb does not have
// yet (Ingress, TargetGroupBinding, gateways, accelerators, ALB add-ons),
// and of LBC's webhook flags, which kelb honours. kelb accepts them with
// LBC's types and defaults, so that LBC's Deployment or Helm values start
// kelb unchanged, stores them for the work to come, and names those the
// user set at start-up that it does not act on yet (NotHonoured).
type LBCOnly struct {
	ServiceTargetENISGTags            map[string]string
	TargetGroupBindingMaxConcurrent   int
	TargetGroupBindingMaxBackoff      time.Duration
	TargetGroupBindingRequeue         time.Duration
	MaxTargetsPerTargetGroup          int
	LBStabilizationMonitorInterval    time.Duration
	EnableEndpointSlices              bool
	WebhookBindPort                   int
	WebhookCertDir                    string
	WebhookCertFile                   string
	WebhookKeyFile                    string
	KubeCAPemFilepath                 string
	EnablePodReadinessGateInject      bool
	QUICEnvironmentVariableName       string
	DisableIngressClassAnnotation     bool
	DisableIngressGroupNameAnnotation bool
	IngressMaxConcurrent              int
	TolerateNonExistentBackendService bool
	TolerateNonExistentBackendAction  bool
	AllowedCertificateAuthorityARNs   []string
	DefaultPCAARN                     string
	EnableACMCertificates             bool
	EnableWAF                         bool
	EnableWAFV2                       bool
	EnableShield                      bool
	ALBGatewayMaxConcurrent           int
	NLBGatewayMaxConcurrent           int
	GlobalAcceleratorMaxConcurrent    int
	GlobalAcceleratorMaxBackoff       time.Duration
}

// lbcBackoff is LBC's default longest wait between retries of a failing
// TargetGroupBinding or GlobalAccelerator (1000 s).
const lbcBackoff = 1000 * time.Second

func (l *LBCOnly) bind(fs *flag.FlagSet) {
	stringToString(fs, &l.ServiceTargetENISGTags, "service-target-eni-security-group-tags",
		"AWS tags, besides the cluster tag, of the security group of ip targets' ENIs that receives the rules (not yet used by kelb)")
	fs.IntVar(&l.TargetGroupBindingMaxConcurrent, "targetgroupbinding-max-concurrent-reconciles", 3,
		"TargetGroupBindings reconciled at once")
	fs.DurationVar(&l.TargetGroupBindingMaxBackoff, "targetgroupbinding-max-exponential-backoff-delay", lbcBackoff,
		"longest wait between retries of a failing TargetGroupBinding")
	fs.DurationVar(&l.TargetGroupBindingRequeue, "targetgroupbinding-requeue-duration", 15*time.Second,
		"wait before a TargetGroupBinding waiting for AWS is looked at again (not yet used by kelb)")
	fs.IntVar(&l.MaxTargetsPerTargetGroup, "max-targets-per-target-group", 0,
		"most targets registered in one target group; 0 is no limit (not yet used by kelb)")
	fs.DurationVar(&l.LBStabilizationMonitorInterval, "lb-stabilization-monitor-interval", 2*time.Minute,
		"LBC's period of reading a new load balancer until active (kelb follows provisioning load balancers itself)")
	fs.BoolVar(&l.EnableEndpointSlices, "enable-endpoint-slices", true,
		"read EndpointSlices rather than Endpoints (kelb always reads EndpointSlices)")
	fs.IntVar(&l.WebhookBindPort, "webhook-bind-port", 9443, "port of the webhook server")
	fs.StringVar(&l.WebhookCertDir, "webhook-cert-dir", "",
		"directory of the webhook server's certificate and key (default: /tmp/k8s-webhook-server/serving-certs); "+
			"without them there kelb makes its own")
	fs.StringVar(&l.WebhookCertFile, "webhook-cert-file", "", "the webhook server's certificate file name (default: tls.crt)")
	fs.StringVar(&l.WebhookKeyFile, "webhook-key-file", "", "the webhook server's key file name (default: tls.key)")
	fs.StringVar(&l.KubeCAPemFilepath, "kube-ca-pem-filepath", "",
		"CA that webhook callers' client certificates must be signed by (default: any caller)")
	fs.BoolVar(&l.EnablePodReadinessGateInject, "enable-pod-readiness-gate-inject", true,
		"inject target-health readiness gates into pods of labelled namespaces")
	fs.StringVar(&l.QUICEnvironmentVariableName, "quic-environment-variable-name", "AWS_LBC_QUIC_SERVER_ID",
		"environment variable carrying a pod's QUIC server id (not yet used by kelb)")
	fs.BoolVar(&l.DisableIngressClassAnnotation, "disable-ingress-class-annotation", false,
		"refuse new uses of the kubernetes.io/ingress.class annotation for kelb's class (with --enable-ingress; "+
			"an Ingress already served by it stays served)")
	fs.BoolVar(&l.DisableIngressGroupNameAnnotation, "disable-ingress-group-name-annotation", false,
		"refuse new uses of the alb.ingress.kubernetes.io/group.name annotation (an Ingress already in its group "+
			"stays; IngressClassParams groups are not refused)")
	fs.IntVar(&l.IngressMaxConcurrent, "ingress-max-concurrent-reconciles", 3, "Ingresses and Ingress groups reconciled at once")
	fs.BoolVar(&l.TolerateNonExistentBackendService, "tolerate-non-existent-backend-service", true,
		"allow rules whose backend Service does not exist (kelb refuses such an Ingress, as LBC with false)")
	fs.BoolVar(&l.TolerateNonExistentBackendAction, "tolerate-non-existent-backend-action", true,
		"allow rules whose backend action does not exist (kelb refuses such an Ingress, as LBC with false)")
	stringSlice(fs, &l.AllowedCertificateAuthorityARNs, "allowed-certificate-authority-arns", []string{},
		"CA ARNs certificate discovery may pick from; empty allows all")
	fs.StringVar(&l.DefaultPCAARN, "default-pca-arn", "", "private CA of certificates LBC creates in ACM (kelb creates none yet)")
	fs.BoolVar(&l.EnableACMCertificates, "enable-acm-certificates", false,
		"create ACM certificates for Ingresses (kelb creates none yet)")
	fs.BoolVar(&l.EnableWAF, "enable-waf", true, "manage classic WAF web ACLs of ALBs (waf-acl-id; false: the annotations are ignored and the association left alone, as LBC)")
	fs.BoolVar(&l.EnableWAFV2, "enable-wafv2", true, "manage WAFv2 web ACLs of ALBs (wafv2-acl-arn, wafv2-acl-name; false: the annotations are ignored and the association left alone, as LBC)")
	fs.BoolVar(&l.EnableShield, "enable-shield", true, "manage Shield Advanced protection of ALBs (shield-advanced-protection; false: the annotation is ignored and the protection left alone, as LBC)")
	fs.IntVar(&l.ALBGatewayMaxConcurrent, "alb-gateway-max-concurrent-reconciles", 3, "ALB Gateways reconciled at once (kelb serves no Gateway yet)")
	fs.IntVar(&l.NLBGatewayMaxConcurrent, "nlb-gateway-max-concurrent-reconciles", 3, "NLB Gateways reconciled at once (kelb serves no Gateway yet)")
	fs.IntVar(&l.GlobalAcceleratorMaxConcurrent, "globalaccelerator-max-concurrent-reconciles", 1,
		"GlobalAccelerators reconciled at once (kelb serves no GlobalAccelerator yet)")
	fs.DurationVar(&l.GlobalAcceleratorMaxBackoff, "globalaccelerator-max-exponential-backoff-delay", lbcBackoff,
		"longest wait between retries of a failing GlobalAccelerator (kelb serves no GlobalAccelerator yet)")
}

// notHonoured lists LBC's flags that kelb accepts but does not act on yet.
// A flag with a value here is honoured when set to exactly that value (kelb
// always does what it says).
var notHonoured = map[string]string{
	"service-target-eni-security-group-tags": "",
	"targetgroupbinding-requeue-duration":    "",
	"max-targets-per-target-group":           "",
	"lb-stabilization-monitor-interval":      "",
	"enable-endpoint-slices":                 "true",
	"quic-environment-variable-name":         "",
	// kelb refuses an Ingress whose backend Service or action is missing
	// (and retries), which is what LBC does with these set to false.
	"tolerate-non-existent-backend-service":           "false",
	"tolerate-non-existent-backend-action":            "false",
	"default-pca-arn":                                 "",
	"enable-acm-certificates":                         "",
	"alb-gateway-max-concurrent-reconciles":           "",
	"nlb-gateway-max-concurrent-reconciles":           "",
	"globalaccelerator-max-concurrent-reconciles":     "",
	"globalaccelerator-max-exponential-backoff-delay": "",
}

// NotHonoured returns, sorted, the flags among those the user set (name ->
// value as given) that kelb accepts but does not act on yet: kelb logs them
// in one line at start-up.
func NotHonoured(set map[string]string) []string {
	var out []string
	for name, value := range set {
		honouredValue, listed := notHonoured[name]
		if listed && (honouredValue == "" || value != honouredValue) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// stringToString binds a key=value,... map flag parsed exactly as LBC's flag
// library parses it (CSV; the first use replaces the default, later uses
// add keys).
func stringToString(fs *flag.FlagSet, p *map[string]string, name, usage string) {
	lbc := pflag.NewFlagSet("", pflag.ContinueOnError)
	lbc.StringToStringVar(p, name, nil, usage)
	fs.Var(lbc.Lookup(name).Value, name, usage)
}

// stringSlice binds a list flag parsed exactly as LBC's flag library parses
// it (CSV; the first use replaces the default, later uses append).
func stringSlice(fs *flag.FlagSet, p *[]string, name string, def []string, usage string) {
	lbc := pflag.NewFlagSet("", pflag.ContinueOnError)
	lbc.StringSliceVar(p, name, def, usage)
	fs.Var(lbc.Lookup(name).Value, name, usage)
}

// joinedList is a string flag that behaves like LBC's map and list flags
// when given more than once: the first use replaces the default, later uses
// are appended after a comma (a later key=value then wins). Options keep
// such values as the text given; their parsers read the joined text.
type joinedList struct {
	p    *string
	kind string // LBC's flag type: stringToString or stringSlice
	set  bool
}

func (j *joinedList) Set(v string) error {
	if j.set && *j.p != "" && v != "" {
		*j.p += "," + v
	} else if !j.set || v != "" {
		*j.p = v
	}
	j.set = true
	return nil
}

func (j *joinedList) String() string {
	if j == nil || j.p == nil {
		return ""
	}
	return *j.p
}

// Type is pflag's name for the value's type, shown in usage.
func (j *joinedList) Type() string { return j.kind }

func joined(fs *flag.FlagSet, p *string, kind, name, usage string) {
	fs.Var(&joinedList{p: p, kind: kind}, name, usage)
}
