package ingress

import (
	"fmt"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/service"
)

// AnnListenerAttributesPrefix starts the per-listener attribute annotations:
// "<prefix>.<protocol>-<port>", e.g. "...listener-attributes.HTTP-80:
// routing.http.response.server.enabled=false".
const AnnListenerAttributesPrefix = Prefix + "listener-attributes"

// listenerAttributeRules are the attributes of application load balancer
// listeners (ELBv2 API reference, ListenerAttribute); the header-name ones
// rename headers ALB adds, the header-value ones set response headers.
var listenerAttributeRules = map[string]service.AttributeRule{
	"routing.http.response.server.enabled":                                  service.BoolAttribute(),
	"routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name": service.TextAttribute(),
	"routing.http.request.x_amzn_mtls_clientcert_issuer.header_name":        service.TextAttribute(),
	"routing.http.request.x_amzn_mtls_clientcert_subject.header_name":       service.TextAttribute(),
	"routing.http.request.x_amzn_mtls_clientcert_validity.header_name":      service.TextAttribute(),
	"routing.http.request.x_amzn_mtls_clientcert_leaf.header_name":          service.TextAttribute(),
	"routing.http.request.x_amzn_mtls_clientcert.header_name":               service.TextAttribute(),
	"routing.http.request.x_amzn_tls_version.header_name":                   service.TextAttribute(),
	"routing.http.request.x_amzn_tls_cipher_suite.header_name":              service.TextAttribute(),
	"routing.http.response.strict_transport_security.header_value":          service.TextAttribute(),
	"routing.http.response.access_control_allow_origin.header_value":        service.TextAttribute(),
	"routing.http.response.access_control_allow_methods.header_value":       service.TextAttribute(),
	"routing.http.response.access_control_allow_headers.header_value":       service.TextAttribute(),
	"routing.http.response.access_control_allow_credentials.header_value":   service.EnumAttribute("true"),
	"routing.http.response.access_control_expose_headers.header_value":      service.TextAttribute(),
	"routing.http.response.access_control_max_age.header_value":             service.TextAttribute(),
	"routing.http.response.content_security_policy.header_value":            service.TextAttribute(),
	"routing.http.response.x_content_type_options.header_value":             service.EnumAttribute("nosniff"),
	"routing.http.response.x_frame_options.header_value":                    service.TextAttribute(),
}

// listenerAttributesOf are a listener's attributes: those of the class's
// params listener of the same protocol and port, else the Ingress's
// annotation for it; nil when none is asked for (others stay as AWS has
// them).
func listenerAttributesOf(a service.Annotations, p *elbv2.IngressClassParams, protocol string, port int32) (
	map[string]string, error) {
	key := fmt.Sprintf("%s.%s-%d", AnnListenerAttributesPrefix, protocol, port)
	var attrs map[string]string
	if p != nil {
		for _, l := range p.Spec.Listeners {
			if l.Protocol != protocol || l.Port != port {
				continue
			}
			key, attrs = paramsField(p.Name, fmt.Sprintf("listeners[%s:%d].listenerAttributes", protocol, port)),
				map[string]string{}
			for _, at := range l.ListenerAttributes {
				attrs[at.Key] = at.Value
			}
		}
	}
	if attrs == nil {
		var err error
		if attrs, err = a.KeyValues(key); err != nil {
			return nil, err
		}
	}
	if len(attrs) == 0 {
		return nil, nil
	}
	return attrs, service.CheckAttributes(key, "application load balancer listeners", attrs, listenerAttributeRules)
}
