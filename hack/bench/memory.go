package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// memory: ip-target Services with pods behind them, as in a real cluster
// (Pods and EndpointSlices); kelb's resident memory once converged.
func (b *bench) memory(ctx context.Context) error {
	perService := b.cfg.pods / b.cfg.services
	header(fmt.Sprintf("memory: %d pods behind %d ip-target Services", perService*b.cfg.services, b.cfg.services))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mem"}}
	if err := b.c.Create(ctx, ns); err != nil {
		return err
	}
	t0 := time.Now()
	pod := 0
	for i := 0; i < b.cfg.services; i++ {
		name := fmt.Sprintf("ip%03d", i)
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "mem", Name: name,
			Annotations: map[string]string{service.AnnTargetType: "ip"}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: aws.String("service.k8s.aws/nlb"),
				Selector: map[string]string{"app": name},
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}}
		if err := b.c.Create(ctx, s); err != nil {
			return err
		}
		slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "mem", Name: name + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: name}}, AddressType: discoveryv1.AddressTypeIPv4,
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80)}}}
		for j := 0; j < perService; j++ {
			ip := fmt.Sprintf("10.0.%d.%d", 128+pod/250, 1+pod%250)
			node := b.world.Nodes[pod%len(b.world.Nodes)]
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "mem", Name: fmt.Sprintf("%s-%d", name, j),
				Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}}}
			if err := b.c.Create(ctx, p); err != nil {
				return err
			}
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node),
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "mem", Name: p.Name}})
			pod++
		}
		if err := b.c.Create(ctx, slice); err != nil {
			return err
		}
	}
	fmt.Printf("  created %d Pods, %d Services and their EndpointSlices in %s\n", pod, b.cfg.services,
		time.Since(t0).Round(time.Second))
	k, err := b.startKelb("memory")
	if err != nil {
		return err
	}
	defer k.stop()
	t1 := time.Now()
	if _, err := b.waitReady(ctx, "mem", b.cfg.services, 5*time.Minute); err != nil {
		return err
	}
	fmt.Printf("  converged in %s\n", time.Since(t1).Round(time.Millisecond))
	time.Sleep(5 * time.Second)
	runtime.GC()
	rss, peak := k.memory()
	fmt.Printf("  kelb resident memory: %.1f MB now, %.1f MB peak\n", rss, peak)
	return nil
}

// tagged counts the resources tagged for the cluster.
func (b *bench) tagged(ctx context.Context) (int, error) {
	res, err := b.world.Clients.Tagging.GetResources(ctx, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup"},
		TagFilters:          []taggingtypes.TagFilter{{Key: aws.String(model.TagCluster), Values: []string{b.world.Cluster}}}})
	if err != nil {
		return 0, err
	}
	sgs, err := b.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagCluster), Values: []string{b.world.Cluster}}}})
	if err != nil {
		return 0, err
	}
	return len(res.ResourceTagMappingList) + len(sgs.SecurityGroups), nil
}
