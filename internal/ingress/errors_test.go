package ingress

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestBuildRefusesBadInput: every value AWS or LBC would refuse is refused
// before any AWS call, naming the annotation (or field), the value and what
// is allowed; External marks what AWS or the cluster may come to satisfy.
// Certificates AWS cannot put on a listener (yet).
const (
	certMissing = "arn:aws:acm:eu-west-1:123456789012:certificate/missing"
	certPending = "arn:aws:acm:eu-west-1:123456789012:certificate/pending"
)

func TestBuildRefusesBadInput(t *testing.T) {
	ann := func(kv ...string) func(*networkingv1.Ingress) {
		return func(ing *networkingv1.Ingress) {
			for i := 0; i < len(kv); i += 2 {
				ing.Annotations[kv[i]] = kv[i+1]
			}
		}
	}
	const listenPortsHelp = `a JSON list of {"HTTP": port} or {"HTTPS": port} objects, ports from 1 to 65535, ` +
		`such as [{"HTTP": 80}, {"HTTPS": 443}]`
	tests := []struct {
		name  string
		ing   func(*networkingv1.Ingress)
		class Class
		facts func(*Facts)
		svcs  func(map[string]*corev1.Service)
		want  error
	}{
		{name: "scheme", ing: ann(AnnScheme, "public"),
			want: &AnnotationError{Annotation: AnnScheme, Value: "public", Allowed: "internal, internet-facing"}},
		{name: "ip-address-type", ing: ann(AnnIPAddressType, "ipv6"), want: &AnnotationError{Annotation: AnnIPAddressType,
			Value: "ipv6", Allowed: "ipv4, dualstack, dualstack-without-public-ipv4"}},
		{name: "dualstack-without-public-ipv4 needs internet-facing",
			ing: ann(AnnIPAddressType, "dualstack-without-public-ipv4"), want: &AnnotationError{
				Annotation: AnnIPAddressType, Value: "dualstack-without-public-ipv4",
				Allowed: "ipv4 or dualstack for internal load balancers (dualstack-without-public-ipv4 needs internet-facing)"}},
		{name: "load-balancer-name", ing: ann(AnnLoadBalancerName, "my_lb"), want: &AnnotationError{
			Annotation: AnnLoadBalancerName, Value: "my_lb",
			Allowed: "1-32 letters, digits and hyphens, not starting or ending with a hyphen, not starting with internal-"}},
		{name: "listen-ports port as a string", ing: ann(AnnListenPorts, `[{"HTTP": "80"}]`),
			want: &AnnotationError{Annotation: AnnListenPorts, Value: `[{"HTTP": "80"}]`, Allowed: listenPortsHelp}},
		{name: "listen-ports protocol", ing: ann(AnnListenPorts, `[{"TCP": 80}]`),
			want: &AnnotationError{Annotation: AnnListenPorts, Value: `[{"TCP": 80}]`, Allowed: listenPortsHelp}},
		{name: "listen-ports not JSON", ing: ann(AnnListenPorts, `80,443`),
			want: &AnnotationError{Annotation: AnnListenPorts, Value: `80,443`, Allowed: listenPortsHelp}},
		{name: "listen-ports port out of range", ing: ann(AnnListenPorts, `[{"HTTP": 0}]`),
			want: &AnnotationError{Annotation: AnnListenPorts, Value: `[{"HTTP": 0}]`, Allowed: listenPortsHelp}},
		{name: "ssl-redirect to a port listen-ports does not serve with HTTPS", ing: ann(AnnSSLRedirect, "8443",
			AnnListenPorts, `[{"HTTP": 80}, {"HTTP": 8443}, {"HTTPS": 443}]`, AnnCertificateARN, certDefault),
			want: &AnnotationError{Annotation: AnnSSLRedirect, Value: "8443",
				Allowed: "the port of an HTTPS listener of listen-ports (443)"}},
		{name: "certificate-arn AWS does not hold", ing: ann(AnnCertificateARN, certMissing),
			want: &AnnotationError{Annotation: AnnCertificateARN, Value: certMissing, External: true,
				Allowed: "ISSUED ACM certificates or IAM server certificates (it does not exist in ACM or IAM)"}},
		{name: "certificate-arn not yet validated", ing: ann(AnnCertificateARN, certDefault+","+certPending),
			want: &AnnotationError{Annotation: AnnCertificateARN, Value: certPending, External: true,
				Allowed: "ISSUED ACM certificates or IAM server certificates (it is PENDING_VALIDATION)"}},
		{name: "IngressClassParams certificateArn AWS does not hold",
			class: Class{Verdict: Ours, Params: &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
				Spec: elbv2.IngressClassParamsSpec{CertificateArn: []string{certMissing}}}},
			want: &AnnotationError{Annotation: "IngressClassParams public spec.certificateArn", Value: certMissing,
				External: true,
				Allowed:  "ISSUED ACM certificates or IAM server certificates (it does not exist in ACM or IAM)"}},
		{name: "listen-ports empty", ing: ann(AnnListenPorts, `[]`),
			want: &AnnotationError{Annotation: AnnListenPorts, Value: `[]`, Allowed: listenPortsHelp}},
		{name: "ssl-redirect to a port without an HTTPS listener", ing: ann(AnnSSLRedirect, "443"),
			want: &AnnotationError{Annotation: AnnSSLRedirect, Value: "443",
				Allowed: "the port of an HTTPS listener of listen-ports (there is none)"}},
		{name: "ssl-redirect not a number", ing: ann(AnnSSLRedirect, "https", AnnCertificateARN, certDefault),
			want: &AnnotationError{Annotation: AnnSSLRedirect, Value: "https",
				Allowed: "the port of an HTTPS listener of listen-ports (443)"}},
		{name: "certificate-arn", ing: ann(AnnCertificateARN, "my-cert"), want: &AnnotationError{
			Annotation: AnnCertificateARN, Value: "my-cert",
			Allowed: "ARNs of ACM certificates (arn:aws:acm:<region>:<account>:certificate/<id>) or IAM server " +
				"certificates (arn:aws:iam::<account>:server-certificate/<name>)"}},
		{name: "HTTPS listener without any certificate", ing: ann(AnnListenPorts, `[{"HTTPS": 443}]`),
			want: &AnnotationError{Annotation: AnnCertificateARN, External: true,
				Allowed: "certificate ARNs for the HTTPS listener on port 443, or an ISSUED ACM certificate for the " +
					"Ingress's hosts (the Ingress names no host)"}},
		{name: "more paths than a listener takes rules", ing: func(ing *networkingv1.Ingress) {
			var ps []networkingv1.HTTPIngressPath
			for i := range MaxRulesPerListener + 1 {
				ps = append(ps, to(pathOf("/p"+strconv.Itoa(i), networkingv1.PathTypeExact), "web", 80))
			}
			ing.Spec.Rules = []networkingv1.IngressRule{httpRule("", ps...)}
		}, want: &FieldError{Field: "spec.rules", Value: "101 paths",
			Allowed: "at most 100 paths per listener (AWS's quota of rules per listener)"}},
		{name: "load-balancer-attributes value", ing: ann(AnnLoadBalancerAttributes, "idle_timeout.timeout_seconds=0"),
			want: &AnnotationError{Annotation: AnnLoadBalancerAttributes, Value: "idle_timeout.timeout_seconds=0",
				Allowed: "idle_timeout.timeout_seconds: an integer from 1 to 4000"}},
		{name: "listener-attributes value", ing: ann(AnnListenerAttributesPrefix+".HTTP-80",
			"routing.http.response.x_content_type_options.header_value=sniff"), want: &AnnotationError{
			Annotation: AnnListenerAttributesPrefix + ".HTTP-80",
			Value:      "routing.http.response.x_content_type_options.header_value=sniff",
			Allowed:    "routing.http.response.x_content_type_options.header_value: nosniff"}},
		{name: "multi-cluster-target-group", ing: ann(AnnMultiClusterTargetGroup, "maybe"), want: &AnnotationError{
			Annotation: AnnMultiClusterTargetGroup, Value: "maybe",
			Allowed: "true, false (also 1, 0, t, f, T, F, TRUE, FALSE, True, False)"}},
		{name: "mutual-authentication verify without trust store", ing: ann(AnnMutualAuthentication,
			`[{"port": 443, "mode": "verify"}]`), want: &AnnotationError{Annotation: AnnMutualAuthentication,
			Value: `[{"port": 443, "mode": "verify"}]`, Allowed: "a trustStore for mode verify (port 443)"}},
		{name: "mutual-authentication mode", ing: ann(AnnMutualAuthentication, `[{"port": 443, "mode": "strict"}]`),
			want: &AnnotationError{Annotation: AnnMutualAuthentication, Value: `[{"port": 443, "mode": "strict"}]`,
				Allowed: `mode off, passthrough or verify for port 443 (got "strict")`}},
		{name: "mutual-authentication trust store with passthrough", ing: ann(AnnMutualAuthentication,
			`[{"port": 443, "mode": "passthrough", "trustStore": "x"}]`), want: &AnnotationError{
			Annotation: AnnMutualAuthentication, Value: `[{"port": 443, "mode": "passthrough", "trustStore": "x"}]`,
			Allowed: "no trustStore or ignoreClientCertificateExpiry for mode passthrough (port 443)"}},
		{name: "target-group-attributes value", ing: ann(AnnTargetGroupAttributes, "stickiness.type=source_ip"),
			want: &AnnotationError{Annotation: AnnTargetGroupAttributes, Value: "stickiness.type=source_ip",
				Allowed: "stickiness.type: lb_cookie, app_cookie"}},
		{name: "tags may not set tracking keys", ing: ann(AnnTags, "ingress.k8s.aws/stack=x"), want: &AnnotationError{
			Annotation: AnnTags, Value: "ingress.k8s.aws/stack", Allowed: "tag keys other than kelb's tracking keys " +
				"elbv2.k8s.aws/cluster, ingress.k8s.aws/stack, ingress.k8s.aws/resource, elbv2.k8s.aws/resource, " +
				"kelb.dev/cluster-uid"}},
		{name: "inbound-cidrs", ing: ann(AnnInboundCIDRs, "10.0.0.0/33"), want: &AnnotationError{
			Annotation: AnnInboundCIDRs, Value: "10.0.0.0/33", Allowed: "IPv4 or IPv6 CIDRs such as 10.0.0.0/16"}},
		{name: "security-group-prefix-lists", ing: ann(AnnSGPrefixLists, "10.0.0.0/8"), want: &AnnotationError{
			Annotation: AnnSGPrefixLists, Value: "10.0.0.0/8", Allowed: "managed prefix list ids (pl-...)"}},
		{name: "manage-backend-security-group-rules", ing: ann(AnnManageBackendSGRules, "yes"), want: &AnnotationError{
			Annotation: AnnManageBackendSGRules, Value: "yes",
			Allowed: "true, false (also 1, 0, t, f, T, F, TRUE, FALSE, True, False)"}},
		{name: "security group name no group has", ing: ann(AnnSecurityGroups, "edge"), want: &AnnotationError{
			Annotation: AnnSecurityGroups, Value: "edge", External: true,
			Allowed: "ids (sg-...) or Name tags of security groups in the cluster's VPC"}},
		{name: "target-type", ing: ann(AnnTargetType, "pod"),
			want: &AnnotationError{Annotation: AnnTargetType, Value: "pod", Allowed: "instance, ip"}},
		{name: "backend-protocol is case-sensitive, as in LBC", ing: ann(AnnBackendProtocol, "https"),
			want: &AnnotationError{Annotation: AnnBackendProtocol, Value: "https", Allowed: "HTTP, HTTPS"}},
		{name: "backend-protocol-version", ing: ann(AnnBackendProtocolVersion, "HTTP3"), want: &AnnotationError{
			Annotation: AnnBackendProtocolVersion, Value: "HTTP3", Allowed: "HTTP1, HTTP2, GRPC"}},
		{name: "healthcheck-interval-seconds", ing: ann(AnnHCIntervalSeconds, "1"), want: &AnnotationError{
			Annotation: AnnHCIntervalSeconds, Value: "1", Allowed: "an integer from 5 to 300"}},
		{name: "healthcheck-interval-seconds not a number", ing: ann(AnnHCIntervalSeconds, "abc"), want: &AnnotationError{
			Annotation: AnnHCIntervalSeconds, Value: "abc", Allowed: "an integer from 5 to 300"}},
		{name: "healthcheck-timeout-seconds", ing: ann(AnnHCTimeoutSeconds, "1"), want: &AnnotationError{
			Annotation: AnnHCTimeoutSeconds, Value: "1", Allowed: "an integer from 2 to 120"}},
		{name: "unhealthy-threshold-count not a number", ing: ann(AnnHCUnhealthyThreshold, "two"),
			want: &AnnotationError{Annotation: AnnHCUnhealthyThreshold, Value: "two", Allowed: "an integer from 2 to 10"}},
		{name: "healthcheck-port out of range", ing: ann(AnnHCPort, "70000"),
			want: &AnnotationError{Annotation: AnnHCPort, Value: "70000",
				Allowed: "traffic-port, a port number from 1 to 65535, or the name of a port of the backend Service"}},
		{name: "tags not key=value", ing: ann(AnnTags, "team"), want: &AnnotationError{Annotation: AnnTags,
			Value: "team", Allowed: "comma-separated key=value pairs"}},
		{name: "load-balancer-attributes key", ing: ann(AnnLoadBalancerAttributes, "idle_timeout=60"),
			want: &AnnotationError{Annotation: AnnLoadBalancerAttributes, Value: "idle_timeout",
				Allowed: "attribute keys of application load balancers: " +
					strings.Join(slices.Sorted(maps.Keys(loadBalancerAttributeRules)), ", ")}},
		{name: "target-group-attributes key", ing: ann(AnnTargetGroupAttributes, "deregistration_delay=5"),
			want: &AnnotationError{Annotation: AnnTargetGroupAttributes, Value: "deregistration_delay",
				Allowed: "attribute keys of application load balancer target groups: " +
					strings.Join(slices.Sorted(maps.Keys(targetGroupAttributeRules)), ", ")}},
		{name: "healthcheck-timeout-seconds not below the interval", ing: ann(AnnHCTimeoutSeconds, "15"),
			want: &AnnotationError{Annotation: AnnHCTimeoutSeconds, Value: "15",
				Allowed: "less than the interval (15 s, " + AnnHCIntervalSeconds + ")"}},
		{name: "healthy-threshold-count", ing: ann(AnnHCHealthyThreshold, "11"), want: &AnnotationError{
			Annotation: AnnHCHealthyThreshold, Value: "11", Allowed: "an integer from 2 to 10"}},
		{name: "success-codes", ing: ann(AnnHCSuccessCodes, "200-600"), want: &AnnotationError{
			Annotation: AnnHCSuccessCodes, Value: "200-600",
			Allowed: "HTTP codes from 200 to 499: one (200), a list (200,202) or a range (200-299)"}},
		{name: "gRPC success-codes", ing: ann(AnnBackendProtocolVersion, "GRPC", AnnHCSuccessCodes, "200"),
			want: &AnnotationError{Annotation: AnnHCSuccessCodes, Value: "200",
				Allowed: "gRPC codes from 0 to 99: one (12), a list (0,12) or a range (0-99)"}},
		{name: "healthcheck-path", ing: ann(AnnHCPath, "healthz"), want: &AnnotationError{Annotation: AnnHCPath,
			Value: "healthz", Allowed: "a path starting with /, up to 1024 characters"}},
		{name: "healthcheck-protocol", ing: ann(AnnHCProtocol, "TCP"),
			want: &AnnotationError{Annotation: AnnHCProtocol, Value: "TCP", Allowed: "HTTP, HTTPS"}},
		{name: "healthcheck-port names no port of the Service", ing: ann(AnnHCPort, "metrics"),
			want: &AnnotationError{Annotation: AnnHCPort, Value: "metrics", External: true,
				Allowed: "traffic-port, a port number from 1 to 65535, or the name of a port of the backend Service"}},
		{name: "a bad value on the backend Service is named too",
			svcs: func(s map[string]*corev1.Service) {
				s["web"].Annotations = map[string]string{AnnHCUnhealthyThreshold: "1"}
			},
			want: &AnnotationError{Annotation: AnnHCUnhealthyThreshold, Value: "1", Allowed: "an integer from 2 to 10"}},
		{name: "target-node-labels", ing: ann(AnnTargetNodeLabels, "role=web server"), want: &AnnotationError{
			Annotation: AnnTargetNodeLabels, Value: "role=web server",
			Allowed: "comma-separated label=value pairs with valid label keys and values"}},
		{name: "instance targets need a node port",
			svcs: func(s map[string]*corev1.Service) { s["web"].Spec.Ports[0].NodePort = 0 },
			want: &AnnotationError{Annotation: AnnTargetType, Value: "instance", Allowed: "ip, or a Service of type " +
				"NodePort or LoadBalancer for instance targets (port 80 of Service web has no node port)"}},
		{name: "IPv6 Service behind an ipv4 load balancer",
			svcs: func(s map[string]*corev1.Service) { s["web"].Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol} },
			want: &AnnotationError{Annotation: AnnIPAddressType, Value: "ipv4",
				Allowed: "dualstack, for backend Service web of the IPv6 family"}},
		{name: "Exact path with a wildcard", ing: func(ing *networkingv1.Ingress) {
			ing.Spec.Rules[0].HTTP.Paths[0].Path = "/a*"
			exact := networkingv1.PathTypeExact
			ing.Spec.Rules[0].HTTP.Paths[0].PathType = &exact
		}, want: &FieldError{Field: "spec.rules[0].http.paths[0].path", Value: "/a*",
			Allowed: "a path without * or ? for pathType Exact (use ImplementationSpecific for ELB wildcards)"}},
		{name: "missing backend Service", ing: func(ing *networkingv1.Ingress) {
			ing.Spec.Rules[0].HTTP.Paths[0].Backend = backend("cart", 80)
		}, want: &FieldError{Field: "spec.rules[0].http.paths[0].backend.service.name", Value: "cart", External: true,
			Allowed: "the name of a Service in namespace shop"}},
		{name: "backend port the Service lacks", ing: func(ing *networkingv1.Ingress) {
			ing.Spec.Rules[0].HTTP.Paths[0].Backend = backend("api", 9090)
		}, want: &FieldError{Field: "spec.rules[0].http.paths[0].backend.service.port", Value: "9090", External: true,
			Allowed: "a port of Service shop/api (grpc=8080)"}},
		{name: "use-annotation without the action", ing: func(ing *networkingv1.Ingress) {
			ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Name: "use-annotation"}
		}, want: &FieldError{Field: "spec.rules[0].http.paths[0].backend.service.port.name", Value: "use-annotation",
			Allowed: "a port of Service web, or use-annotation with an annotation " +
				"alb.ingress.kubernetes.io/actions.web holding the action"}},
		{name: "no subnet found", facts: func(f *Facts) { f.Subnets = nil }, want: &AnnotationError{
			Annotation: AnnSubnets, External: true, Allowed: "ids or Name tags of subnets in two or more zones of the " +
				"cluster's VPC; or tag them kubernetes.io/role/internal-elb=1"}},
		{name: "a bad IngressClassParams value names the params' field",
			class: Class{Verdict: Ours, Params: &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
				Spec: elbv2.IngressClassParamsSpec{LoadBalancerName: "-bad"}}},
			want: &AnnotationError{Annotation: "IngressClassParams public spec.loadBalancerName", Value: "-bad",
				Allowed: "1-32 letters, digits and hyphens, not starting or ending with a hyphen, not starting with internal-"}},
		{name: "IngressClassParams targetType with ip targets off",
			class: Class{Verdict: Ours, Params: &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
				Spec: elbv2.IngressClassParamsSpec{TargetType: elbv2.TargetTypeIP}}},
			want: &AnnotationError{Annotation: "IngressClassParams public spec.targetType", Value: "ip",
				Allowed: "instance (ip targets are off: --feature-gates EnableIPTargetType=false)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := minimalIngress()
			if tt.ing != nil {
				tt.ing(ing)
			}
			in := Input{Ingress: ing, Class: tt.class, Services: testServices(),
				Facts: Facts{Subnets: []string{"subnet-a", "subnet-b"}, CertificateStatuses: issued(certDefault, certSNI)}}
			in.Facts.CertificateStatuses[certMissing] = service.CertificateNotFound
			in.Facts.CertificateStatuses[certPending] = "PENDING_VALIDATION"
			if tt.facts != nil {
				tt.facts(&in.Facts)
			}
			if tt.svcs != nil {
				tt.svcs(in.Services)
			}
			cfg := testConfig()
			cfg.IPTargetsDisabled = tt.name == "IngressClassParams targetType with ip targets off"
			got, err := Build(cfg, in)
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got != nil {
				t.Errorf("Build returned a stack with an error")
			}
		})
	}
}

