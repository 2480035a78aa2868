// Package service turns a Service of type LoadBalancer, its endpoints or
// nodes, and resolved AWS facts into the desired model.Stack. Everything here
// is pure: no clients, no clock, no I/O.
package service

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/kelb-dev/kelb/internal/conditions"
)

// Annotation names (LBC's).
const (
	Prefix                    = "service.beta.kubernetes.io/aws-load-balancer-"
	AnnType                   = Prefix + "type"
	AnnTargetType             = Prefix + "nlb-target-type"
	AnnName                   = Prefix + "name"
	AnnScheme                 = Prefix + "scheme"
	AnnInternal               = Prefix + "internal"
	AnnIPAddressType          = Prefix + "ip-address-type"
	AnnSubnets                = Prefix + "subnets"
	AnnAttributes             = Prefix + "attributes"
	AnnAdditionalTags         = Prefix + "additional-resource-tags"
	AnnSSLCert                = Prefix + "ssl-cert"
	AnnSSLPorts               = Prefix + "ssl-ports"
	AnnSSLPolicy              = Prefix + "ssl-negotiation-policy"
	AnnALPNPolicy             = Prefix + "alpn-policy"
	AnnBackendProtocol        = Prefix + "backend-protocol"
	AnnProxyProtocol          = Prefix + "proxy-protocol"
	AnnTargetGroupAttributes  = Prefix + "target-group-attributes"
	AnnHCProtocol             = Prefix + "healthcheck-protocol"
	AnnHCPort                 = Prefix + "healthcheck-port"
	AnnHCPath                 = Prefix + "healthcheck-path"
	AnnHCHealthyThreshold     = Prefix + "healthcheck-healthy-threshold"
	AnnHCUnhealthyThreshold   = Prefix + "healthcheck-unhealthy-threshold"
	AnnHCTimeout              = Prefix + "healthcheck-timeout"
	AnnHCInterval             = Prefix + "healthcheck-interval"
	AnnHCSuccessCodes         = Prefix + "healthcheck-success-codes"
	AnnTargetNodeLabels       = Prefix + "target-node-labels"
	AnnSecurityGroups         = Prefix + "security-groups"
	AnnManageBackendSGRules   = Prefix + "manage-backend-security-group-rules"
	AnnSourceRanges           = "service.beta.kubernetes.io/load-balancer-source-ranges"
	AnnNLBDisableSG           = Prefix + "disable-nlb-sg"
	AnnInboundPrivateLinkRule = Prefix + "inbound-sg-rules-on-private-link-traffic"
	AnnEnableTCPUDPListener   = Prefix + "enable-tcp-udp-listener"
	AnnSGPrefixLists          = Prefix + "security-group-prefix-lists"
	AnnICMPPathMTUDiscovery   = Prefix + "enable-icmp-for-path-mtu-discovery"
	AnnMinimumCapacity        = Prefix + "minimum-load-balancer-capacity"
	AnnProxyProtocolPerTG     = Prefix + "proxy-protocol-per-target-group"

	// Deprecated attribute annotations (LBC still reads them, and they win
	// over the attributes annotation for the keys they set).
	AnnAccessLogEnabled        = Prefix + "access-log-enabled"
	AnnAccessLogS3BucketName   = Prefix + "access-log-s3-bucket-name"
	AnnAccessLogS3BucketPrefix = Prefix + "access-log-s3-bucket-prefix"
	AnnCrossZoneEnabled        = Prefix + "cross-zone-load-balancing-enabled"
	// AnnAccessLogEmitInterval is the in-tree provider's (Classic Load
	// Balancers only); network load balancers have no such setting, and LBC
	// and kelb ignore it.
	AnnAccessLogEmitInterval = Prefix + "access-log-emit-interval"
)

// ErrInvalid marks a Service that kelb cannot serve as it is written: a
// terminal error, which waits for an edit of the Service.
var ErrInvalid error = &conditions.TerminalError{Reason: conditions.ReasonInvalidConfiguration,
	Message: "invalid Service"}

// AnnotationError says which annotation is wrong and what it accepts.
// Nothing changes in AWS for the Service until it is fixed.
type AnnotationError struct {
	Annotation string
	Value      string
	Allowed    string
	// External: the value names something AWS may come to have without the
	// Service changing (a subnet created or tagged), so it is retried;
	// otherwise only an edit of the Service can fix it.
	External bool
}

func (e *AnnotationError) Error() string {
	return fmt.Sprintf("annotation %s: invalid value %q; allowed: %s", e.Annotation, e.Value, e.Allowed)
}

