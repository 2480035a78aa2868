package ingress

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Listener protocols of an application load balancer.
const (
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
)

const listenPortsAllowed = `a JSON list of {"HTTP": port} or {"HTTPS": port} objects, ports from 1 to 65535, ` +
	`such as [{"HTTP": 80}, {"HTTPS": 443}]`

// listenerSettings are the listeners the Ingress asks for.
type listenerSettings struct {
	// ports maps each listener port to its protocol.
	ports map[int32]string
	// certificates are the explicit certificates (params, else annotation);
	// empty means ACM discovery for HTTPS listeners.
	certificates []string
	certField    string
	sslPolicy    string
	// sslPolicyField names where sslPolicy came from: the annotation, the
	// params, or "" for --default-ssl-policy.
	sslPolicyField string
	// sslRedirect is the HTTPS port HTTP listeners redirect to; 0 for none.
	sslRedirect int32
	// mutualAuth is the mutual TLS asked for, by port.
	mutualAuth map[int32]model.MutualAuthentication
}

func readListenerSettings(cfg Config, a service.Annotations, p *elbv2.IngressClassParams) (listenerSettings, error) {
	s := listenerSettings{certField: AnnCertificateARN, certificates: a.List(AnnCertificateARN)}
	if p != nil && len(p.Spec.CertificateArn) > 0 {
		s.certField, s.certificates = paramsField(p.Name, "certificateArn"), p.Spec.CertificateArn
	}
	for _, c := range s.certificates {
		if !service.IsCertificateARN(c) {
			return s, &AnnotationError{Annotation: s.certField, Value: c,
				Allowed: "ARNs of ACM certificates (arn:aws:acm:<region>:<account>:certificate/<id>) or IAM server " +
					"certificates (arn:aws:iam::<account>:server-certificate/<name>)"}
		}
	}
	var err error
	if s.ports, err = listenPortsOf(a, len(s.certificates) > 0); err != nil {
		return s, err
	}
	s.sslPolicy = cfg.DefaultSSLPolicy
	if s.sslPolicy == "" {
		s.sslPolicy = defaultSSLPolicy
	}
	if p != nil && p.Spec.SSLPolicy != "" {
		s.sslPolicy, s.sslPolicyField = p.Spec.SSLPolicy, paramsField(p.Name, "sslPolicy")
	} else if v, ok := a.Value(AnnSSLPolicy); ok {
		s.sslPolicy, s.sslPolicyField = v, AnnSSLPolicy
	}
	if s.sslRedirect, err = sslRedirectOf(a, p, s.ports); err != nil {
		return s, err
	}
	if s.mutualAuth, err = mutualAuthenticationOf(a); err != nil {
		return s, err
	}
	return s, nil
}

// listenPortsOf reads listen-ports as LBC does; without it, HTTP:80, or
// HTTPS:443 when certificates are named. A port listed twice takes the
// last protocol given, as in LBC.
func listenPortsOf(a service.Annotations, certificates bool) (map[int32]string, error) {
	raw, ok := a.Value(AnnListenPorts)
	if !ok {
		if certificates {
			return map[int32]string{443: ProtocolHTTPS}, nil
		}
		return map[int32]string{80: ProtocolHTTP}, nil
	}
	var entries []map[string]int32
	if err := json.Unmarshal([]byte(raw), &entries); err != nil || len(entries) == 0 {
		return nil, &AnnotationError{Annotation: AnnListenPorts, Value: raw, Allowed: listenPortsAllowed}
	}
	out := map[int32]string{}
	for _, entry := range entries {
		for _, proto := range slices.Sorted(maps.Keys(entry)) {
			port := entry[proto]
			if (proto != ProtocolHTTP && proto != ProtocolHTTPS) || port < 1 || port > 65535 {
				return nil, &AnnotationError{Annotation: AnnListenPorts, Value: raw, Allowed: listenPortsAllowed}
			}
			out[port] = proto
		}
	}
	return out, nil
}

// sslRedirectOf reads the redirect port (params sslRedirectPort, else the
// annotation); it must be one of the Ingress's HTTPS listeners.
func sslRedirectOf(a service.Annotations, p *elbv2.IngressClassParams, ports map[int32]string) (int32, error) {
	field, raw, set := AnnSSLRedirect, "", false
	if p != nil && p.Spec.SSLRedirectPort != "" {
		field, raw, set = paramsField(p.Name, "sslRedirectPort"), p.Spec.SSLRedirectPort, true
	} else {
		raw, set = a.Value(AnnSSLRedirect)
	}
	if !set {
		return 0, nil
	}
	var https []string
	for _, port := range slices.Sorted(maps.Keys(ports)) {
		if ports[port] == ProtocolHTTPS {
			https = append(https, strconv.Itoa(int(port)))
		}
	}
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil || ports[int32(n)] != ProtocolHTTPS {
		allowed := "the port of an HTTPS listener of listen-ports"
		if len(https) > 0 {
			allowed += fmt.Sprintf(" (%s)", strings.Join(https, ", "))
		} else {
			allowed += " (there is none)"
		}
		return 0, &AnnotationError{Annotation: field, Value: raw, Allowed: allowed}
	}
	return int32(n), nil
}
