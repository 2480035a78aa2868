package service

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

const trafficPort = "traffic-port"

// healthCheck builds the target groups' health check. Instance targets of a
// Service with externalTrafficPolicy Local are checked on kube-proxy's
// health-check node port, so that only nodes with ready pods get traffic,
// with LBC's defaults for that case (a 6 s timeout, 2 checks either way),
// so that a target group LBC made is left as it is.
func healthCheck(a annotations, svc *corev1.Service, targetType string) (model.HealthCheck, error) {
	defProto, defPort, defPath := "TCP", trafficPort, "/"
	defTimeout, defHealthy, defUnhealthy := int32(10), int32(3), int32(3)
	if targetType == TargetInstance && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal &&
		svc.Spec.HealthCheckNodePort != 0 {
		defProto, defPort, defPath = "HTTP", itoa(svc.Spec.HealthCheckNodePort), "/healthz"
		defTimeout, defHealthy, defUnhealthy = 6, 2, 2
	}
	proto, err := a.oneOf(AnnHCProtocol, defProto, "TCP", "HTTP", "HTTPS")
	if err != nil {
		return model.HealthCheck{}, err
	}
	port := a.str(AnnHCPort, defPort)
	if port != trafficPort {
		if _, err := parsePort(port); err != nil {
			return model.HealthCheck{}, &AnnotationError{Annotation: AnnHCPort, Value: port,
				Allowed: "traffic-port or a port number from 1 to 65535"}
		}
	}
	hc := model.HealthCheck{Protocol: proto, Port: port}
	if hc.HealthyThreshold, err = a.int32In(AnnHCHealthyThreshold, defHealthy, 2, 10); err != nil {
		return hc, err
	}
	if hc.UnhealthyThreshold, err = a.int32In(AnnHCUnhealthyThreshold, defUnhealthy, 2, 10); err != nil {
		return hc, err
	}
	if hc.TimeoutSeconds, err = a.int32In(AnnHCTimeout, defTimeout, 2, 120); err != nil {
		return hc, err
	}
	if hc.IntervalSeconds, err = a.int32In(AnnHCInterval, 10, 5, 300); err != nil {
		return hc, err
	}
	if proto != "TCP" {
		hc.Path = a.str(AnnHCPath, defPath)
		if !strings.HasPrefix(hc.Path, "/") {
			return hc, &AnnotationError{Annotation: AnnHCPath, Value: hc.Path, Allowed: "a path starting with /"}
		}
		hc.Matcher = a.str(AnnHCSuccessCodes, "200-399")
		if !validMatcher(hc.Matcher) {
			return hc, &AnnotationError{Annotation: AnnHCSuccessCodes, Value: hc.Matcher,
				Allowed: "HTTP codes from 200 to 599: one (200), a list (200,202) or a range (200-299)"}
		}
	}
	return hc, nil
}

// validMatcher reports whether s is a success-code matcher a network load
// balancer takes for HTTP and HTTPS health checks: comma-separated codes or
// ranges of codes, each from 200 to 599.
func validMatcher(s string) bool {
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		if !isRange {
			hi = lo
		}
		l, errLo := strconv.Atoi(lo)
		h, errHi := strconv.Atoi(hi)
		if errLo != nil || errHi != nil || strconv.Itoa(l) != lo || strconv.Itoa(h) != hi ||
			l < 200 || h > 599 || l > h {
			return false
		}
	}
	return true
}
