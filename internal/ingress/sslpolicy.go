package ingress

import (
	"slices"
	"strings"
)

// checkSSLPolicy refuses an SSL policy that AWS does not offer application
// load balancers, naming where it came from (the ssl-policy annotation, the
// IngressClassParams' sslPolicy, or --default-ssl-policy) and the policies
// allowed, so that nothing changes in AWS (LBC lets CreateListener refuse
// it, after the load balancer and target groups were made). known nil means
// the policies were not looked up: no HTTPS listener uses one.
func checkSSLPolicy(s listenerSettings, known []string) error {
	if known == nil || slices.Contains(known, s.sslPolicy) {
		return nil
	}
	allowed := "an SSL policy AWS offers application load balancers: " + strings.Join(known, ", ")
	if s.sslPolicyField == "" {
		return &FieldError{Field: "flag --default-ssl-policy", Value: s.sslPolicy,
			Allowed: allowed + " (or set " + AnnSSLPolicy + " on the Ingress)"}
	}
	return &AnnotationError{Annotation: s.sslPolicyField, Value: s.sslPolicy, Allowed: allowed}
}

// needsSSLPolicies reports whether the listeners use an SSL policy: some
// listener is HTTPS.
func needsSSLPolicies(s listenerSettings) bool {
	for _, protocol := range s.ports {
		if protocol == ProtocolHTTPS {
			return true
		}
	}
	return false
}
