package service

// privateLinkInboundRules reads inbound-sg-rules-on-private-link-traffic:
// whether the load balancer's security groups also judge traffic that
// comes through AWS PrivateLink. It is a property of the security groups,
// so a load balancer without them cannot take it; "" leaves AWS's setting.
func privateLinkInboundRules(a annotations, withoutSGs bool) (string, error) {
	if _, ok := a[AnnInboundPrivateLinkRule]; !ok {
		return "", nil
	}
	v, err := a.enum(AnnInboundPrivateLinkRule, "", "on", "off")
	if err != nil {
		return "", err
	}
	if withoutSGs {
		return "", &AnnotationError{Annotation: AnnInboundPrivateLinkRule, Value: v,
			Allowed: "on or off on a load balancer with security groups (not with " + AnnNLBDisableSG + ": \"true\")"}
	}
	return v, nil
}
