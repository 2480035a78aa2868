package ingress

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Target types and backend protocol versions.
const (
	TargetInstance = "instance"
	TargetIP       = "ip"

	ProtocolVersionHTTP1 = "HTTP1"
	ProtocolVersionHTTP2 = "HTTP2"
	ProtocolVersionGRPC  = "GRPC"
)

// Labels LBC puts on the TargetGroupBindings of an implicit group's stack
// (an explicit group's carry ingress.k8s.aws/stack=<group> instead).
const (
	LabelStackNamespace = model.LabelIngressStackNamespace
	LabelStackName      = model.LabelIngressStackName
)

// backendAnnotations are the annotations a backend's target group reads:
// the Service's over the Ingress's, as LBC merges them.
func backendAnnotations(ing *networkingv1.Ingress, svc *corev1.Service) service.Annotations {
	out := service.Annotations{}
	for k, v := range ing.Annotations {
		out[k] = v
	}
	for k, v := range svc.Annotations {
		out[k] = v
	}
	return out
}

// portKey is a backend's Service port as LBC writes it in resource ids and
// bindings: the number, or the name.
func portKey(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

// targetGroupFor returns the ResourceID of the target group of a Service
// backend, making it (with its binding) the first time the backend appears.
func (b *builder) targetGroupFor(m member, field string, be networkingv1.IngressBackend) (string, error) {
	if be.Service == nil {
		return "", &FieldError{Field: field, Value: "resource backend",
			Allowed: "a Service backend (service.name and service.port)"}
	}
	ref := be.Service
	if ref.Port.Name == useAnnotationPortName {
		return "", &FieldError{Field: field + ".service.port.name", Value: useAnnotationPortName,
			Allowed: "a port name or number of the Service"}
	}
	return b.targetGroupForService(m, field+".service.name", field+".service.port", ref.Name, ref.Port)
}

// targetGroupForService returns the ResourceID of the target group of a
// Service port (of a backend, or of a custom forward action), making it
// with its binding the first time it appears; nameField and portField
// name where the Service and port were given, for errors.
func (b *builder) targetGroupForService(m member, nameField, portField, name string,
	port networkingv1.ServiceBackendPort) (string, error) {
	id := fmt.Sprintf("%s/%s-%s:%s", m.ing.Namespace, m.ing.Name, name, portKey(port))
	if _, ok := b.tgIndex[id]; ok {
		return id, nil
	}
	svc := m.services[name]
	if svc == nil {
		return "", &FieldError{Field: nameField, Value: name, External: true,
			Allowed: "the name of a Service in namespace " + m.ing.Namespace}
	}
	sp, err := lookupServicePort(portField, svc, port)
	if err != nil {
		return "", err
	}
	tg, opts, binding, err := b.buildTargetGroup(m, id, svc, sp, portKey(port))
	if err != nil {
		return "", err
	}
	// The binding names the Service port as the backend does (LBC's
	// serviceRef.port is the backend's port, by name or number).
	binding.ServicePortName = port.Name
	b.tgIndex[id] = len(b.stack.TargetGroups)
	b.stack.TargetGroups = append(b.stack.TargetGroups, tg)
	b.stack.TargetGroupOptions[id] = opts
	b.stack.Bindings = append(b.stack.Bindings, binding)
	return id, nil
}

func lookupServicePort(field string, svc *corev1.Service, p networkingv1.ServiceBackendPort) (corev1.ServicePort, error) {
	var have []string
	for _, sp := range svc.Spec.Ports {
		if (p.Name != "" && sp.Name == p.Name) || (p.Name == "" && sp.Port == p.Number) {
			return sp, nil
		}
		if sp.Name != "" {
			have = append(have, sp.Name+"="+strconv.Itoa(int(sp.Port)))
		} else {
			have = append(have, strconv.Itoa(int(sp.Port)))
		}
	}
	return corev1.ServicePort{}, &FieldError{Field: field, Value: portKey(p), External: true,
		Allowed: fmt.Sprintf("a port of Service %s/%s (%s)", svc.Namespace, svc.Name, strings.Join(have, ", "))}
}

// buildTargetGroup makes a backend's target group as LBC does: settings
// from the Service's annotations over the Ingress's (and the class's
// targetType over both), LBC's name, and one binding.
func (b *builder) buildTargetGroup(m member, id string, svc *corev1.Service, sp corev1.ServicePort, port string) (
	model.TargetGroup, model.ApplicationTargetGroup, model.TargetGroupBinding, error) {
	var none model.TargetGroup
	a := backendAnnotations(m.ing, svc)
	targetType, err := b.targetTypeOf(m, a)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	protocol, err := a.Enum(AnnBackendProtocol, ProtocolHTTP, ProtocolHTTP, ProtocolHTTPS)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	version, err := a.Enum(AnnBackendProtocolVersion, ProtocolVersionHTTP1,
		ProtocolVersionHTTP1, ProtocolVersionHTTP2, ProtocolVersionGRPC)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	hc, err := healthCheckOf(a, svc, targetType, protocol, version)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	attrs, err := a.KeyValues(AnnTargetGroupAttributes)
	if err == nil {
		err = service.CheckAttributes(AnnTargetGroupAttributes, "application load balancer target groups", attrs,
			targetGroupAttributeRules)
	}
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	nodeLabels, err := nodeSelectorOf(a, targetType)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	multiCluster, err := a.Bool(AnnMultiClusterTargetGroup, false)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	ipType, err := b.targetGroupIPType(svc)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	tgPort, err := targetGroupPort(svc, sp, targetType)
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	svcTags, err := service.Annotations(svc.Annotations).KeyValues(AnnTags)
	if err == nil {
		err = checkTagKeys(b.cfg, AnnTags+" (Service "+svc.Name+")", svcTags)
	}
	if err != nil {
		return none, model.ApplicationTargetGroup{}, model.TargetGroupBinding{}, err
	}
	// Service tags over the Ingress's, the class's over both, then the
	// flags' and kelb's tracking tags.
	userTags := model.MergeTags(m.ingTags, svcTags, m.paramsTags)
	tg := model.TargetGroup{
		ResourceID: id,
		// LBC's hash input: cluster, group id, Ingress namespace and name,
		// Service UID, backend port, target group port, target type,
		// protocol, protocol version.
		Name: service.StackName(svc.Namespace, svc.Name, b.cfg.ClusterName, b.stack.ID.Name, m.ing.Namespace, m.ing.Name,
			string(svc.UID), port, strconv.Itoa(int(tgPort)), targetType, protocol, version),
		Protocol: protocol, Port: tgPort, TargetType: targetType, IPAddressType: ipType,
		HealthCheck: hc, Attributes: attrs,
		Tags: model.MergeTags(withDefaultTags(b.cfg, userTags), b.tracking(id)),
	}
	opts := model.ApplicationTargetGroup{ProtocolVersion: version, GRPCMatcher: version == ProtocolVersionGRPC}
	// LBC's labels: the implicit group's namespace and name, or the
	// explicit group's name.
	_, labels := model.BindingLabels(b.stack.ID)
	binding := model.TargetGroupBinding{
		Namespace: svc.Namespace, Name: tg.Name,
		Labels:        labels,
		TargetGroupID: id, TargetType: targetType, IPAddressType: ipType,
		ServiceName: svc.Name, ServicePort: sp.Port, NodeSelector: nodeLabels, MultiClusterTargetGroup: multiCluster,
		Networking: b.bindingNetworking(targetType, sp, hc.Port),
	}
	return tg, opts, binding, nil
}

// targetTypeOf: the class's targetType, else target-type (Service over
// Ingress), else --default-target-type.
func (b *builder) targetTypeOf(m member, a service.Annotations) (string, error) {
	field, t := AnnTargetType, ""
	if p := m.params; p != nil && p.Spec.TargetType != "" {
		field, t = paramsField(p.Name, "targetType"), string(p.Spec.TargetType)
	} else {
		def := b.cfg.DefaultTargetType
		if def == "" {
			def = TargetInstance
		}
		var err error
		if t, err = a.Enum(AnnTargetType, def, TargetInstance, TargetIP); err != nil {
			return "", err
		}
	}
	if t == TargetIP && b.cfg.IPTargetsDisabled {
		return "", &AnnotationError{Annotation: field, Value: t,
			Allowed: "instance (ip targets are off: --feature-gates EnableIPTargetType=false)"}
	}
	return t, nil
}

// nodeSelectorOf reads target-node-labels for instance targets (ip targets
// ignore it, as in LBC).
func nodeSelectorOf(a service.Annotations, targetType string) (map[string]string, error) {
	if targetType != TargetInstance {
		return nil, nil
	}
	sel, err := a.KeyValues(AnnTargetNodeLabels)
	if err != nil || len(sel) == 0 {
		return nil, err
	}
	if _, err := labels.ValidatedSelectorFromSet(sel); err != nil {
		v, _ := a.Value(AnnTargetNodeLabels)
		return nil, &AnnotationError{Annotation: AnnTargetNodeLabels, Value: v,
			Allowed: "comma-separated label=value pairs with valid label keys and values"}
	}
	return sel, nil
}

// targetGroupIPType is ipv6 for a Service with the IPv6 family, which needs
// a dualstack load balancer, else ipv4.
func (b *builder) targetGroupIPType(svc *corev1.Service) (string, error) {
	for _, f := range svc.Spec.IPFamilies {
		if f != corev1.IPv6Protocol {
			continue
		}
		if b.lb.ipAddressType == "ipv4" {
			return "", &AnnotationError{Annotation: AnnIPAddressType, Value: b.lb.ipAddressType,
				Allowed: "dualstack, for backend Service " + svc.Name + " of the IPv6 family"}
		}
		return "ipv6", nil
	}
	return "ipv4", nil
}

// targetGroupPort is the node port (instance targets) or the numeric target
// port (ip targets; 1 for a named one, which may differ from pod to pod:
// every target carries its own port anyway).
func targetGroupPort(svc *corev1.Service, sp corev1.ServicePort, targetType string) (int32, error) {
	if targetType == TargetInstance {
		if sp.NodePort == 0 {
			return 0, &AnnotationError{Annotation: AnnTargetType, Value: TargetInstance,
				Allowed: fmt.Sprintf("ip, or a Service of type NodePort or LoadBalancer for instance targets "+
					"(port %d of Service %s has no node port)", sp.Port, svc.Name)}
		}
		return sp.NodePort, nil
	}
	switch {
	case sp.TargetPort.StrVal != "":
		return 1, nil
	case sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal, nil
	}
	return sp.Port, nil
}

// bindingNetworking is LBC's for Ingress target groups: from the backend
// group, tcp to the traffic port and, when the checks go elsewhere, to the
// health-check port; every tcp port with --disable-restricted-sg-rules;
// none when kelb does not manage the backend rules.
func (b *builder) bindingNetworking(targetType string, sp corev1.ServicePort, hcPort string) *model.BindingNetworking {
	if !b.manageBackend {
		return nil
	}
	from := []model.BindingPeer{{BackendSG: true}}
	if b.cfg.UnrestrictedBackendRules {
		return &model.BindingNetworking{Ingress: []model.BindingIngressRule{{From: from,
			Ports: []model.BindingPort{{Protocol: "TCP"}}}}}
	}
	traffic := strconv.Itoa(int(sp.Port))
	switch {
	case targetType == TargetInstance:
		traffic = strconv.Itoa(int(sp.NodePort))
	case sp.TargetPort.StrVal != "":
		traffic = sp.TargetPort.StrVal
	case sp.TargetPort.IntVal != 0:
		traffic = strconv.Itoa(int(sp.TargetPort.IntVal))
	}
	n := &model.BindingNetworking{Ingress: []model.BindingIngressRule{{From: from,
		Ports: []model.BindingPort{{Protocol: "TCP", Port: traffic}}}}}
	if hcPort != healthCheckTrafficPort {
		n.Ingress = append(n.Ingress, model.BindingIngressRule{From: from,
			Ports: []model.BindingPort{{Protocol: "TCP", Port: hcPort}}})
	}
	return n
}
