package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/readinessgate"
)

// gatesScenario: 200 pods behind 20 ip bindings, each pod carrying its
// binding's target-health gate with its containers ready (its endpoint
// published not ready). The gate latency is from AWS reporting the target
// healthy (its registration plus the proxy's initial time) to the pod's
// condition True; DescribeTargetHealth calls are counted during the
// rollout and at rest.
func (b *bench) gatesScenario(ctx context.Context) error {
	const bindings, perBinding, initial, rest = 20, 10, 5 * time.Second, time.Minute
	header(fmt.Sprintf("readiness gates: %d gated pods behind %d ip bindings; targets initial for %s",
		bindings*perBinding, bindings, initial))
	b.env.Proxy.TargetHealth.SetTimes(initial, 0)
	defer b.env.Proxy.TargetHealth.SetTimes(0, 0)
	const ns = "gates"
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	tgName := map[string]string{} // ARN -> binding
	pod := 0
	for i := range bindings {
		name := fmt.Sprintf("gates%02d", i)
		out, err := b.world.Clients.ELBV2.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(name),
			Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp,
			VpcId: aws.String(b.world.VPCID)})
		if err != nil {
			return err
		}
		tgName[aws.ToString(out.TargetGroups[0].TargetGroupArn)] = name
		if err := b.c.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP,
					TargetPort: intstr.FromInt32(8080)}}}}); err != nil {
			return err
		}
		slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: name}}, AddressType: discoveryv1.AddressTypeIPv4,
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}}}
		for j := range perBinding {
			ip := fmt.Sprintf("10.0.%d.%d", 200+pod/250, 1+pod%250)
			node := b.world.Nodes[pod%len(b.world.Nodes)]
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", name, j),
				Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}},
					ReadinessGates: []corev1.PodReadinessGate{{ConditionType: corev1.PodConditionType(readinessgate.ConditionType(name))}}}}
			if err := b.c.Create(ctx, p); err != nil {
				return err
			}
			now := metav1.Now()
			p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, Conditions: []corev1.PodCondition{
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ReadinessGatesNotReady", LastTransitionTime: now}}}
			if err := b.c.Status().Update(ctx, p); err != nil {
				return err
			}
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node),
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)},
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name}})
			pod++
		}
		if err := b.c.Create(ctx, slice); err != nil {
			return err
		}
		ipType := v1beta1.TargetTypeIP
		if err := b.c.Create(ctx, &v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1beta1.TargetGroupBindingSpec{TargetGroupName: name, TargetType: &ipType,
				ServiceRef: v1beta1.ServiceReference{Name: name, Port: intstr.FromString("http")}}}); err != nil {
			return err
		}
	}
	k, err := b.startKelb("gates")
	if err != nil {
		return err
	}
	defer k.stop()
	t0 := time.Now()
	trueAt := map[string]time.Time{} // pod -> first seen True
	for len(trueAt) < pod {
		if time.Since(t0) > 5*time.Minute {
			return fmt.Errorf("%d of %d gate conditions True after 5 minutes", len(trueAt), pod)
		}
		var list corev1.PodList
		if err := b.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		now := time.Now()
		for _, p := range list.Items {
			c := readinessgate.Existing(&p, readinessgate.ConditionType(p.Labels["app"]))
			if _, seen := trueAt[p.Name]; !seen && c != nil && c.Status == corev1.ConditionTrue {
				trueAt[p.Name] = now
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	done := time.Now()
	registered := map[string]time.Time{} // binding -> its (first) RegisterTargets
	for _, c := range b.calls(t0) {
		if name, ok := tgName[c.Params["TargetGroupArn"]]; ok && c.Action == "RegisterTargets" && c.Status == 200 {
			if _, seen := registered[name]; !seen {
				registered[name] = c.Time
			}
		}
	}
	var lat []time.Duration
	for name, at := range trueAt {
		var p corev1.Pod
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
			return err
		}
		reg, ok := registered[p.Labels["app"]]
		if !ok {
			return fmt.Errorf("no RegisterTargets logged for %s", p.Labels["app"])
		}
		lat = append(lat, at.Sub(reg.Add(initial)))
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		return lat[min(len(lat)-1, int(q*float64(len(lat))))].Round(time.Millisecond)
	}
	rollout := countAction(b.calls(t0), "DescribeTargetHealth", done)
	fmt.Printf("  all %d conditions True %s after kelb started\n", pod, done.Sub(t0).Round(time.Millisecond))
	fmt.Printf("  gate latency from AWS healthy to condition True: p50 %s, p99 %s, max %s (pods polled every 200 ms)\n",
		pct(0.5), pct(0.99), lat[len(lat)-1].Round(time.Millisecond))
	fmt.Printf("  DescribeTargetHealth during the rollout: %d in %s (%.0f per minute)\n", rollout,
		done.Sub(t0).Round(time.Second), float64(rollout)/done.Sub(t0).Minutes())
	time.Sleep(rest)
	atRest := countAction(b.calls(done), "DescribeTargetHealth", time.Now())
	fmt.Printf("  DescribeTargetHealth at rest: %d in %s\n", atRest, rest)
	return nil
}

func countAction(calls []awsproxy.Call, action string, before time.Time) int {
	n := 0
	for _, c := range calls {
		if c.Action == action && c.Time.Before(before) {
			n++
		}
	}
	return n
}
