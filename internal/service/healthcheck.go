package service

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

const trafficPort = "traffic-port"

// healthCheckDefaults are the values a target group's health check takes
// where no annotation sets them.
type healthCheckDefaults struct {
	protocol, port, path                  string
	interval, timeout, healthy, unhealthy int32
}

// LBC's defaults: a TCP check of the traffic port; and for instance targets
// of a Service with externalTrafficPolicy Local, kube-proxy's HTTP
// /healthz on the Service's health-check node port, which answers only on
// nodes with a ready pod, so that only those nodes get traffic.
var (
	defaultHealthCheck = healthCheckDefaults{protocol: "TCP", port: trafficPort, path: "/",
		interval: 10, timeout: 10, healthy: 3, unhealthy: 3}
	localHealthCheck = healthCheckDefaults{protocol: "HTTP", path: "/healthz",
		interval: 10, timeout: 6, healthy: 2, unhealthy: 2}
)

// defaultSuccessCodes is LBC's matcher for HTTP and HTTPS health checks,
// and AWS's default for network load balancers.
const defaultSuccessCodes = "200-399"

func healthCheckDefaultsOf(svc *corev1.Service, targetType string) healthCheckDefaults {
	if targetType == TargetInstance && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal &&
		svc.Spec.HealthCheckNodePort != 0 {
		d := localHealthCheck
		d.port = itoa(svc.Spec.HealthCheckNodePort)
		return d
	}
	return defaultHealthCheck
}

// healthCheck builds the target groups' health check from the defaults and
// the healthcheck-* annotations. With --feature-gates
// NLBHealthCheckAdvancedConfig=false, as in LBC, the timeout and
// success-codes annotations are not read.
func healthCheck(cfg Config, a annotations, svc *corev1.Service, targetType string) (model.HealthCheck, error) {
	d := healthCheckDefaultsOf(svc, targetType)
	proto, err := a.enumFold(AnnHCProtocol, d.protocol, "TCP", "HTTP", "HTTPS")
	if err != nil {
		return model.HealthCheck{}, err
	}
	port, err := healthCheckPort(a, svc, targetType, d.port)
	if err != nil {
		return model.HealthCheck{}, err
	}
	hc := model.HealthCheck{Protocol: proto, Port: port, TimeoutSeconds: d.timeout}
	if hc.HealthyThreshold, err = a.int32In(AnnHCHealthyThreshold, d.healthy, 2, 10); err != nil {
		return hc, err
	}
	if hc.UnhealthyThreshold, err = a.int32In(AnnHCUnhealthyThreshold, d.unhealthy, 2, 10); err != nil {
		return hc, err
	}
	if !cfg.Gates.NoHealthCheckAdvancedConfig {
		if hc.TimeoutSeconds, err = a.int32In(AnnHCTimeout, d.timeout, 2, 120); err != nil {
			return hc, err
		}
	}
	if hc.IntervalSeconds, err = a.int32In(AnnHCInterval, d.interval, 5, 300); err != nil {
		return hc, err
	}
	if proto == "TCP" {
		return hc, nil
	}
	hc.Path = a.str(AnnHCPath, d.path)
	if !strings.HasPrefix(hc.Path, "/") {
		return hc, &AnnotationError{Annotation: AnnHCPath, Value: hc.Path, Allowed: "a path starting with /"}
	}
	hc.Matcher = defaultSuccessCodes
	if cfg.Gates.NoHealthCheckAdvancedConfig {
		// LBC sends no matcher then, and AWS applies this same default.
		return hc, nil
	}
	hc.Matcher = a.str(AnnHCSuccessCodes, defaultSuccessCodes)
	if !ValidCodes(hc.Matcher, 200, 599) {
		return hc, &AnnotationError{Annotation: AnnHCSuccessCodes, Value: hc.Matcher,
			Allowed: "HTTP codes from 200 to 599: one (200), a list (200,202) or a range (200-299)"}
	}
	return hc, nil
}

// healthCheckPort reads healthcheck-port as LBC does: traffic-port, a port
// number, or the name of one of the Service's ports, which stands for that
// port's node port (instance targets) or its numeric target port (ip
// targets).
func healthCheckPort(a annotations, svc *corev1.Service, targetType, def string) (string, error) {
	raw := a.str(AnnHCPort, def)
	if raw == trafficPort {
		return raw, nil
	}
	if _, err := strconv.Atoi(raw); err == nil {
		if _, err := parsePort(raw); err != nil {
			return "", &AnnotationError{Annotation: AnnHCPort, Value: raw,
				Allowed: "traffic-port, a port number from 1 to 65535, or the name of a port of the Service"}
		}
		return raw, nil
	}
	var named *corev1.ServicePort
	var names []string
	for i := range svc.Spec.Ports {
		if p := &svc.Spec.Ports[i]; p.Name == raw {
			named = p
		} else if p.Name != "" {
			names = append(names, p.Name)
		}
	}
	allowed := "traffic-port, a port number from 1 to 65535, or the name of a port of the Service"
	if len(names) > 0 {
		allowed += " (" + strings.Join(names, ", ") + ")"
	}
	switch {
	case named == nil:
		return "", &AnnotationError{Annotation: AnnHCPort, Value: raw, Allowed: allowed}
	case targetType == TargetInstance && named.NodePort == 0:
		return "", &AnnotationError{Annotation: AnnHCPort, Value: raw,
			Allowed: fmt.Sprintf("a port with a node port, which instance targets are checked on (port %s has none)", raw)}
	case targetType == TargetInstance:
		return itoa(named.NodePort), nil
	case named.TargetPort.StrVal != "":
		return "", &AnnotationError{Annotation: AnnHCPort, Value: raw,
			Allowed: fmt.Sprintf("a port whose targetPort is a number: with ip targets the check goes to the pods' "+
				"port, and port %s names it (%s), which may differ from pod to pod", raw, named.TargetPort.StrVal)}
	case named.TargetPort.IntVal != 0:
		return itoa(named.TargetPort.IntVal), nil
	}
	// No targetPort: Kubernetes defaults it to the port.
	return itoa(named.Port), nil
}

// ValidCodes reports whether s is comma-separated codes or ranges of
// codes ("200", "200-299", "200,302"), each within [lo, hi], written in
// canonical form as AWS takes them. A network load balancer's HTTP and
// HTTPS matcher is ValidCodes(s, 200, 599).
func ValidCodes(s string, lo, hi int) bool {
	for _, item := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(item, "-")
		if !isRange {
			to = from
		}
		l, errL := strconv.Atoi(from)
		h, errH := strconv.Atoi(to)
		if errL != nil || errH != nil || strconv.Itoa(l) != from || strconv.Itoa(h) != to || l < lo || h > hi || l > h {
			return false
		}
	}
	return true
}
