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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/testenv"
)

// applyExamples creates every object of examples/*.yaml, and for each
// Service an EndpointSlice with three ready pod addresses, as
// kube-controller-manager would.
func applyExamples(ctx context.Context, c client.Client, dir string, w *testenv.World) ([]client.ObjectKey, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	decoder := serializer.NewCodecFactory(clientgoscheme.Scheme).UniversalDeserializer()
	var services []client.ObjectKey
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
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
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			o := obj.(client.Object)
			if err := c.Create(ctx, o); err != nil {
				return nil, fmt.Errorf("%s: creating %s: %w", f, o.GetName(), err)
			}
			fmt.Printf("   %T %s/%s (%s)\n", obj, o.GetNamespace(), o.GetName(), filepath.Base(f))
			if svc, ok := obj.(*corev1.Service); ok {
				services = append(services, client.ObjectKeyFromObject(svc))
				if err := createEndpoints(ctx, c, svc, w, len(services)); err != nil {
					return nil, err
				}
			}
		}
	}
	return services, nil
}

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
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	return c.Create(ctx, slice)
}
