package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The Ingress scenarios' objects: backend Services with running pods and
// their EndpointSlices, and the Ingresses.

func ingBackend(i int) [2]string {
	return [2]string{fmt.Sprintf("be%03d-a", i), fmt.Sprintf("be%03d-b", i)}
}

func (b *bench) ingressBackends(ctx context.Context, ns string, count, ipBase int) error {
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	class := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: ingClass},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}
	if err := b.c.Create(ctx, class); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	nodes, err := b.benchNodes(ctx)
	if err != nil {
		return err
	}
	pod := 0
	for i := range count {
		for _, name := range ingBackend(i) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
					Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP,
						TargetPort: intstr.FromString("http")}}}}
			if err := b.c.Create(ctx, svc); err != nil {
				return err
			}
			var pods []*corev1.Pod
			for j := range ingPodsPer {
				node := b.world.Nodes[pod%len(b.world.Nodes)]
				p := benchPod(ns, name, j, node)
				if err := b.c.Create(ctx, p); err != nil {
					return err
				}
				p.Status = benchPodStatus(nodes[node].ip, fmt.Sprintf("10.0.%d.%d", ipBase+pod/250, 1+pod%250))
				if err := b.c.Status().Update(ctx, p); err != nil {
					return err
				}
				pods = append(pods, p)
				pod++
			}
			for _, s := range benchSlices(svc, pods, nodes) {
				if err := b.c.Create(ctx, s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func benchIngress(name string) *networkingv1.Ingress {
	var i int
	_, _ = fmt.Sscanf(name, "ing%d", &i)
	return benchIngressNamed(name, ingBackend(i))
}

func benchIngressNamed(name string, backends [2]string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ingNamespace, Name: name,
			Annotations: map[string]string{"alb.ingress.kubernetes.io/target-type": "ip"}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String(ingClass), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{ingPath("/a", backends[0]), ingPath("/b", backends[1])}}}}}},
	}
}

func ingPath(path, service string) networkingv1.HTTPIngressPath {
	prefix := networkingv1.PathTypePrefix
	return networkingv1.HTTPIngressPath{Path: path, PathType: &prefix, Backend: networkingv1.IngressBackend{
		Service: &networkingv1.IngressServiceBackend{Name: service, Port: networkingv1.ServiceBackendPort{Number: 80}}}}
}
