package service

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kelb-dev/kelb/internal/model"
)

// attributeRule says which values one load balancer or target group
// attribute takes, as AWS documents it for network load balancers.
type attributeRule struct {
	allowed string // what the user is told
	valid   func(string) bool
}

func boolValue() attributeRule {
	return attributeRule{allowed: "true or false", valid: func(v string) bool { return v == "true" || v == "false" }}
}

func textValue() attributeRule {
	return attributeRule{allowed: "any text", valid: func(string) bool { return true }}
}

func intValue(lo, hi int) attributeRule {
	return attributeRule{allowed: fmt.Sprintf("an integer from %d to %d", lo, hi), valid: func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi && strconv.Itoa(n) == v
	}}
}

func intFrom(lo int) attributeRule {
	return attributeRule{allowed: fmt.Sprintf("an integer of at least %d", lo), valid: func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && strconv.Itoa(n) == v
	}}
}

func offOr(r attributeRule) attributeRule {
	return attributeRule{allowed: "off or " + r.allowed, valid: func(v string) bool { return v == "off" || r.valid(v) }}
}

func enumValue(values ...string) attributeRule {
	return attributeRule{allowed: strings.Join(values, ", "), valid: func(v string) bool {
		for _, a := range values {
			if v == a {
				return true
			}
		}
		return false
	}}
}

// loadBalancerAttributeRules are the attributes of a network load balancer
// (ELBv2 API reference, LoadBalancerAttribute: the keys for all load
// balancers, for ALBs and NLBs, and for NLBs only).
var loadBalancerAttributeRules = map[string]attributeRule{
	"deletion_protection.enabled":            boolValue(),
	"load_balancing.cross_zone.enabled":      boolValue(),
	"access_logs.s3.enabled":                 boolValue(),
	"access_logs.s3.bucket":                  textValue(),
	"access_logs.s3.prefix":                  textValue(),
	"ipv6.deny_all_igw_traffic":              boolValue(),
	"zonal_shift.config.enabled":             boolValue(),
	"dns_record.client_routing_policy":       enumValue("availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone"),
	"secondary_ips.auto_assigned.per_subnet": intValue(0, 7),
}

// targetGroupAttributeRules are the attributes of a network load balancer's
// target group (ELBv2 API reference, TargetGroupAttribute: the keys for all
// load balancers, for ALBs and NLBs, and for NLBs only, with NLB values).
var targetGroupAttributeRules = map[string]attributeRule{
	"deregistration_delay.timeout_seconds":                                           intValue(0, 3600),
	"deregistration_delay.connection_termination.enabled":                            boolValue(),
	"stickiness.enabled":                                                             boolValue(),
	"stickiness.type":                                                                enumValue("source_ip"),
	"load_balancing.cross_zone.enabled":                                              enumValue("true", "false", "use_load_balancer_configuration"),
	"target_group_health.dns_failover.minimum_healthy_targets.count":                 offOr(intFrom(1)),
	"target_group_health.dns_failover.minimum_healthy_targets.percentage":            offOr(intValue(1, 100)),
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      intFrom(1),
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": offOr(intValue(1, 100)),
	"preserve_client_ip.enabled":                                                     boolValue(),
	"proxy_protocol_v2.enabled":                                                      boolValue(),
	"target_health_state.unhealthy.connection_termination.enabled":                   boolValue(),
	"target_health_state.unhealthy.draining_interval_seconds":                        intValue(0, 360000),
}

// checkAttributes returns an *AnnotationError for the first unknown key or
// malformed value of attrs (in key order), naming the annotation, the key
// and what it accepts.
func checkAttributes(annotation, kind string, attrs map[string]string, rules map[string]attributeRule) error {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rule, ok := rules[k]
		if !ok {
			return &AnnotationError{Annotation: annotation, Value: k,
				Allowed: "attribute keys of " + kind + ": " + strings.Join(sortedKeys(rules), ", ")}
		}
		if v := attrs[k]; !rule.valid(v) {
			return &AnnotationError{Annotation: annotation, Value: k + "=" + v, Allowed: k + ": " + rule.allowed}
		}
	}
	return nil
}

