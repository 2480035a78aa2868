package service

import (
	"fmt"
	"strconv"

	"github.com/kelb-dev/kelb/internal/model"
)

// AnnListenerAttributesPrefix starts the per-listener attribute annotations
// (LBC's): "<prefix>.<protocol>-<port>", e.g. "...listener-attributes.TCP-80:
// tcp.idle_timeout.seconds=400".
const AnnListenerAttributesPrefix = Prefix + "listener-attributes"

// listenerAttributeRules are the network load balancer listener attributes
// AWS has, with the listener protocols that take them and their values.
var listenerAttributeRules = map[string]struct {
	protocols map[string]bool
	lo, hi    int
}{
	"tcp.idle_timeout.seconds": {protocols: map[string]bool{"TCP": true, "TCP_UDP": true}, lo: 60, hi: 6000},
}

// listenerAttributesOf reads the listener's attribute annotation, keyed by
// the listener's protocol and port as LBC keys it. Annotations naming no
// listener of the Service are not read, as LBC does not read them.
func listenerAttributesOf(a annotations, l model.Listener) (map[string]string, error) {
	key := fmt.Sprintf("%s.%s-%d", AnnListenerAttributesPrefix, l.Protocol, l.Port)
	attrs, err := a.keyValues(key)
	if err != nil || len(attrs) == 0 {
		return nil, err
	}
	for k, v := range attrs {
		rule, ok := listenerAttributeRules[k]
		if !ok {
			return nil, &AnnotationError{Annotation: key, Value: k, Allowed: "tcp.idle_timeout.seconds"}
		}
		if !rule.protocols[l.Protocol] {
			return nil, &AnnotationError{Annotation: key, Value: k,
				Allowed: "no attribute for a " + l.Protocol + " listener (" + k + " is for TCP and TCP_UDP listeners)"}
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < rule.lo || n > rule.hi {
			return nil, &AnnotationError{Annotation: key, Value: k + "=" + v,
				Allowed: fmt.Sprintf("%s=<integer from %d to %d>", k, rule.lo, rule.hi)}
		}
	}
	return attrs, nil
}
