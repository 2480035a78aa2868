package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestPerPortTargetGroupAttributes(t *testing.T) {
	twoPorts := func(in *Input) {
		in.Service.Spec.Ports = append(in.Service.Spec.Ports,
			corev1.ServicePort{Name: "https", Port: 443, NodePort: 30443, Protocol: corev1.ProtocolTCP})
	}
	withDNS := func(in *Input) {
		in.Service.Spec.Ports = append(in.Service.Spec.Ports,
			corev1.ServicePort{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP})
	}
	type got struct {
		Attributes map[string]map[string]string // by target group resource id
		Error      outcome
	}
	web, tls := "shop/web:80", "shop/web:443"
	tests := []struct {
		name   string
		ann    []string
		mutate func(*Input)
		want   got
	}{
		{"nothing asked", nil, twoPorts, got{Attributes: map[string]map[string]string{web: nil, tls: nil}}},
		{"one port's attributes over the shared ones", []string{
			AnnTargetGroupAttributes, "deregistration_delay.timeout_seconds=60,stickiness.enabled=true,stickiness.type=source_ip",
			AnnTargetGroupAttributes + ".443", "deregistration_delay.timeout_seconds=10,stickiness.enabled=,preserve_client_ip.enabled=false"},
			twoPorts, got{Attributes: map[string]map[string]string{
				web: {"deregistration_delay.timeout_seconds": "60", "stickiness.enabled": "true", "stickiness.type": "source_ip"},
				tls: {"deregistration_delay.timeout_seconds": "10", "stickiness.enabled": "true", "stickiness.type": "source_ip",
					"preserve_client_ip.enabled": "false"}}}},
		{"a port without a target group: ignored", []string{AnnTargetGroupAttributes + ".8080", "stickiness.enabled=true"},
			nil, got{Attributes: map[string]map[string]string{web: nil}}},
		{"proxy protocol on listed ports, off elsewhere", []string{AnnProxyProtocolPerTG, " 443 ,9999"}, twoPorts,
			got{Attributes: map[string]map[string]string{web: {attrProxyProtocolV2: "false"}, tls: {attrProxyProtocolV2: "true"}}}},
		{"proxy protocol * wins", []string{AnnProxyProtocolPerTG, "443", AnnProxyProtocol, "*"}, twoPorts,
			got{Attributes: map[string]map[string]string{web: {attrProxyProtocolV2: "true"}, tls: {attrProxyProtocolV2: "true"}}}},
		{"per-target-group wins over attributes", []string{AnnProxyProtocolPerTG, "",
			AnnTargetGroupAttributes + ".80", "proxy_protocol_v2.enabled=true"}, nil,
			got{Attributes: map[string]map[string]string{web: {attrProxyProtocolV2: "false"}}}},
		{"a port name in the list", []string{AnnProxyProtocolPerTG, "80,https"}, twoPorts,
			got{Error: outcome{Error: "annotation", Annotation: AnnProxyProtocolPerTG, Value: "https"}}},
		{"an unknown attribute for one port", []string{AnnTargetGroupAttributes + ".443", "no.such=1"}, twoPorts,
			got{Error: outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes + ".443", Value: "no.such"}}},
		{"a malformed per-port value", []string{AnnTargetGroupAttributes + ".80", "preserve_client_ip.enabled=yes"}, nil,
			got{Error: outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes + ".80",
				Value: "preserve_client_ip.enabled=yes"}}},
		{"client IP off for the UDP port named by its annotation", []string{AnnTargetGroupAttributes + ".53",
			"preserve_client_ip.enabled=false"}, withDNS,
			got{Error: outcome{Error: "annotation", Annotation: AnnTargetGroupAttributes + ".53",
				Value: "preserve_client_ip.enabled=false"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mutate := []func(*Input){ann(tt.ann...)}
			if tt.mutate != nil {
				mutate = append(mutate, tt.mutate)
			}
			stack, err := Build(testConfig, testInput(mutate...))
			var g got
			if err != nil {
				g.Error = outcomeOf(err)
			} else {
				g.Attributes = map[string]map[string]string{}
				for _, tg := range stack.TargetGroups {
					g.Attributes[tg.ResourceID] = tg.Attributes
				}
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
