package manager

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lbcFlag is one flag of LBC v3.5 as its code defines it (pkg/config
// controller, runtime, ingress, addons, service and feature configs,
// pkg/aws cloud config, pkg/inject pod readiness and QUIC configs): name,
// pflag type and default as pflag prints it ("" for an empty map or list).
type lbcFlag struct{ name, typ, def string }

var lbcFlags = []lbcFlag{
	// controller config
	{"log-level", "string", "info"},
	{"cluster-name", "string", ""},
	{"default-tags", "stringToString", ""},
	{"default-target-type", "string", "instance"},
	{"external-managed-tags", "stringSlice", ""},
	{"service-target-eni-security-group-tags", "stringToString", ""},
	{"service-max-concurrent-reconciles", "int", "3"},
	{"targetgroupbinding-max-concurrent-reconciles", "int", "3"},
	{"targetgroupbinding-max-exponential-backoff-delay", "duration", "16m40s"},
	{"targetgroupbinding-requeue-duration", "duration", "15s"},
	{"default-ssl-policy", "string", "ELBSecurityPolicy-2016-08"},
	{"enable-backend-security-group", "bool", "true"},
	{"backend-security-group", "string", ""},
	{"enable-manage-backend-security-group-rules", "bool", "false"},
	{"enable-endpoint-slices", "bool", "true"},
	{"disable-restricted-sg-rules", "bool", "false"},
	{"max-targets-per-target-group", "int", "0"},
	{"lb-stabilization-monitor-interval", "duration", "2m0s"},
	{"alb-gateway-max-concurrent-reconciles", "int", "3"},
	{"nlb-gateway-max-concurrent-reconciles", "int", "3"},
	{"globalaccelerator-max-concurrent-reconciles", "int", "1"},
	{"globalaccelerator-max-exponential-backoff-delay", "duration", "16m40s"},
	// aws cloud config
	{"aws-region", "string", ""},
	{"aws-api-endpoints", "stringToString", ""},
	{"aws-api-throttle", "string", ""},
	{"aws-vpc-id", "string", ""},
	{"aws-vpc-tags", "stringToString", ""},
	{"aws-vpc-tag-key", "string", "Name"},
	{"aws-max-retries", "int", "10"},
	// runtime config (kubeconfig is controller-runtime's, checked below)
	{"metrics-bind-addr", "string", ":8080"},
	{"health-probe-bind-addr", "string", ":61779"},
	{"webhook-bind-port", "int", "9443"},
	{"enable-leader-election", "bool", "true"},
	{"leader-election-id", "string", "aws-load-balancer-controller-leader"},
	{"leader-election-namespace", "string", ""},
	{"leader-election-lease-duration", "duration", "0s"},
	{"watch-namespace", "string", ""},
	{"sync-period", "duration", "10h0m0s"},
	{"webhook-cert-dir", "string", ""},
	{"webhook-cert-file", "string", ""},
	{"webhook-key-file", "string", ""},
	{"kube-ca-pem-filepath", "string", ""},
	// pod webhook and QUIC configs
	{"enable-pod-readiness-gate-inject", "bool", "true"},
	{"quic-environment-variable-name", "string", "AWS_LBC_QUIC_SERVER_ID"},
	// ingress config
	{"ingress-class", "string", "alb"},
	{"disable-ingress-class-annotation", "bool", "false"},
	{"disable-ingress-group-name-annotation", "bool", "false"},
	{"ingress-max-concurrent-reconciles", "int", "3"},
	{"tolerate-non-existent-backend-service", "bool", "true"},
	{"tolerate-non-existent-backend-action", "bool", "true"},
	{"allowed-certificate-authority-arns", "stringSlice", ""},
	{"default-pca-arn", "string", ""},
	{"enable-acm-certificates", "bool", "false"},
	// addons config
	{"enable-waf", "bool", "true"},
	{"enable-wafv2", "bool", "true"},
	{"enable-shield", "bool", "true"},
	// service config
	{"load-balancer-class", "string", "service.k8s.aws/nlb"},
}

// kelbDefaults are LBC flags whose kelb default differs on purpose.
var kelbDefaults = map[string]string{
	// LBC's Lease name would make kelb wait behind a running LBC, even one
	// serving another load-balancer class; sharing it is one flag away.
	"leader-election-id": "kelb-leader",
}

// pending are LBC flags another change set adds (left out of this list).
var pending = map[string]bool{"default-load-balancer-scheme": true, "feature-gates": true}

// kelbOwn are flags LBC does not have.
var kelbOwn = []string{"deletion-policy", "drift-period", "enable-ingress", "enable-webhook", "orphan-grace-period", "orphan-sweep",
	"orphan-sweep-interval", "vpc-endpoint-max-concurrent-reconciles", "vpc-endpoint-poll-interval", "webhook-config-name",
	"webhook-extra-names", "webhook-secret-name", "webhook-service-name", "webhook-service-namespace"}

func flagType(f *flag.Flag) string {
	if t, ok := f.Value.(interface{ Type() string }); ok {
		return t.Type()
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "bool"
		case int:
			return "int"
		case string:
			return "string"
		case time.Duration:
			return "duration"
		}
	}
	return fmt.Sprintf("%T", f.Value)
}