// As shows the error as the controllers' one terminal-error type, unless
// the outside world may yet fix it (External), which is retried instead.
func (e *AnnotationError) As(target any) bool {
	te, ok := target.(**conditions.TerminalError)
	if !ok || e.External {
		return false
	}
	*te = &conditions.TerminalError{Reason: conditions.ReasonInvalidConfiguration, Field: e.Annotation, Value: e.Value,
		Allowed: e.Allowed, Message: e.Error()}
	return true
}

// annotations reads typed values from a Service's annotations the way LBC's
// annotation parser does, so that a Service means the same to both: values
// are taken as written (no trimming, an empty value is a value), booleans are
// Go's (true, false, 1, 0, t, f, TRUE, True, ...), enums are case-sensitive
// unless LBC compares them otherwise, and lists and maps split on commas and
// drop empty items.
type annotations map[string]string

// value returns the annotation as written and whether it is set.
func (a annotations) value(key string) (string, bool) {
	v, ok := a[key]
	return v, ok
}

// str returns the annotation as written, or def when it is not set.
func (a annotations) str(key, def string) string {
	if v, ok := a[key]; ok {
		return v
	}
	return def
}

// enum returns the annotation if it is exactly one of allowed, def when it
// is not set. Anything else, an empty value or another case included, is an
// *AnnotationError naming the allowed values.
func (a annotations) enum(key, def string, allowed ...string) (string, error) {
	v, ok := a[key]
	if !ok {
		return def, nil
	}
	if slices.Contains(allowed, v) {
		return v, nil
	}
	return "", &AnnotationError{Annotation: key, Value: v, Allowed: strings.Join(allowed, ", ")}
}

// enumFold is enum for the annotations LBC compares without regard to case
// (healthcheck-protocol): the value is returned in the spelling of allowed.
func (a annotations) enumFold(key, def string, allowed ...string) (string, error) {
	v, ok := a[key]
	if !ok {
		return def, nil
	}
	for _, al := range allowed {
		if strings.EqualFold(v, al) {
			return al, nil
		}
	}
	return "", &AnnotationError{Annotation: key, Value: v, Allowed: strings.Join(allowed, ", ") + " (any case)"}
}

// boolAllowed is what a boolean annotation takes: Go's ParseBool, as LBC.
const boolAllowed = "true, false (also 1, 0, t, f, T, F, TRUE, FALSE, True, False)"

// optionalBool returns the annotation's boolean value and whether it is set.
func (a annotations) optionalBool(key string) (value, set bool, err error) {
	v, ok := a[key]
	if !ok {
		return false, false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, true, &AnnotationError{Annotation: key, Value: v, Allowed: boolAllowed}
	}
	return b, true, nil
}

func (a annotations) boolean(key string, def bool) (bool, error) {
	b, set, err := a.optionalBool(key)
	if err != nil || !set {
		return def, err
	}
	return b, nil
}

// int32In parses an integer annotation and checks it against the range AWS
// allows, so that AWS never refuses it.
func (a annotations) int32In(key string, def, lo, hi int32) (int32, error) {
	v, ok := a[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || int32(n) < lo || int32(n) > hi {
		return 0, &AnnotationError{Annotation: key, Value: v, Allowed: fmt.Sprintf("an integer from %d to %d", lo, hi)}
	}
	return int32(n), nil
}

// list splits a comma-separated value, trimming items and dropping empty
// ones.
func (a annotations) list(key string) []string {
	var out []string
	for _, s := range strings.Split(a[key], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// keyValues parses "k1=v1,k2=v2" as LBC does: each item is trimmed, split at
// its first "=", and key and value are then taken as written ("k = v" is key
// "k " and value " v"), so that tags and attributes are the ones LBC sends.
func (a annotations) keyValues(key string) (map[string]string, error) {
	items := a.list(key)
	if len(items) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(items))
	for _, item := range items {
		k, v, ok := strings.Cut(item, "=")
		if !ok || k == "" {
			return nil, &AnnotationError{Annotation: key, Value: a[key], Allowed: "comma-separated key=value pairs"}
		}
		out[k] = v
	}
	return out, nil
}

// cidrs parses a list of CIDRs from an annotation or spec field.
func parseCIDRs(field string, items []string) ([]string, error) {
	var out []string
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, &AnnotationError{Annotation: field, Value: s, Allowed: "IPv4 or IPv6 CIDRs such as 10.0.0.0/16"}
		}
		out = append(out, p.Masked().String())
	}
	return out, nil
}
