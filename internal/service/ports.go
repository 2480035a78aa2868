package service

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

// MaxListeners is AWS's quota of listeners per network load balancer.
const MaxListeners = 50

type portsContext struct {
	stackID    string
	targetType string
	ipType     string
	tgIPType   string // ipv4 | ipv6
	tags       map[string]string
	// tracking returns the cluster, stack and resource tags of a resource.
	tracking func(resource string) map[string]string
}

type builtPorts struct {
	listeners    []model.Listener
	targetGroups []model.TargetGroup
	// servicePorts are the Service ports of the target groups, in the same
	// order (for their TargetGroupBindings).
	servicePorts []corev1.ServicePort
}

// buildPorts makes one listener and one target group per Service port
// number (listenerPorts says which port serves a number).
func buildPorts(cfg Config, in Input, a annotations, pc portsContext) (builtPorts, error) {
	svc := in.Service
	if len(svc.Spec.Ports) == 0 {
		return builtPorts{}, fmt.Errorf("%w: the Service has no ports", ErrInvalid)
	}
	tls, err := tlsSettings(cfg, a, svc)
	if err != nil {
		return builtPorts{}, err
	}
	hc, err := healthCheck(cfg, a, svc, pc.targetType)
	if err != nil {
		return builtPorts{}, err
	}
	tgAttrs, err := targetGroupAttributes(a)
	if err != nil {
		return builtPorts{}, err
	}
	ports, err := listenerPorts(cfg, a, svc.Spec.Ports)
	if err != nil {
		return builtPorts{}, err
	}
	if len(ports) > MaxListeners {
		return builtPorts{}, fmt.Errorf("%w: the Service has %d ports (a TCP and a UDP port of the same number count "+
			"as one), and a network load balancer takes at most %d listeners", ErrInvalid, len(ports), MaxListeners)
	}
	var out builtPorts
	for _, p := range ports {
		protocol := string(p.Protocol)
		switch protocol {
		case "TCP", "UDP", "TCP_UDP":
		default:
			return builtPorts{}, fmt.Errorf("%w: port %d: protocol %s is not supported by network load balancers; use TCP or UDP",
				ErrInvalid, p.Port, protocol)
		}
		attrs, err := portTargetGroupAttributes(a, tgAttrs, p.Port)
		if err != nil {
			return builtPorts{}, err
		}
		if err := checkTargetGroupProtocol(attrs, protocol, p.Port, attributeSource(a, p.Port)); err != nil {
			return builtPorts{}, err
		}
		// LBC tags listeners like the other resources; the resource id is
		// the port.
		l := model.Listener{Port: p.Port, Protocol: protocol,
			Tags: model.MergeTags(pc.tags, pc.tracking(strconv.Itoa(int(p.Port))))}
		tgProtocol := protocol
		if protocol == "TCP" && tls.covers(p) {
			l.Protocol, l.Certificates, l.SSLPolicy = "TLS", tls.certs, tls.policy
			if tls.backendTLS {
				// As LBC: an ALPN policy only where TLS goes on to the
				// targets; a listener of LBC's without one is left so.
				tgProtocol, l.ALPNPolicy = "TLS", tls.alpn
			}
		}
		tgPort, err := targetGroupPort(p, pc.targetType)
		if err != nil {
			return builtPorts{}, err
		}
		resourceID := fmt.Sprintf("%s:%d", pc.stackID, p.Port)
		tgIPType := pc.tgIPType
		tg := model.TargetGroup{
			ResourceID: resourceID,
			Name: targetGroupName(cfg.ClusterName, svc, targetGroupNameInput{servicePort: p.Port, targetGroupPort: tgPort,
				targetType: pc.targetType, protocol: tgProtocol, healthCheckProtocol: hc.Protocol,
				healthCheckInterval: hc.IntervalSeconds}),
			Protocol: tgProtocol, Port: tgPort, TargetType: pc.targetType, IPAddressType: tgIPType,
			HealthCheck: hc, Attributes: attrs,
			Tags: model.MergeTags(pc.tags, pc.tracking(resourceID)),
		}
		if pc.targetType == TargetInstance {
			tg.Targets, err = instanceTargets(a, in.Nodes, tgPort)
		} else {
			tg.Targets = ipTargets(in.EndpointSlices, p, tgIPType)
		}
		if err != nil {
			return builtPorts{}, err
		}
		l.TargetGroupID = resourceID
		out.listeners = append(out.listeners, l)
		out.targetGroups = append(out.targetGroups, tg)
		out.servicePorts = append(out.servicePorts, p)
	}
	for _, l := range out.listeners {
		if l.Protocol == "TLS" {
			return out, checkSSLPolicy(a, tls.policy, in.Facts.SSLPolicies)
		}
	}
	return out, nil
}

