package ingress

import (
	"strconv"

	"github.com/kelb-dev/kelb/internal/service"
)

// loadBalancerAttributeRules are the attributes of an application load
// balancer (ELBv2 API reference, LoadBalancerAttribute: the keys for all
// load balancers, for ALBs and NLBs, and for ALBs only), checked before any
// AWS call so that AWS never refuses them.
var loadBalancerAttributeRules = map[string]service.AttributeRule{
	"deletion_protection.enabled":                                   service.BoolAttribute(),
	"load_balancing.cross_zone.enabled":                             service.BoolAttribute(),
	"access_logs.s3.enabled":                                        service.BoolAttribute(),
	"access_logs.s3.bucket":                                         service.TextAttribute(),
	"access_logs.s3.prefix":                                         service.TextAttribute(),
	"ipv6.deny_all_igw_traffic":                                     service.BoolAttribute(),
	"zonal_shift.config.enabled":                                    service.BoolAttribute(),
	"idle_timeout.timeout_seconds":                                  service.IntAttribute(1, 4000),
	"client_keep_alive.seconds":                                     service.IntAttribute(60, 604800),
	"connection_logs.s3.enabled":                                    service.BoolAttribute(),
	"connection_logs.s3.bucket":                                     service.TextAttribute(),
	"connection_logs.s3.prefix":                                     service.TextAttribute(),
	"health_check_logs.s3.enabled":                                  service.BoolAttribute(),
	"health_check_logs.s3.bucket":                                   service.TextAttribute(),
	"health_check_logs.s3.prefix":                                   service.TextAttribute(),
	"routing.http.desync_mitigation_mode":                           service.EnumAttribute("monitor", "defensive", "strictest"),
	"routing.http.drop_invalid_header_fields.enabled":               service.BoolAttribute(),
	"routing.http.preserve_host_header.enabled":                     service.BoolAttribute(),
	"routing.http.x_amzn_tls_version_and_cipher_suite.enabled":      service.BoolAttribute(),
	"routing.http.xff_client_port.enabled":                          service.BoolAttribute(),
	"routing.http.xff_header_processing.mode":                       service.EnumAttribute("append", "preserve", "remove"),
	"routing.http2.enabled":                                         service.BoolAttribute(),
	"waf.fail_open.enabled":                                         service.BoolAttribute(),
	"routing.http.x_amzn_mtls_clientcert_serial_number.header_name": service.TextAttribute(),
}

// targetGroupAttributeRules are the attributes of an application load
// balancer's target group with instance or ip targets.
var targetGroupAttributeRules = map[string]service.AttributeRule{
	"deregistration_delay.timeout_seconds":                                           service.IntAttribute(0, 3600),
	"stickiness.enabled":                                                             service.BoolAttribute(),
	"stickiness.type":                                                                service.EnumAttribute("lb_cookie", "app_cookie"),
	"stickiness.lb_cookie.duration_seconds":                                          service.IntAttribute(1, 604800),
	"stickiness.app_cookie.cookie_name":                                              service.TextAttribute(),
	"stickiness.app_cookie.duration_seconds":                                         service.IntAttribute(1, 604800),
	"load_balancing.algorithm.type":                                                  service.EnumAttribute("round_robin", "least_outstanding_requests", "weighted_random"),
	"load_balancing.algorithm.anomaly_mitigation":                                    service.EnumAttribute("on", "off"),
	"load_balancing.cross_zone.enabled":                                              service.EnumAttribute("true", "false", "use_load_balancer_configuration"),
	"slow_start.duration_seconds":                                                    slowStart(),
	"target_group_health.dns_failover.minimum_healthy_targets.count":                 service.OffOrAttribute(service.IntFromAttr(1)),
	"target_group_health.dns_failover.minimum_healthy_targets.percentage":            service.OffOrAttribute(service.IntAttribute(1, 100)),
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      service.IntFromAttr(1),
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": service.OffOrAttribute(service.IntAttribute(1, 100)),
}

// slowStart is 0 (off) or 30 to 900 seconds.
func slowStart() service.AttributeRule {
	r := service.IntAttribute(30, 900)
	return service.NewAttributeRule("0 (off), or an integer from 30 to 900", func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && strconv.Itoa(n) == v && (n == 0 || r.Valid(v))
	})
}