func TestQuery(t *testing.T) {
	ing := minimalIngress()
	ing.Spec.Rules[0].Host = "b.example.com"
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.example.com", "b.example.com"}}}
	ing.Annotations = map[string]string{AnnListenPorts: `[{"HTTP": 80}, {"HTTPS": 443}]`,
		AnnSubnets: "subnet-1, public-a", AnnSecurityGroups: "sg-1,edge", AnnScheme: "internet-facing"}
	got, err := Query(testConfig(), ing, Class{Verdict: Ours})
	if err != nil {
		t.Fatal(err)
	}
	want := FactsQuery{Scheme: "internet-facing", Subnets: []string{"subnet-1", "public-a"},
		CertificateHosts: []string{"a.example.com", "b.example.com"}, SecurityGroupNames: []string{"edge"},
		SSLPolicies: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	// The class's subnets replace the annotation's.
	params := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
		Spec: elbv2.IngressClassParamsSpec{Subnets: &elbv2.SubnetSelector{
			Tags: map[string]elbv2.SubnetTagValues{"tier": {"edge"}}}}}
	got, err = Query(testConfig(), ing, Class{Verdict: Ours, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	want.Subnets, want.SubnetTags = nil, map[string][]string{"tier": {"edge"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("query with params subnets (-want +got):\n%s", diff)
	}
	// Named certificates: nothing to discover.
	ing.Annotations[AnnCertificateARN] = certDefault
	got, _ = Query(testConfig(), ing, Class{})
	if got.CertificateHosts != nil {
		t.Errorf("CertificateHosts = %v with a named certificate, want none", got.CertificateHosts)
	}
	// ... but the named ones are read, for an HTTPS listener only.
	if diff := cmp.Diff([]string{certDefault}, got.Certificates); diff != "" {
		t.Errorf("Certificates (-want +got):\n%s", diff)
	}
	ing.Annotations[AnnListenPorts] = `[{"HTTP": 80}]`
	if got, _ := Query(testConfig(), ing, Class{}); got.Certificates != nil {
		t.Errorf("Certificates = %v without an HTTPS listener, want none", got.Certificates)
	}
}
