package service

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

// bindingContext is what the TargetGroupBindings of a stack depend on
// besides the target groups themselves.
type bindingContext struct {
	svc        *corev1.Service
	a          annotations
	noSG       bool // the load balancer has no security groups: LBC's legacy networking
	backendSG  bool // rules from the backend group are managed
	scheme     string
	userRanges []string
	subnets    []string // the load balancer's subnets
	facts      Facts
	// unrestricted is --disable-restricted-sg-rules: every port of the
	// protocols, from the backend group.
	unrestricted bool
}

// targetGroupBindings returns one TargetGroupBinding per target group, as
// LBC's Service builder makes them: in the Service's namespace, named as the
// target group, with the stack's labels.
func targetGroupBindings(bc bindingContext, tgs []model.TargetGroup, ports []corev1.ServicePort) ([]model.TargetGroupBinding, error) {
	multiCluster, err := bc.a.boolean(AnnMultiClusterTargetGroup, false)
	if err != nil {
		return nil, err
	}
	nodeLabels, err := bc.a.keyValues(AnnTargetNodeLabels)
	if err != nil {
		return nil, err
	}
	manageLegacy, err := bc.a.boolean(AnnManageBackendSGRules, true)
	if err != nil {
		return nil, err
	}
	out := make([]model.TargetGroupBinding, 0, len(tgs))
	for i, tg := range tgs {
		p := ports[i]
		b := model.TargetGroupBinding{
			Namespace: bc.svc.Namespace, Name: tg.Name, Labels: StackLabels(bc.svc.Namespace, bc.svc.Name),
			TargetGroupID: tg.ResourceID, TargetType: tg.TargetType, IPAddressType: tg.IPAddressType,
			ServiceName: bc.svc.Name, ServicePort: p.Port, MultiClusterTargetGroup: multiCluster,
		}
		if tg.TargetType == TargetInstance && len(nodeLabels) > 0 {
			b.NodeSelector = nodeLabels
		}
		trafficPort := bindingTrafficPort(tg.TargetType, p)
		switch {
		case bc.noSG && manageLegacy:
			b.Networking = legacyNetworking(bc, tg, trafficPort)
		case !bc.noSG && bc.backendSG:
			b.Networking = &model.BindingNetworking{Ingress: []model.BindingIngressRule{{
				From:  []model.BindingPeer{{BackendSG: true}},
				Ports: backendSGPorts(tg, trafficPort, bc.unrestricted),
			}}}
		}
		out = append(out, b)
	}
	return out, nil
}

// StackLabels are the labels of a Service's TargetGroupBindings (LBC's
// stack labels).
func StackLabels(namespace, name string) map[string]string {
	return map[string]string{model.LabelServiceStackNamespace: namespace, model.LabelServiceStackName: name}
}

// bindingTrafficPort is the port the targets receive traffic on, as the
// binding names it: the node port for instance targets, the Service's
// target port (a number or a pod's port name) for ip targets.
func bindingTrafficPort(targetType string, p corev1.ServicePort) string {
	if targetType == TargetInstance {
		return itoa(p.NodePort)
	}
	if p.TargetPort.StrVal != "" {
		return p.TargetPort.StrVal
	}
	if p.TargetPort.IntVal != 0 {
		return itoa(p.TargetPort.IntVal)
	}
	return itoa(p.Port) // the API server's default
}

// healthChecksOnTrafficPort reports whether the health checks go to the
// traffic port.
func healthChecksOnTrafficPort(tg model.TargetGroup, trafficPort string) bool {
	const healthCheckTrafficPort = "traffic-port"
	hc := tg.HealthCheck.Port
	return hc == "" || hc == healthCheckTrafficPort || hc == trafficPort
}