// listenerPorts returns the Service ports that get a listener, by port
// number. A TCP and a UDP port of the same number become one TCP_UDP port
// when the enable-tcp-udp-listener annotation says so, or, without it,
// --feature-gates EnableTCPUDPListener=true; the first of the two in the
// spec gives the node and target ports, as in LBC (for instance targets
// both should have the same node port). Otherwise LBC keeps the first port
// of a number and drops the others, and so does kelb.
func listenerPorts(cfg Config, a annotations, ports []corev1.ServicePort) ([]corev1.ServicePort, error) {
	merge, set, err := a.optionalBool(AnnEnableTCPUDPListener)
	if err != nil {
		return nil, err
	}
	if !set {
		merge = cfg.Gates.TCPUDPListener
	}
	byNumber := map[int32][]corev1.ServicePort{}
	var out []corev1.ServicePort
	for _, p := range ports {
		if len(byNumber[p.Port]) == 0 {
			out = append(out, p)
		}
		byNumber[p.Port] = append(byNumber[p.Port], p)
	}
	for i, p := range out {
		same := byNumber[p.Port]
		if len(same) == 1 || !merge {
			continue
		}
		if len(same) != 2 || !tcpAndUDP(same[0].Protocol, same[1].Protocol) {
			var protocols []string
			for _, q := range same {
				protocols = append(protocols, string(q.Protocol))
			}
			return nil, &AnnotationError{Annotation: AnnEnableTCPUDPListener, Value: a.str(AnnEnableTCPUDPListener, "true"),
				Allowed: fmt.Sprintf("false, or ports that share a number only as one TCP and one UDP port (port %d is %s)",
					p.Port, strings.Join(protocols, ", "))}
		}
		out[i].Protocol = "TCP_UDP"
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out, nil
}

func tcpAndUDP(a, b corev1.Protocol) bool {
	return (a == corev1.ProtocolTCP && b == corev1.ProtocolUDP) || (a == corev1.ProtocolUDP && b == corev1.ProtocolTCP)
}

func targetGroupPort(p corev1.ServicePort, targetType string) (int32, error) {
	if targetType == TargetInstance {
		if p.NodePort == 0 {
			return 0, fmt.Errorf("%w: port %d has no nodePort, which instance targets need: set "+
				"spec.allocateLoadBalancerNodePorts to true or use annotation %s: ip", ErrInvalid, p.Port, AnnTargetType)
		}
		return p.NodePort, nil
	}
	if p.TargetPort.IntVal != 0 {
		return p.TargetPort.IntVal, nil
	}
	if p.TargetPort.StrVal == "" {
		return p.Port, nil
	}
	// A named target port may resolve to different numbers per pod; the
	// target group's own port is then a placeholder, every target has its own.
	return 1, nil
}

type tlsConfig struct {
	certs      []string
	ports      []string // names or numbers; "*" for all
	policy     string
	alpn       string
	backendTLS bool
}

func (t tlsConfig) covers(p corev1.ServicePort) bool {
	if len(t.certs) == 0 {
		return false
	}
	return len(t.ports) == 0 || slices.Contains(t.ports, "*") || slices.Contains(t.ports, p.Name) ||
		slices.Contains(t.ports, strconv.Itoa(int(p.Port)))
}

func tlsSettings(cfg Config, a annotations, svc *corev1.Service) (tlsConfig, error) {
	t := tlsConfig{certs: a.list(AnnSSLCert), ports: a.list(AnnSSLPorts)}
	if err := checkCertificateARNs(t.certs); err != nil {
		return tlsConfig{}, err
	}
	for _, sp := range t.ports {
		found := sp == "*"
		for _, p := range svc.Spec.Ports {
			found = found || sp == p.Name || sp == strconv.Itoa(int(p.Port))
		}
		if !found {
			return tlsConfig{}, &AnnotationError{Annotation: AnnSSLPorts, Value: sp,
				Allowed: "*, or names or numbers of the Service's ports"}
		}
	}
	def := cfg.DefaultSSLPolicy
	if def == "" {
		def = "ELBSecurityPolicy-2016-08"
	}
	t.policy = a.str(AnnSSLPolicy, def)
	var err error
	if t.alpn, err = a.enum(AnnALPNPolicy, "", "HTTP1Only", "HTTP2Only", "HTTP2Optional",
		"HTTP2Preferred", "None"); err != nil {
		return tlsConfig{}, err
	}
	backend, err := a.enum(AnnBackendProtocol, "tcp", "tcp", "ssl")
	t.backendTLS = backend == "ssl"
	return t, err
}

func targetGroupAttributes(a annotations) (map[string]string, error) {
	attrs, err := a.keyValues(AnnTargetGroupAttributes)
	if err != nil {
		return nil, err
	}
	if err := checkAttributes(AnnTargetGroupAttributes, "network load balancer target groups", attrs,
		targetGroupAttributeRules); err != nil {
		return nil, err
	}
	if pp, ok := a.value(AnnProxyProtocol); ok && pp != "*" {
		return nil, &AnnotationError{Annotation: AnnProxyProtocol, Value: pp, Allowed: "*"}
	}
	return attrs, nil
}

func parsePort(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("not a port: %q", s)
	}
	return int32(n), nil
}
