package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/testenv"
)

// applied names what the sandbox waits for and reports: the Services kelb
// makes a load balancer for, and the Ingresses.
type applied struct {
	services  []client.ObjectKey
	ingresses []client.ObjectKey
}

// applyExamples creates every object of examples/*.yaml (files in name
// order, documents in file order), and for each Service an EndpointSlice
// with three ready endpoints backed by Pods, as kube-controller-manager
// would.
func applyExamples(ctx context.Context, c client.Client, dir string, w *testenv.World) (applied, error) {
	var out applied
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return out, err
	}
	sort.Strings(files)
	decoder := serializer.NewCodecFactory(clientgoscheme.Scheme).UniversalDeserializer()
	sliceN := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return out, err
		}
		reader := utilyaml.NewYAMLReader(bufioReader(data))
		for {
			doc, err := reader.Read()
			if err != nil {
				break
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, _, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				return out, fmt.Errorf("%s: %w", f, err)
			}
			o := obj.(client.Object)
			if err := c.Create(ctx, o); err != nil {
				return out, fmt.Errorf("%s: creating %s: %w", f, o.GetName(), err)
			}
			fmt.Printf("   %T %s (%s)\n", obj, client.ObjectKeyFromObject(o), filepath.Base(f))
			switch o := obj.(type) {
			case *corev1.Service:
				if o.Spec.Type == corev1.ServiceTypeLoadBalancer {
					out.services = append(out.services, client.ObjectKeyFromObject(o))
				}
				sliceN++
				if err := createEndpoints(ctx, c, o, w, sliceN); err != nil {
					return out, err
				}
			case *networkingv1.Ingress:
				out.ingresses = append(out.ingresses, client.ObjectKeyFromObject(o))
			}
		}
	}
	return out, nil
}

// createEndpoints gives the Service one Pod per node and an EndpointSlice
// listing them as ready. The Pods never run (no scheduler or kubelet), but
// ip targets of a TargetGroupBinding, hence of every Ingress, are endpoints
// backed by a Pod only, as in LBC.
func createEndpoints(ctx context.Context, c client.Client, svc *corev1.Service, w *testenv.World, n int) error {
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name + "-sandbox",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, p := range svc.Spec.Ports {
		port := p.TargetPort.IntVal
		if port == 0 {
			port = p.Port
		}
		slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{Name: ptr.To(p.Name), Port: ptr.To(port),
			Protocol: ptr.To(p.Protocol)})
	}
	for i, node := range w.Nodes {
		// Pod addresses in the nodes' private subnets, 10.0.1z.(100+10n+i).
		ip := fmt.Sprintf("10.0.%d.%d", 10+i%3, 100+10*n+i)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: fmt.Sprintf("%s-%d", svc.Name, i),
				Labels: svc.Spec.Selector},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "app"}}},
		}
		if err := c.Create(ctx, pod); err != nil {
			return fmt.Errorf("creating pod %s of service %s: %w", pod.Name, svc.Name, err)
		}
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}})
	}
	return c.Create(ctx, slice)
}
