package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Objects as a Deployment, the kubelet and the EndpointSlice controller
// leave them (none of them runs here), so that what kelb reads of them is
// the size it would be in a cluster.

// benchPod is a running pod of a Deployment's ReplicaSet, as created (its
// status is set by benchPodStatus).
func benchPod(namespace, app string, i int, node string) *corev1.Pod {
	const hash = "5d8f9c7b6d"
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("%s-%s-%05d", app, hash, i),
			Labels: map[string]string{"app": app, "pod-template-hash": hash},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: app + "-" + hash,
				UID: types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", len(app))), Controller: ptr.To(true),
				BlockOwnerDeletion: ptr.To(true)}}},
		Spec: corev1.PodSpec{
			NodeName:           node,
			ServiceAccountName: "default",
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example.com/team/app:1.4.2",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "PORT", Value: "8080"},
					{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 5},
				VolumeMounts: []corev1.VolumeMount{{Name: "kube-api-access", ReadOnly: true,
					MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}},
			}},
			Volumes: []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
						Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
						FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
				}}}}},
		},
	}
}

// benchPodStatus is the status the kubelet gives a running, ready pod.
func benchPodStatus(hostIP, podIP string) corev1.PodStatus {
	started := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: started}
	}
	return corev1.PodStatus{
		Phase: corev1.PodRunning, HostIP: hostIP, HostIPs: []corev1.HostIP{{IP: hostIP}},
		PodIP: podIP, PodIPs: []corev1.PodIP{{IP: podIP}}, StartTime: &started, QOSClass: corev1.PodQOSBurstable,
		Conditions: []corev1.PodCondition{cond("PodReadyToStartContainers"), cond(corev1.PodInitialized),
			cond(corev1.PodReady), cond(corev1.ContainersReady), cond(corev1.PodScheduled)},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, Started: ptr.To(true),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
			Image:       "registry.example.com/team/app:1.4.2",
			ImageID:     "registry.example.com/team/app@sha256:4f1a9c0b7e2d8a6f3c5b1e9d7a2c4f6b8e0d2a4c6e8f0b2d4a6c8e0f2b4d6a8c",
			ContainerID: "containerd://" + fmt.Sprintf("%064x", len(podIP)*7919+int(podIP[len(podIP)-1]))}},
	}
}

// benchSlices are the EndpointSlices of a Service over its pods, 100
// endpoints each as the EndpointSlice controller makes them, every
// endpoint ready and naming its pod.
func benchSlices(svc *corev1.Service, pods []*corev1.Pod, nodes map[string]benchNode) []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for start := 0; start < len(pods); start += 100 {
		s := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: fmt.Sprintf("%s-%05d", svc.Name, start/100),
				Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name,
					discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"},
				Annotations: map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
					Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080),
				Protocol: ptr.To(corev1.ProtocolTCP)}},
		}
		for _, p := range pods[start:min(start+100, len(pods))] {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{p.Status.PodIP},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
				NodeName:   ptr.To(p.Spec.NodeName), Zone: ptr.To(nodes[p.Spec.NodeName].zone),
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}})
		}
		out = append(out, s)
	}
	return out
}

// benchNode is where a seeded node is: its address and zone.
type benchNode struct{ ip, zone string }

// benchNodes reads the seeded nodes' addresses and zones (from their
// provider ids, aws:///<zone>/<instance>).
func (b *bench) benchNodes(ctx context.Context) (map[string]benchNode, error) {
	var list corev1.NodeList
	if err := b.c.List(ctx, &list); err != nil {
		return nil, err
	}
	out := map[string]benchNode{}
	for _, n := range list.Items {
		var bn benchNode
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				bn.ip = a.Address
			}
		}
		if parts := strings.Split(strings.TrimPrefix(n.Spec.ProviderID, "aws:///"), "/"); len(parts) == 2 {
			bn.zone = parts[0]
		}
		out[n.Name] = bn
	}
	return out, nil
}
