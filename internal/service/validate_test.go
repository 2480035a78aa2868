package service

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// outcome is what a test compares of a build: the attributes or matcher it
// produced, or which error it gave.
type outcome struct {
	Attributes map[string]string
	Matcher    string
	Error      string            // "annotation", "invalid", "certificate" or ""
	Annotation string            // of an *AnnotationError
	Value      string            // of an *AnnotationError, or the ARN of a *CertificateError
	External   bool              // of an *AnnotationError
	Status     CertificateStatus // of a *CertificateError
}

func outcomeOf(err error) outcome {
	var annErr *AnnotationError
	var certErr *CertificateError
	switch {
	case err == nil:
		return outcome{}
	case errors.As(err, &annErr):
		return outcome{Error: "annotation", Annotation: annErr.Annotation, Value: annErr.Value, External: annErr.External}
	case errors.As(err, &certErr):
		return outcome{Error: "certificate", Value: certErr.ARN, Status: certErr.Status}
	case errors.Is(err, ErrInvalid):
		return outcome{Error: "invalid"}
	}
	return outcome{Error: err.Error()}
}

func TestLoadBalancerAttributes(t *testing.T) {
	tests := []struct {
		name, value string
		want        outcome
		mentions    string // in the error's text: the allowed values
	}{
		{"every NLB key", "deletion_protection.enabled=true,load_balancing.cross_zone.enabled=false," +
			"access_logs.s3.enabled=true,access_logs.s3.bucket=logs,access_logs.s3.prefix=nlb," +
			"ipv6.deny_all_igw_traffic=true,zonal_shift.config.enabled=false," +
			"dns_record.client_routing_policy=partial_availability_zone_affinity," +
			"secondary_ips.auto_assigned.per_subnet=7",
			outcome{Attributes: map[string]string{"deletion_protection.enabled": "true",
				"load_balancing.cross_zone.enabled": "false", "access_logs.s3.enabled": "true",
				"access_logs.s3.bucket": "logs", "access_logs.s3.prefix": "nlb", "ipv6.deny_all_igw_traffic": "true",
				"zonal_shift.config.enabled": "false", "dns_record.client_routing_policy": "partial_availability_zone_affinity",
				"secondary_ips.auto_assigned.per_subnet": "7"}}, ""},
		{"an ALB key", "idle_timeout.timeout_seconds=60",
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "idle_timeout.timeout_seconds"},
			"deletion_protection.enabled"},
		{"a typo in a key", "deletion_protection.enable=true",
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "deletion_protection.enable"},
			"load_balancing.cross_zone.enabled"},
		{"not a boolean", "load_balancing.cross_zone.enabled=yes",
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "load_balancing.cross_zone.enabled=yes"},
			"true or false"},
		{"unknown routing policy", "dns_record.client_routing_policy=closest",
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "dns_record.client_routing_policy=closest"},
			"any_availability_zone"},
		{"too many secondary addresses", "secondary_ips.auto_assigned.per_subnet=8",
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "secondary_ips.auto_assigned.per_subnet=8"},
			"from 0 to 7"},
		{"access logs without a bucket", "access_logs.s3.enabled=true",
			outcome{Error: "annotation", Annotation: AnnAttributes, Value: "access_logs.s3.enabled=true"},
			"access_logs.s3.bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, testInput(ann(AnnAttributes, tt.value)))
			got := outcomeOf(err)
			if err == nil {
				got.Attributes = s.LoadBalancer.Attributes
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err != nil && !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("error %q does not name the allowed values %q", err, tt.mentions)
			}
		})
	}
}

func TestTargetGroupAttributes(t *testing.T) {
	udp := func(in *Input) { in.Service.Spec.Ports[0].Protocol = corev1.ProtocolUDP }
	tests := []struct {
		name, value string
		mutate      func(*Input)
		want        outcome
		mentions    string
	}{
		{"NLB keys", "deregistration_delay.timeout_seconds=0,deregistration_delay.connection_termination.enabled=true," +
			"stickiness.enabled=true,stickiness.type=source_ip,load_balancing.cross_zone.enabled=use_load_balancer_configuration," +
			"target_group_health.dns_failover.minimum_healthy_targets.count=off," +
			"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage=50," +
			"preserve_client_ip.enabled=false,target_health_state.unhealthy.draining_interval_seconds=360000", nil,
			outcome{Attributes: map[string]string{"deregistration_delay.timeout_seconds": "0",
				"deregistration_delay.connection_termination.enabled": "true", "stickiness.enabled": "true",
				"stickiness.type": "source_ip", "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
				"target_group_health.dns_failover.minimum_healthy_targets.count":                 "off",
				"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "50",
				"preserve_client_ip.enabled": "false", "target_health_state.unhealthy.draining_interval_seconds": "360000"}}, ""},
		{"an ALB key", "stickiness.lb_cookie.duration_seconds=60", nil,
			outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes, Value: "stickiness.lb_cookie.duration_seconds"},
			"proxy_protocol_v2.enabled"},
		{"an ALB stickiness type", "stickiness.type=lb_cookie", nil,
			outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes, Value: "stickiness.type=lb_cookie"},
			"source_ip"},
		{"deregistration delay over an hour", "deregistration_delay.timeout_seconds=3601", nil,
			outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes, Value: "deregistration_delay.timeout_seconds=3601"},
			"from 0 to 3600"},
		{"a percentage of 0", "target_group_health.dns_failover.minimum_healthy_targets.percentage=0", nil,
			outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes,
				Value: "target_group_health.dns_failover.minimum_healthy_targets.percentage=0"}, "off or an integer from 1 to 100"},
		{"client IP preservation off for UDP", "preserve_client_ip.enabled=false", udp,
			outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes, Value: "preserve_client_ip.enabled=false"},
			"port 80 is UDP"},
		{"unhealthy connection termination for UDP", "target_health_state.unhealthy.connection_termination.enabled=true", udp,
			outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes,
				Value: "target_health_state.unhealthy.connection_termination.enabled=true"}, "UDP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(ann(AnnTargetGroupAttributes, tt.value))
			if tt.mutate != nil {
				tt.mutate(&in)
			}
			s, err := Build(testConfig, in)
			got := outcomeOf(err)
			if err == nil {
				got.Attributes = s.TargetGroups[0].Attributes
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err != nil && !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("error %q does not name the allowed values %q", err, tt.mentions)
			}
		})
	}
}

