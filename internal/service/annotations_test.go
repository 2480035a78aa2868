package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestLegacyAttributeAnnotations: the deprecated access-log and cross-zone
// annotations map as in LBC and win over the attributes annotation.
func TestLegacyAttributeAnnotations(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want outcome
	}{
		{"access logs on, with bucket and prefix", []string{AnnAccessLogEnabled, "true",
			AnnAccessLogS3BucketName, "logs", AnnAccessLogS3BucketPrefix, "nlb/"},
			outcome{Attributes: map[string]string{"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs",
				"access_logs.s3.prefix": "nlb/"}}},
		{"access logs off: the bucket annotations are not read", []string{AnnAccessLogEnabled, "false",
			AnnAccessLogS3BucketName, "logs"}, outcome{}},
		{"bucket without access-log-enabled is not read", []string{AnnAccessLogS3BucketName, "logs"}, outcome{}},
		{"Go booleans, as LBC", []string{AnnAccessLogEnabled, "1", AnnAccessLogS3BucketName, "logs",
			AnnCrossZoneEnabled, "T"},
			outcome{Attributes: map[string]string{"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs",
				"load_balancing.cross_zone.enabled": "true"}}},
		{"cross-zone false is set too", []string{AnnCrossZoneEnabled, "False"},
			outcome{Attributes: map[string]string{"load_balancing.cross_zone.enabled": "false"}}},
		{"legacy annotations win over attributes", []string{AnnAttributes,
			"load_balancing.cross_zone.enabled=false,access_logs.s3.enabled=false,access_logs.s3.bucket=a,deletion_protection.enabled=true",
			AnnCrossZoneEnabled, "true", AnnAccessLogEnabled, "true", AnnAccessLogS3BucketName, "b"},
			outcome{Attributes: map[string]string{"load_balancing.cross_zone.enabled": "true",
				"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "b", "deletion_protection.enabled": "true"}}},
		{"access-log-enabled false does not turn off the attributes' access logs, as LBC", []string{AnnAttributes,
			"access_logs.s3.enabled=true,access_logs.s3.bucket=a", AnnAccessLogEnabled, "false"},
			outcome{Attributes: map[string]string{"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "a"}}},
		{"a bucket from attributes serves legacy access logs", []string{AnnAttributes, "access_logs.s3.bucket=a",
			AnnAccessLogEnabled, "true"},
			outcome{Attributes: map[string]string{"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "a"}}},
		{"legacy access logs without any bucket", []string{AnnAccessLogEnabled, "true"},
			outcome{Error: "annotation", Annotation: AnnAccessLogEnabled, Value: "true"}},
		{"not a boolean", []string{AnnAccessLogEnabled, "yes"},
			outcome{Error: "annotation", Annotation: AnnAccessLogEnabled, Value: "yes"}},
		{"not a boolean: spaces are not trimmed, as LBC", []string{AnnCrossZoneEnabled, " true"},
			outcome{Error: "annotation", Annotation: AnnCrossZoneEnabled, Value: " true"}},
		{"emit interval is the Classic Load Balancer's: ignored", []string{AnnAccessLogEmitInterval, "whenever"}, outcome{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, testInput(ann(tt.kv...)))
			got := outcomeOf(err)
			if err == nil && len(s.LoadBalancer.Attributes) > 0 {
				got.Attributes = s.LoadBalancer.Attributes
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestStrictValues: values are read as LBC reads them; what LBC does not
// take is refused before anything is made, naming the annotation.
func TestStrictValues(t *testing.T) {
	type result struct {
		Scheme, IPType, TargetType, TGProtocol, HCProtocol string
		Error, Annotation, Value                           string
	}
	ok := func(scheme, ipType, targetType, tgProtocol, hcProtocol string) result {
		return result{scheme, ipType, targetType, tgProtocol, hcProtocol, "", "", ""}
	}
	bad := func(annotation, value string) result {
		return result{Error: "annotation", Annotation: annotation, Value: value}
	}
	const cert = "arn:aws:acm:us-west-2:123456789012:certificate/x"
	tests := []struct {
		name string
		kv   []string
		want result
	}{
		{"defaults", nil, ok("internal", "ipv4", "instance", "TCP", "TCP")},
		{"scheme is case-sensitive", []string{AnnScheme, "Internet-Facing"}, bad(AnnScheme, "Internet-Facing")},
		{"scheme is not trimmed", []string{AnnScheme, "internal "}, bad(AnnScheme, "internal ")},
		{"an empty scheme is a value", []string{AnnScheme, ""}, bad(AnnScheme, "")},
		{"scheme wins over internal", []string{AnnScheme, "internal", AnnInternal, "false"},
			ok("internal", "ipv4", "instance", "TCP", "TCP")},
		{"internal=true", []string{AnnInternal, "true"}, ok("internal", "ipv4", "instance", "TCP", "TCP")},
		{"internal=F", []string{AnnInternal, "F"}, ok("internet-facing", "ipv4", "instance", "TCP", "TCP")},
		{"internal=no", []string{AnnInternal, "no"}, bad(AnnInternal, "no")},
		{"ip-address-type is case-sensitive", []string{AnnIPAddressType, "DualStack"}, bad(AnnIPAddressType, "DualStack")},
		{"nlb-target-type is case-sensitive", []string{AnnTargetType, "IP"}, bad(AnnTargetType, "IP")},
		{"legacy type nlb-ip", []string{AnnType, "nlb-ip"}, ok("internal", "ipv4", "ip", "TCP", "TCP")},
		{"backend-protocol is case-sensitive", []string{AnnSSLCert, cert, AnnBackendProtocol, "SSL"},
			bad(AnnBackendProtocol, "SSL")},
		{"backend-protocol ssl", []string{AnnSSLCert, cert, AnnBackendProtocol, "ssl"},
			ok("internal", "ipv4", "instance", "TLS", "TCP")},
		{"healthcheck-protocol in any case, as LBC", []string{AnnHCProtocol, "hTTps"},
			ok("internal", "ipv4", "instance", "TCP", "HTTPS")},
		{"alpn-policy is case-sensitive", []string{AnnSSLCert, cert, AnnALPNPolicy, "http2preferred"},
			bad(AnnALPNPolicy, "http2preferred")},
		{"proxy-protocol is exactly *", []string{AnnProxyProtocol, " *"}, bad(AnnProxyProtocol, " *")},
		{"a boolean with a space", []string{AnnNLBDisableSG, "true "}, bad(AnnNLBDisableSG, "true ")},
		{"an integer with a space", []string{AnnHCInterval, " 30"}, bad(AnnHCInterval, " 30")},
		{"preserve_client_ip in mixed case", []string{AnnTargetGroupAttributes, "preserve_client_ip.enabled=FalSe"},
			bad(AnnTargetGroupAttributes, "preserve_client_ip.enabled=FalSe")},
		{"preserve_client_ip after a space", []string{AnnTargetGroupAttributes, "preserve_client_ip.enabled= false"},
			bad(AnnTargetGroupAttributes, "preserve_client_ip.enabled= false")},
		{"an attribute key with a space", []string{AnnAttributes, "deletion_protection.enabled =true"},
			bad(AnnAttributes, "deletion_protection.enabled ")},
		{"node labels with spaces", []string{AnnTargetNodeLabels, "pool = edge"}, bad(AnnTargetNodeLabels, "pool = edge")},
		{"the TCP_UDP annotation is a boolean", []string{AnnEnableTCPUDPListener, "on"}, bad(AnnEnableTCPUDPListener, "on")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, testInput(ann(tt.kv...)))
			o := outcomeOf(err)
			got := result{Error: o.Error, Annotation: o.Annotation, Value: o.Value}
			if err == nil {
				tg := s.TargetGroups[0]
				got = ok(s.LoadBalancer.Scheme, s.LoadBalancer.IPAddressType, tg.TargetType, tg.Protocol, tg.HealthCheck.Protocol)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemeChoice: a Service without a scheme annotation keeps the scheme
// of the load balancer it has, else takes --default-load-balancer-scheme.
func TestSchemeChoice(t *testing.T) {
	tests := []struct {
		name, defaultScheme, existing string
		kv                            []string
		want                          string
	}{
		{"nothing set", "", "", nil, SchemeInternal},
		{"the flag", SchemeInternetFacing, "", nil, SchemeInternetFacing},
		{"an existing load balancer keeps its scheme", SchemeInternetFacing, SchemeInternal, nil, SchemeInternal},
		{"an existing load balancer keeps its scheme when the annotation goes", "", SchemeInternetFacing, nil,
			SchemeInternetFacing},
		{"the annotation replaces it", "", SchemeInternetFacing, []string{AnnScheme, SchemeInternal}, SchemeInternal},
		{"the deprecated annotation replaces it", "", SchemeInternal, []string{AnnInternal, "false"}, SchemeInternetFacing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig
			cfg.DefaultScheme = tt.defaultScheme
			in := testInput(ann(tt.kv...))
			in.Facts.ExistingScheme = tt.existing
			s, err := Build(cfg, in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.LoadBalancer.Scheme); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthCheckDefaultsAndPorts(t *testing.T) {
	type hc struct {
		Protocol, Port, Path, Matcher         string
		Interval, Timeout, Healthy, Unhealthy int32
		Error, Annotation, Value              string
	}
	local := func(in *Input) {
		in.Service.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		in.Service.Spec.HealthCheckNodePort = 32000
	}
	ip := ann(AnnTargetType, "ip")
	morePorts := func(in *Input) {
		in.Service.Spec.Ports = append(in.Service.Spec.Ports,
			corev1.ServicePort{Name: "admin", Port: 9000, NodePort: 30900, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(9090)},
			corev1.ServicePort{Name: "metrics", Port: 9100, NodePort: 30910, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromString("prom")},
			corev1.ServicePort{Name: "plain", Port: 9200, NodePort: 30920, Protocol: corev1.ProtocolTCP})
	}
	bad := func(a, v string) hc { return hc{Error: "annotation", Annotation: a, Value: v} }
	tcpDefault := hc{Protocol: "TCP", Port: "traffic-port", Interval: 10, Timeout: 10, Healthy: 3, Unhealthy: 3}
	localDefault := hc{Protocol: "HTTP", Port: "32000", Path: "/healthz", Matcher: "200-399", Interval: 10, Timeout: 6,
		Healthy: 2, Unhealthy: 2}
	tests := []struct {
		name   string
		cfg    Config
		mutate []func(*Input)
		want   hc
	}{
		{"default", testConfig, nil, tcpDefault},
		{"Local, instance targets: kube-proxy's health check", testConfig, []func(*Input){local}, localDefault},
		{"Local, ip targets: the default", testConfig, []func(*Input){local, ip}, tcpDefault},
		{"Local, annotations win", testConfig, []func(*Input){local, ann(AnnHCProtocol, "TCP", AnnHCPort, "traffic-port",
			AnnHCHealthyThreshold, "5", AnnHCTimeout, "8")},
			hc{Protocol: "TCP", Port: "traffic-port", Interval: 10, Timeout: 8, Healthy: 5, Unhealthy: 2}},
		{"named port, instance targets: its node port", testConfig,
			[]func(*Input){morePorts, ann(AnnHCPort, "admin")},
			hc{Protocol: "TCP", Port: "30900", Interval: 10, Timeout: 10, Healthy: 3, Unhealthy: 3}},
		{"named port, ip targets: its target port", testConfig,
			[]func(*Input){morePorts, ip, ann(AnnHCPort, "admin")},
			hc{Protocol: "TCP", Port: "9090", Interval: 10, Timeout: 10, Healthy: 3, Unhealthy: 3}},
		{"named port without target port, ip targets: its port", testConfig,
			[]func(*Input){morePorts, ip, ann(AnnHCPort, "plain")},
			hc{Protocol: "TCP", Port: "9200", Interval: 10, Timeout: 10, Healthy: 3, Unhealthy: 3}},
		{"named port with a named target port, ip targets", testConfig,
			[]func(*Input){morePorts, ip, ann(AnnHCPort, "metrics")}, bad(AnnHCPort, "metrics")},
		{"a name the Service does not have", testConfig,
			[]func(*Input){morePorts, ann(AnnHCPort, "nope")}, bad(AnnHCPort, "nope")},
		{"a number out of range", testConfig, []func(*Input){ann(AnnHCPort, "0")}, bad(AnnHCPort, "0")},
		{"advanced config off: timeout and codes not read", Config{ClusterName: "prod", DefaultTargetType: TargetInstance,
			Gates: Gates{NoHealthCheckAdvancedConfig: true}},
			[]func(*Input){ann(AnnHCProtocol, "HTTP", AnnHCTimeout, "bad", AnnHCSuccessCodes, "bad")},
			hc{Protocol: "HTTP", Port: "traffic-port", Path: "/", Matcher: "200-399", Interval: 10, Timeout: 10,
				Healthy: 3, Unhealthy: 3}},
		{"advanced config off, Local", Config{ClusterName: "prod", DefaultTargetType: TargetInstance,
			Gates: Gates{NoHealthCheckAdvancedConfig: true}},
			[]func(*Input){local, ann(AnnHCTimeout, "20")}, localDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(tt.cfg, testInput(tt.mutate...))
			o := outcomeOf(err)
			got := hc{Error: o.Error, Annotation: o.Annotation, Value: o.Value}
			if err == nil {
				h := s.TargetGroups[0].HealthCheck
				got = hc{Protocol: h.Protocol, Port: h.Port, Path: h.Path, Matcher: h.Matcher, Interval: h.IntervalSeconds,
					Timeout: h.TimeoutSeconds, Healthy: h.HealthyThreshold, Unhealthy: h.UnhealthyThreshold}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTCPAndUDPOnOnePort: one TCP_UDP listener only when asked; otherwise,
// as LBC, the first port of a number is served and the others are not.
func TestTCPAndUDPOnOnePort(t *testing.T) {
	type listener struct {
		Port         int32
		Protocol, TG string
		TGPort       int32
	}
	type result struct {
		Listeners                []listener
		Error, Annotation, Value string
	}
	ports := func(ps ...corev1.ServicePort) func(*Input) {
		return func(in *Input) { in.Service.Spec.Ports = ps }
	}
	tcp53 := corev1.ServicePort{Name: "dns-tcp", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolTCP}
	udp53 := corev1.ServicePort{Name: "dns-udp", Port: 53, NodePort: 31053, Protocol: corev1.ProtocolUDP}
	sctp53 := corev1.ServicePort{Name: "dns-sctp", Port: 53, NodePort: 32053, Protocol: corev1.ProtocolSCTP}
	http := corev1.ServicePort{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP}
	gateOn := Config{ClusterName: "prod", DefaultTargetType: TargetInstance, Gates: Gates{TCPUDPListener: true}}
	tests := []struct {
		name   string
		cfg    Config
		mutate []func(*Input)
		want   result
	}{
		{"not asked: the first port of the number", testConfig, []func(*Input){ports(tcp53, udp53, http)},
			result{Listeners: []listener{{53, "TCP", "TCP", 30053}, {80, "TCP", "TCP", 30080}}}},
		{"not asked, UDP first", testConfig, []func(*Input){ports(udp53, tcp53)},
			result{Listeners: []listener{{53, "UDP", "UDP", 31053}}}},
		{"annotation: TCP_UDP on the first port's node port", testConfig,
			[]func(*Input){ports(udp53, tcp53, http), ann(AnnEnableTCPUDPListener, "true")},
			result{Listeners: []listener{{53, "TCP_UDP", "TCP_UDP", 31053}, {80, "TCP", "TCP", 30080}}}},
		{"gate", gateOn, []func(*Input){ports(tcp53, udp53)},
			result{Listeners: []listener{{53, "TCP_UDP", "TCP_UDP", 30053}}}},
		{"the annotation turns the gate off", gateOn,
			[]func(*Input){ports(tcp53, udp53), ann(AnnEnableTCPUDPListener, "false")},
			result{Listeners: []listener{{53, "TCP", "TCP", 30053}}}},
		{"three ports of one number", testConfig,
			[]func(*Input){ports(tcp53, udp53, sctp53), ann(AnnEnableTCPUDPListener, "true")},
			result{Error: "annotation", Annotation: AnnEnableTCPUDPListener, Value: "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(tt.cfg, testInput(tt.mutate...))
			o := outcomeOf(err)
			got := result{Error: o.Error, Annotation: o.Annotation, Value: o.Value}
			if err == nil {
				for i, l := range s.Listeners {
					tg := s.TargetGroups[i]
					got.Listeners = append(got.Listeners, listener{l.Port, l.Protocol, tg.Protocol, tg.Port})
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSourceRangeFamilies: an IPv6 source range needs a dualstack load
// balancer, as in LBC; on an IPv4 one it would be the group's only rule.
func TestSourceRangeFamilies(t *testing.T) {
	type result struct {
		Rules                    []string
		Error, Annotation, Value string
	}
	spec := func(cidrs ...string) func(*Input) {
		return func(in *Input) { in.Service.Spec.LoadBalancerSourceRanges = cidrs }
	}
	tests := []struct {
		name   string
		mutate []func(*Input)
		want   result
	}{
		{"IPv4 ranges on IPv4", []func(*Input){spec("10.0.0.0/8")}, result{Rules: []string{"10.0.0.0/8"}}},
		{"an IPv6 range on IPv4, spec", []func(*Input){spec("10.0.0.0/8", "2600::/64")},
			result{Error: "annotation", Annotation: "spec.loadBalancerSourceRanges", Value: "2600::/64"}},
		{"an IPv6 range on IPv4, annotation", []func(*Input){ann(AnnSourceRanges, "2600::/64")},
			result{Error: "annotation", Annotation: AnnSourceRanges, Value: "2600::/64"}},
		{"an IPv6 range on dualstack", []func(*Input){spec("2600::/64"), ann(AnnIPAddressType, "dualstack")},
			result{Rules: []string{"2600::/64"}}},
		{"own security groups use no ranges", []func(*Input){spec("2600::/64"), ann(AnnSecurityGroups, "sg-1")},
			result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, testInput(tt.mutate...))
			o := outcomeOf(err)
			got := result{Error: o.Error, Annotation: o.Annotation, Value: o.Value}
			if err == nil && s.FrontendSG != nil {
				for _, r := range s.FrontendSG.Ingress {
					got.Rules = append(got.Rules, r.CIDR)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestServiceGates: the feature gates that change what a Service builds.
func TestServiceGates(t *testing.T) {
	type result struct {
		TargetType     string
		SecurityGroups bool // a managed frontend group
		Team           string
		Error          string
	}
	withGates := func(g Gates) Config {
		c := testConfig
		c.Gates = g
		return c
	}
	tests := []struct {
		name     string
		cfg      Config
		mutate   []func(*Input)
		existing string // the scheme of a load balancer the Service has
		noSGs    bool   // that load balancer has no security groups
		want     result
	}{
		{"defaults", testConfig, []func(*Input){ann(AnnAdditionalTags, "team=web")}, "", false,
			result{TargetType: "instance", SecurityGroups: true, Team: "net"}},
		{"annotation tags win with EnableDefaultTagsLowPriority", withGates(Gates{DefaultTagsLowPriority: true}),
			[]func(*Input){ann(AnnAdditionalTags, "team=web")}, "", false,
			result{TargetType: "instance", SecurityGroups: true, Team: "web"}},
		{"ip targets off", withGates(Gates{NoIPTargets: true}), []func(*Input){ann(AnnTargetType, "ip")}, "", false,
			result{Error: "annotation"}},
		{"ip targets off, legacy nlb-ip still ip, as LBC", withGates(Gates{NoIPTargets: true}),
			[]func(*Input){ann(AnnType, "nlb-ip")}, "", false,
			result{TargetType: "ip", SecurityGroups: true, Team: "net"}},
		{"no NLB security groups: a new load balancer has none", withGates(Gates{NoNLBSecurityGroups: true}), nil, "", false,
			result{TargetType: "instance", Team: "net"}},
		{"no NLB security groups, one without", withGates(Gates{NoNLBSecurityGroups: true}), nil, SchemeInternal, true,
			result{TargetType: "instance", Team: "net"}},
		{"no NLB security groups, one with them: refused", withGates(Gates{NoNLBSecurityGroups: true}), nil,
			SchemeInternal, false, result{Error: "invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(tt.mutate...)
			in.Facts.ExistingScheme, in.Facts.LoadBalancerWithoutSGs = tt.existing, tt.noSGs
			s, err := Build(tt.cfg, in)
			got := result{Error: outcomeOf(err).Error}
			if err == nil {
				got = result{TargetType: s.TargetGroups[0].TargetType, SecurityGroups: s.LoadBalancer.UseFrontendSG,
					Team: s.LoadBalancer.Tags["team"]}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTCPUDPIPTargets: a TCP_UDP target group made from a UDP port (listed
// first) finds its endpoints by that port's name.
func TestTCPUDPIPTargets(t *testing.T) {
	in := testInput(ann(AnnEnableTCPUDPListener, "true", AnnTargetType, "ip"), func(in *Input) {
		in.Service.Spec.Ports = []corev1.ServicePort{
			{Name: "dns-udp", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(5353)},
			{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(5353)}}
		udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
		in.EndpointSlices[0].Ports = []discoveryv1.EndpointPort{
			{Name: ptr.To("dns-udp"), Port: ptr.To[int32](5353), Protocol: &udp},
			{Name: ptr.To("dns-tcp"), Port: ptr.To[int32](5353), Protocol: &tcp}}
	})
	s, err := Build(testConfig, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Target{{ID: "10.0.1.5", Port: 5353}, {ID: "10.0.1.7", Port: 5353}}
	if diff := cmp.Diff(want, s.TargetGroups[0].Targets); diff != "" || s.TargetGroups[0].Protocol != "TCP_UDP" {
		t.Errorf("%s targets (-want +got):\n%s", s.TargetGroups[0].Protocol, diff)
	}
}
