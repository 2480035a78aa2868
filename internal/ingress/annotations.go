package ingress

import (
	"fmt"

	"github.com/kelb-dev/kelb/internal/service"
)

// Annotation names (LBC's). The per-backend ones (target group and health
// check settings) may also be set on the backend Service, which then wins
// over the Ingress.
const (
	Prefix = "alb.ingress.kubernetes.io/"

	AnnLoadBalancerName       = Prefix + "load-balancer-name"
	AnnScheme                 = Prefix + "scheme"
	AnnIPAddressType          = Prefix + "ip-address-type"
	AnnSubnets                = Prefix + "subnets"
	AnnLoadBalancerAttributes = Prefix + "load-balancer-attributes"
	AnnTags                   = Prefix + "tags"
	AnnSecurityGroups         = Prefix + "security-groups"
	AnnInboundCIDRs           = Prefix + "inbound-cidrs"
	AnnSGPrefixLists          = Prefix + "security-group-prefix-lists"
	AnnManageBackendSGRules   = Prefix + "manage-backend-security-group-rules"
	AnnListenPorts            = Prefix + "listen-ports"
	AnnSSLRedirect            = Prefix + "ssl-redirect"
	AnnCertificateARN         = Prefix + "certificate-arn"
	AnnSSLPolicy              = Prefix + "ssl-policy"
	AnnUseRegexPathMatch      = Prefix + "use-regex-path-match"
	AnnTransformsPrefix       = Prefix + "transforms."

	// Per backend (Service annotation over Ingress annotation).
	AnnTargetType              = Prefix + "target-type"
	AnnBackendProtocol         = Prefix + "backend-protocol"
	AnnBackendProtocolVersion  = Prefix + "backend-protocol-version"
	AnnTargetGroupAttributes   = Prefix + "target-group-attributes"
	AnnTargetNodeLabels        = Prefix + "target-node-labels"
	AnnMultiClusterTargetGroup = Prefix + "multi-cluster-target-group"
	AnnHCPort                  = Prefix + "healthcheck-port"
	AnnHCProtocol              = Prefix + "healthcheck-protocol"
	AnnHCPath                  = Prefix + "healthcheck-path"
	AnnHCIntervalSeconds       = Prefix + "healthcheck-interval-seconds"
	AnnHCTimeoutSeconds        = Prefix + "healthcheck-timeout-seconds"
	AnnHCHealthyThreshold      = Prefix + "healthy-threshold-count"
	AnnHCUnhealthyThreshold    = Prefix + "unhealthy-threshold-count"
	AnnHCSuccessCodes          = Prefix + "success-codes"
	useAnnotationPortName      = "use-annotation"
	defaultSSLPolicy           = "ELBSecurityPolicy-2016-08"
	healthCheckTrafficPort     = "traffic-port"
	defaultHealthCheckPathGRPC = "/AWS.ALB/healthcheck"
)

// AnnotationError is the Service package's: it names the annotation (or
// IngressClassParams field), the value and what is allowed, and says
// whether AWS may come to satisfy it without an edit (External).
type AnnotationError = service.AnnotationError

// FieldError says which field of the Ingress spec is wrong and why. Nothing
// changes in AWS for the Ingress until it is fixed, unless External: the
// field names something that may come to exist (a Service, a port).
type FieldError struct {
	Field    string
	Value    string
	Allowed  string
	External bool
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: invalid value %q; allowed: %s", e.Field, e.Value, e.Allowed)
}

// paramsField names a field of the class's IngressClassParams in errors.
func paramsField(name, field string) string {
	return "IngressClassParams " + name + " spec." + field
}