// TestLBCFlags: kelb defines every flag of LBC v3.5 with LBC's type and
// default (but for the deliberate differences above), and nothing else but
// its own listed flags.
func TestLBCFlags(t *testing.T) {
	fs := flag.NewFlagSet("kelb", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	var want, got []lbcFlag
	names := map[string]bool{}
	for _, f := range lbcFlags {
		names[f.name] = true
		if d, ok := kelbDefaults[f.name]; ok {
			f.def = d
		}
		want = append(want, f)
		g := fs.Lookup(f.name)
		if g == nil {
			got = append(got, lbcFlag{f.name, "missing", ""})
			continue
		}
		def := g.DefValue
		if def == "[]" { // pflag's empty map or list
			def = ""
		}
		got = append(got, lbcFlag{f.name, flagType(g), def})
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(lbcFlag{})); diff != "" {
		t.Errorf("LBC's flags (-want +got):\n%s", diff)
	}
	var extra []string
	fs.VisitAll(func(f *flag.Flag) {
		if !names[f.Name] && !pending[f.Name] {
			extra = append(extra, f.Name)
		}
	})
	sort.Strings(extra)
	if diff := cmp.Diff(kelbOwn, extra); diff != "" {
		t.Errorf("kelb's own flags (-want +got):\n%s", diff)
	}
	if flag.CommandLine.Lookup("kubeconfig") == nil {
		t.Error("--kubeconfig: controller-runtime no longer registers it")
	}
}

// TestParseLBCCommandLines: command lines LBC's Deployment and Helm chart
// pass start kelb with the same meaning; flags kelb does not act on yet are
// named; what LBC refuses kelb refuses.
func TestParseLBCCommandLines(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         []string
		check        func(*Options) any // picks the values to compare
		want         any
		notHonoured  []string
		parseFailure string
	}{
		{name: "Helm chart defaults", args: []string{"--cluster-name=prod", "--ingress-class=alb",
			"--enable-waf=false", "--enable-wafv2=false", "--enable-shield=false", "--webhook-bind-port=9443",
			"--log-level=debug", "--enable-endpoint-slices=true", "--enable-pod-readiness-gate-inject=true"},
			check: func(o *Options) any { return []any{o.ClusterName, o.IngressClass, o.Debug(), o.LBC.EnableWAF} },
			want:  []any{"prod", "alb", true, false}},
		{name: "webhook flags are honoured",
			args: []string{"--webhook-bind-port=9444", "--webhook-cert-dir=/certs", "--webhook-cert-file=c.pem",
				"--webhook-key-file=k.pem", "--kube-ca-pem-filepath=/ca.pem", "--enable-pod-readiness-gate-inject=false"},
			check: func(o *Options) any {
				return []any{o.EnableWebhook, o.LBC.WebhookBindPort, o.LBC.WebhookCertDir, o.LBC.WebhookCertFile,
					o.LBC.WebhookKeyFile, o.LBC.KubeCAPemFilepath, o.LBC.EnablePodReadinessGateInject, o.WebhookConfigName}
			},
			want: []any{true, 9444, "/certs", "c.pem", "k.pem", "/ca.pem", false, "kelb-webhook"}},
		{name: "endpoint slices off is not what kelb does", args: []string{"--enable-endpoint-slices=false"},
			check: func(o *Options) any { return o.LBC.EnableEndpointSlices }, want: false,
			notHonoured: []string{"enable-endpoint-slices"}},
		{name: "flags after an argument and space-separated values, as pflag reads them",
			args:  []string{"/controller", "--cluster-name", "prod", "--aws-region", "eu-west-1"},
			check: func(o *Options) any { return o.ClusterName + " " + o.AWSRegion }, want: "prod eu-west-1"},
		{name: "map and list flags given twice add up, as in LBC",
			args: []string{"--default-tags=team=a,env=prod", "--default-tags=team=b", "--external-managed-tags=x",
				"--external-managed-tags=y,z", "--aws-vpc-tags=Name=main", "--aws-vpc-tags=zone=1",
				"--allowed-certificate-authority-arns=arn:1", "--allowed-certificate-authority-arns=arn:2",
				"--service-target-eni-security-group-tags=k=v"},
			check: func(o *Options) any {
				tags, _ := parseTags(o.DefaultTags)
				return []any{tags, o.ExternalManagedTags, o.AWSVPCTags, o.LBC.AllowedCertificateAuthorityARNs,
					o.LBC.ServiceTargetENISGTags}
			},
			want: []any{map[string]string{"team": "b", "env": "prod"}, "x,y,z",
				map[string]string{"Name": "main", "zone": "1"}, []string{"arn:1", "arn:2"}, map[string]string{"k": "v"}},
			notHonoured: []string{"service-target-eni-security-group-tags"}},
		{name: "endpoints given twice", args: []string{"--aws-api-endpoints=EC2=http://a", "--aws-api-endpoints=ACM=http://b"},
			check: func(o *Options) any { return o.AWSAPIEndpoints }, want: "EC2=http://a,ACM=http://b"},
		{name: "unknown flag", args: []string{"--enable-magic"}, parseFailure: "unknown flag: --enable-magic"},
		{name: "bad bool", args: []string{"--enable-waf=maybe"},
			parseFailure: `invalid argument "maybe" for "--enable-waf" flag: parse error`},
		{name: "bad map", args: []string{"--aws-vpc-tags=Name"},
			parseFailure: `invalid argument "Name" for "--aws-vpc-tags" flag: Name must be formatted as key=value`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("kelb", flag.ContinueOnError)
			var o Options
			o.BindFlags(fs)
			set, err := ParseFlags(fs, tc.args)
			if tc.parseFailure != "" {
				if err == nil || !strings.Contains(err.Error(), tc.parseFailure) {
					t.Fatalf("error %v; want %q", err, tc.parseFailure)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, tc.check(&o)); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.notHonoured, NotHonoured(set)); diff != "" {
				t.Errorf("not honoured (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNotHonouredNamesOnlyKnownFlags: every flag the start-up line may name
// is one kelb defines.
func TestNotHonouredNamesOnlyKnownFlags(t *testing.T) {
	fs := flag.NewFlagSet("kelb", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	for name := range notHonoured {
		if fs.Lookup(name) == nil {
			t.Errorf("%s is listed as not honoured but not defined", name)
		}
	}
}
