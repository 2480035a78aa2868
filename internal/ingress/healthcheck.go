package ingress

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// LBC's health-check defaults for application load balancer target groups.
const (
	defaultHCInterval  = 15
	defaultHCTimeout   = 5
	defaultHCHealthy   = 2
	defaultHCUnhealthy = 2
	defaultHTTPCodes   = "200"
	defaultGRPCCodes   = "12"
)

// healthCheckOf builds a target group's health check from the merged
// Service-over-Ingress annotations: the traffic port, the target group's
// protocol, "/" (or gRPC's "/AWS.ALB/healthcheck"), every 15 s with a 5 s
// timeout, 2 and 2 checks, success "200" (gRPC "12"), each overridable;
// values AWS would refuse are refused here.
func healthCheckOf(a service.Annotations, svc *corev1.Service, targetType, protocol, version string) (model.HealthCheck, error) {
	port, err := healthCheckPortOf(a, svc, targetType)
	if err != nil {
		return model.HealthCheck{}, err
	}
	hc := model.HealthCheck{Port: port}
	if hc.Protocol, err = a.Enum(AnnHCProtocol, protocol, ProtocolHTTP, ProtocolHTTPS); err != nil {
		return hc, err
	}
	defPath, defCodes := "/", defaultHTTPCodes
	if version == ProtocolVersionGRPC {
		defPath, defCodes = defaultHealthCheckPathGRPC, defaultGRPCCodes
	}
	if hc.Path = a.Str(AnnHCPath, defPath); !strings.HasPrefix(hc.Path, "/") || len(hc.Path) > 1024 {
		return hc, &AnnotationError{Annotation: AnnHCPath, Value: hc.Path, Allowed: "a path starting with /, up to 1024 characters"}
	}
	hc.Matcher = a.Str(AnnHCSuccessCodes, defCodes)
	lo, hi, allowed := 200, 499, "HTTP codes from 200 to 499: one (200), a list (200,202) or a range (200-299)"
	if version == ProtocolVersionGRPC {
		lo, hi, allowed = 0, 99, "gRPC codes from 0 to 99: one (12), a list (0,12) or a range (0-99)"
	}
	if !service.ValidCodes(hc.Matcher, lo, hi) {
		return hc, &AnnotationError{Annotation: AnnHCSuccessCodes, Value: hc.Matcher, Allowed: allowed}
	}
	if hc.IntervalSeconds, err = a.Int32In(AnnHCIntervalSeconds, defaultHCInterval, 5, 300); err != nil {
		return hc, err
	}
	if hc.TimeoutSeconds, err = a.Int32In(AnnHCTimeoutSeconds, defaultHCTimeout, 2, 120); err != nil {
		return hc, err
	}
	if hc.TimeoutSeconds >= hc.IntervalSeconds {
		return hc, &AnnotationError{Annotation: AnnHCTimeoutSeconds, Value: strconv.Itoa(int(hc.TimeoutSeconds)),
			Allowed: fmt.Sprintf("less than the interval (%d s, %s)", hc.IntervalSeconds, AnnHCIntervalSeconds)}
	}
	if hc.HealthyThreshold, err = a.Int32In(AnnHCHealthyThreshold, defaultHCHealthy, 2, 10); err != nil {
		return hc, err
	}
	if hc.UnhealthyThreshold, err = a.Int32In(AnnHCUnhealthyThreshold, defaultHCUnhealthy, 2, 10); err != nil {
		return hc, err
	}
	return hc, nil
}

// healthCheckPortOf reads healthcheck-port as LBC does: traffic-port, a
// number, or the name of a port of the backend Service, which stands for
// its node port (instance targets) or its numeric target port (ip targets).
func healthCheckPortOf(a service.Annotations, svc *corev1.Service, targetType string) (string, error) {
	raw := a.Str(AnnHCPort, healthCheckTrafficPort)
	if raw == healthCheckTrafficPort {
		return raw, nil
	}
	const allowed = "traffic-port, a port number from 1 to 65535, or the name of a port of the backend Service"
	if n, err := strconv.Atoi(raw); err == nil {
		if n < 1 || n > 65535 {
			return "", &AnnotationError{Annotation: AnnHCPort, Value: raw, Allowed: allowed}
		}
		return raw, nil
	}
	for _, p := range svc.Spec.Ports {
		if p.Name != raw {
			continue
		}
		switch {
		case targetType == TargetInstance && p.NodePort == 0:
			return "", &AnnotationError{Annotation: AnnHCPort, Value: raw,
				Allowed: "a port with a node port, which instance targets are checked on (port " + raw + " has none)"}
		case targetType == TargetInstance:
			return strconv.Itoa(int(p.NodePort)), nil
		case p.TargetPort.StrVal != "":
			return "", &AnnotationError{Annotation: AnnHCPort, Value: raw,
				Allowed: "a port whose targetPort is a number, for ip targets (port " + raw + " names " + p.TargetPort.StrVal + ")"}
		case p.TargetPort.IntVal != 0:
			return strconv.Itoa(int(p.TargetPort.IntVal)), nil
		}
		return strconv.Itoa(int(p.Port)), nil
	}
	return "", &AnnotationError{Annotation: AnnHCPort, Value: raw, Allowed: allowed, External: true}
}
