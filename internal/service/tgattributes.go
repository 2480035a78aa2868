package service

import (
	"maps"
	"strconv"
	"strings"
)

const attrProxyProtocolV2 = "proxy_protocol_v2.enabled"

// portAttributesAnnotation is LBC's per-port form of target-group-attributes:
// target-group-attributes.<service port>.
func portAttributesAnnotation(port int32) string {
	return AnnTargetGroupAttributes + "." + strconv.Itoa(int(port))
}

// portTargetGroupAttributes are the attributes of the target group of one
// Service port, as LBC builds them: target-group-attributes, then
// target-group-attributes.<port> over it (a key with an empty value there
// keeps the shared value), then proxy-protocol-per-target-group (the listed
// ports get proxy protocol v2, every other port has it off), then
// proxy-protocol "*" (on for every port). nil when none is asked for:
// attributes nobody asks for stay as AWS has them.
func portTargetGroupAttributes(a annotations, base map[string]string, port int32) (map[string]string, error) {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	key := portAttributesAnnotation(port)
	perPort, err := a.keyValues(key)
	if err != nil {
		return nil, err
	}
	for k, v := range perPort {
		if v == "" {
			delete(perPort, k)
		}
	}
	if err := checkAttributes(key, "network load balancer target groups", perPort, targetGroupAttributeRules); err != nil {
		return nil, err
	}
	maps.Copy(out, perPort)
	if _, ok := a.value(AnnProxyProtocolPerTG); ok {
		on := "false"
		for _, item := range strings.Split(a[AnnProxyProtocolPerTG], ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			n, err := strconv.Atoi(item)
			if err != nil {
				return nil, &AnnotationError{Annotation: AnnProxyProtocolPerTG, Value: item,
					Allowed: "comma-separated Service port numbers"}
			}
			if n == int(port) {
				on = "true"
			}
		}
		out[attrProxyProtocolV2] = on
	}
	if _, ok := a.value(AnnProxyProtocol); ok { // "*": checked with the shared attributes
		out[attrProxyProtocolV2] = "true"
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// attributeSource returns which annotation sets an attribute of the port's
// target group, to name it in an error.
func attributeSource(a annotations, port int32) func(key string) string {
	return func(attr string) string {
		perPort, _ := a.keyValues(portAttributesAnnotation(port))
		if perPort[attr] != "" {
			return portAttributesAnnotation(port)
		}
		return AnnTargetGroupAttributes
	}
}