func sortedKeys(rules map[string]attributeRule) []string {
	out := make([]string, 0, len(rules))
	for k := range rules {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadBalancerAttributesOf parses and checks the load balancer's
// attributes: the attributes annotation, overridden key by key by the
// deprecated annotations LBC still reads (legacyAttributes).
func loadBalancerAttributesOf(a annotations) (map[string]string, error) {
	attrs, err := a.keyValues(AnnAttributes)
	if err != nil {
		return nil, err
	}
	if err := checkAttributes(AnnAttributes, "network load balancers", attrs, loadBalancerAttributeRules); err != nil {
		return nil, err
	}
	legacy, err := legacyAttributes(a)
	if err != nil {
		return nil, err
	}
	if len(legacy) > 0 {
		attrs = model.MergeTags(attrs, legacy)
	}
	if attrs["access_logs.s3.enabled"] == "true" && attrs["access_logs.s3.bucket"] == "" {
		if legacy["access_logs.s3.enabled"] == "true" {
			return nil, &AnnotationError{Annotation: AnnAccessLogEnabled, Value: a[AnnAccessLogEnabled],
				Allowed: "true together with " + AnnAccessLogS3BucketName + " (or access_logs.s3.bucket in " +
					AnnAttributes + ")"}
		}
		return nil, &AnnotationError{Annotation: AnnAttributes, Value: "access_logs.s3.enabled=true",
			Allowed: "access_logs.s3.enabled=true together with access_logs.s3.bucket=<bucket name>"}
	}
	return attrs, nil
}

// legacyAttributes maps the deprecated attribute annotations as LBC does:
// access-log-enabled true sets access_logs.s3.enabled=true and, when they
// are set, the bucket and prefix from access-log-s3-bucket-name and
// -prefix (false, or unset, sets nothing and the bucket annotations are not
// read); cross-zone-load-balancing-enabled sets
// load_balancing.cross_zone.enabled either way. Both are booleans as Go
// parses them, an error otherwise.
func legacyAttributes(a annotations) (map[string]string, error) {
	out := map[string]string{}
	logs, _, err := a.optionalBool(AnnAccessLogEnabled)
	if err != nil {
		return nil, err
	}
	if logs {
		out["access_logs.s3.enabled"] = "true"
		if v, ok := a.value(AnnAccessLogS3BucketName); ok {
			out["access_logs.s3.bucket"] = v
		}
		if v, ok := a.value(AnnAccessLogS3BucketPrefix); ok {
			out["access_logs.s3.prefix"] = v
		}
	}
	crossZone, set, err := a.optionalBool(AnnCrossZoneEnabled)
	if err != nil {
		return nil, err
	}
	if set {
		out["load_balancing.cross_zone.enabled"] = strconv.FormatBool(crossZone)
	}
	return out, nil
}

// checkTargetGroupProtocol refuses attribute values AWS does not allow for
// the target group's protocol: client IP preservation cannot be turned off,
// nor connection termination for unhealthy targets on, for UDP.
func checkTargetGroupProtocol(attrs map[string]string, protocol string, port int32, source func(key string) string) error {
	if protocol != "UDP" && protocol != "TCP_UDP" {
		return nil
	}
	for _, bad := range []struct{ key, value string }{
		{"preserve_client_ip.enabled", "false"},
		{"target_health_state.unhealthy.connection_termination.enabled", "true"},
	} {
		if attrs[bad.key] == bad.value {
			return &AnnotationError{Annotation: source(bad.key), Value: bad.key + "=" + bad.value,
				Allowed: fmt.Sprintf("%s unset or not %s for UDP and TCP_UDP target groups (port %d is %s)",
					bad.key, bad.value, port, protocol)}
		}
	}
	return nil
}