// backendSGPorts are the ports the backend group may reach: the traffic
// port with the target group's protocols (and tcp for health checks there),
// and the health-check port over tcp when it is another; with
// --disable-restricted-sg-rules every port of tcp (and udp for UDP target
// groups), as LBC writes them.
func backendSGPorts(tg model.TargetGroup, trafficPort string, unrestricted bool) []model.BindingPort {
	onTraffic := healthChecksOnTrafficPort(tg, trafficPort)
	var out []model.BindingPort
	if unrestricted {
		out = append(out, model.BindingPort{Protocol: "TCP"})
		if tg.Protocol == "UDP" || tg.Protocol == "TCP_UDP" {
			out = append(out, model.BindingPort{Protocol: "UDP"})
		}
		return out
	}
	for _, proto := range sgpolicy.TrafficPortProtocols(tg.Protocol, onTraffic) {
		out = append(out, model.BindingPort{Protocol: strings.ToUpper(proto), Port: trafficPort})
	}
	if !onTraffic {
		out = append(out, model.BindingPort{Protocol: "TCP", Port: tg.HealthCheck.Port})
	}
	return out
}

// legacyNetworking is LBC's networking for a load balancer without security
// groups: the traffic port from where the traffic comes from (the clients
// when they are seen, else the load balancer's subnets), and the
// health-check port from the subnets unless the traffic rule lets the
// checks in.
func legacyNetworking(bc bindingContext, tg model.TargetGroup, trafficPort string) *model.BindingNetworking {
	subnetCIDRs := subnetCIDRsOf(bc.facts.Subnets, bc.subnets, tg.IPAddressType)
	sources, defaultRange := subnetCIDRs, false
	if preservesClientIP(tg) {
		sources = bc.userRanges
		if len(sources) == 0 {
			sources, defaultRange = defaultClientRanges(bc.facts, tg.IPAddressType, bc.scheme), true
		}
	}
	var ports []model.BindingPort
	for _, proto := range model.RuleProtocols(tg.Protocol) {
		ports = append(ports, model.BindingPort{Protocol: strings.ToUpper(proto), Port: trafficPort})
	}
	n := &model.BindingNetworking{Ingress: []model.BindingIngressRule{{From: cidrPeers(sources), Ports: ports}}}
	onTraffic := healthChecksOnTrafficPort(tg, trafficPort)
	if onTraffic && tg.Protocol != "UDP" && (!preservesClientIP(tg) || defaultRange || anyAddress(sources)) {
		return n // the traffic rule lets the health checks in
	}
	if len(subnetCIDRs) == 0 {
		return n
	}
	hcPort := tg.HealthCheck.Port
	if onTraffic {
		hcPort = trafficPort
	}
	n.Ingress = append(n.Ingress, model.BindingIngressRule{From: cidrPeers(subnetCIDRs),
		Ports: []model.BindingPort{{Protocol: "TCP", Port: hcPort}}})
	return n
}

// defaultClientRanges are where clients are when the Service names no
// source ranges, in the target group's family only, as LBC puts them in
// the binding: everywhere when internet-facing, the VPC when internal.
func defaultClientRanges(f Facts, tgIPType, scheme string) []string {
	if scheme == SchemeInternetFacing {
		if tgIPType == TargetGroupIPv6 {
			return []string{"::/0"}
		}
		return []string{"0.0.0.0/0"}
	}
	if tgIPType == TargetGroupIPv6 {
		return onlyIPv6(f.VPCCIDRs)
	}
	var out []string
	for _, c := range f.VPCCIDRs {
		if !strings.Contains(c, ":") {
			out = append(out, c)
		}
	}
	return out
}

func anyAddress(cidrs []string) bool {
	for _, c := range cidrs {
		if c == "0.0.0.0/0" || c == "::/0" {
			return true
		}
	}
	return false
}

func cidrPeers(cidrs []string) []model.BindingPeer {
	out := make([]model.BindingPeer, 0, len(cidrs))
	for _, c := range cidrs {
		out = append(out, model.BindingPeer{CIDR: c})
	}
	return out
}