func TestHealthCheckMatcher(t *testing.T) {
	bad := func(v string) outcome {
		return outcome{Error: "annotation", Annotation: AnnHCSuccessCodes, Value: v}
	}
	tests := []struct {
		protocol, codes string
		want            outcome
	}{
		{"HTTP", "", outcome{Matcher: "200-399"}},
		{"HTTP", "200", outcome{Matcher: "200"}},
		{"HTTPS", "200-599", outcome{Matcher: "200-599"}},
		{"HTTP", "200,202,300-399", outcome{Matcher: "200,202,300-399"}},
		{"HTTP", "199", bad("199")},
		{"HTTP", "200-600", bad("200-600")},
		{"HTTP", "300-200", bad("300-200")},
		{"HTTP", "2xx", bad("2xx")},
		{"HTTP", "200,", bad("200,")},
		{"HTTP", "0200", bad("0200")},
		{"TCP", "2xx", outcome{}}, // TCP health checks have no matcher
	}
	for _, tt := range tests {
		t.Run(tt.protocol+" "+tt.codes, func(t *testing.T) {
			kv := []string{AnnHCProtocol, tt.protocol}
			if tt.codes != "" {
				kv = append(kv, AnnHCSuccessCodes, tt.codes)
			}
			s, err := Build(testConfig, testInput(ann(kv...)))
			got := outcomeOf(err)
			if err == nil {
				got.Matcher = s.TargetGroups[0].HealthCheck.Matcher
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// withPorts gives the Service n TCP ports from 1001, and a UDP port of the
// same number for the first udp of them.
func withPorts(n, udp int) func(*Input) {
	return func(in *Input) {
		in.Service.Spec.Ports = nil
		for i := 0; i < n; i++ {
			p := corev1.ServicePort{Name: fmt.Sprintf("t%d", i), Port: int32(1001 + i), NodePort: int32(30001 + i),
				Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}
			in.Service.Spec.Ports = append(in.Service.Spec.Ports, p)
			if i < udp {
				p.Name, p.Protocol = fmt.Sprintf("u%d", i), corev1.ProtocolUDP
				in.Service.Spec.Ports = append(in.Service.Spec.Ports, p)
			}
		}
	}
}

func withRanges(n int) func(*Input) {
	return func(in *Input) {
		for i := 0; i < n; i++ {
			in.Service.Spec.LoadBalancerSourceRanges = append(in.Service.Spec.LoadBalancerSourceRanges,
				fmt.Sprintf("10.%d.0.0/16", i))
		}
	}
}

// TestQuotas: more listeners than a load balancer takes, or more frontend
// rules than a security group takes, are found before anything is made.
func TestQuotas(t *testing.T) {
	type counts struct {
		Listeners, Rules int
		Error            string
	}
	tests := []struct {
		name   string
		cfg    Config
		mutate []func(*Input)
		want   counts
	}{
		{"50 listeners", testConfig, []func(*Input){withPorts(50, 0), ann(AnnSecurityGroups, "sg-1")}, counts{50, 0, ""}},
		{"51 listeners", testConfig, []func(*Input){withPorts(51, 0), ann(AnnSecurityGroups, "sg-1")}, counts{Error: "invalid"}},
		{"TCP and UDP of one number are one listener", testConfig,
			[]func(*Input){withPorts(50, 50), ann(AnnSecurityGroups, "sg-1"), ann(AnnEnableTCPUDPListener, "true")}, counts{50, 0, ""}},
		{"60 frontend rules", testConfig, []func(*Input){withPorts(20, 0), withRanges(3)}, counts{20, 60, ""}},
		{"63 frontend rules", testConfig, []func(*Input){withPorts(20, 1), withRanges(3), ann(AnnEnableTCPUDPListener, "true")}, counts{Error: "invalid"}},
		{"IPv4 and IPv6 rules count apart", testConfig,
			[]func(*Input){withPorts(30, 30), ann(AnnIPAddressType, "dualstack"), ann(AnnEnableTCPUDPListener, "true")}, counts{30, 120, ""}},
		{"a raised quota", Config{ClusterName: "prod", DefaultTargetType: TargetInstance, RulesPerSecurityGroup: 100},
			[]func(*Input){withPorts(20, 1), withRanges(3), ann(AnnEnableTCPUDPListener, "true")}, counts{20, 63, ""}},
		{"own security groups are the user's to size", testConfig,
			[]func(*Input){withPorts(20, 1), withRanges(3), ann(AnnSecurityGroups, "sg-1"), ann(AnnEnableTCPUDPListener, "true")}, counts{20, 0, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(tt.cfg, testInput(tt.mutate...))
			got := counts{Error: outcomeOf(err).Error}
			if err == nil {
				got.Listeners = len(s.Listeners)
				if s.FrontendSG != nil {
					got.Rules = len(s.FrontendSG.Ingress)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
