package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestIngressStackLeftAlone: an Ingress group's stack as LBC tags it
// (ingress.k8s.aws/stack default/gone, this cluster's name, no identity
// tag), with no Ingress in the cluster and a node rule on its node port,
// survives kelb's sweeper and node-rules writer untouched, while the
// orphan of the Service default/gone (the same name, another kind) is
// swept and its node rule revoked.
func TestIngressStackLeftAlone(t *testing.T) {
	cl := newCluster(t, 2)
	cl.startKelb()
	cl.createService("gone", withPort(80, 30901, corev1.ProtocolTCP))
	cl.createService("live", withPort(80, 30903, corev1.ProtocolTCP))
	cl.waitReady("gone")
	cl.waitReady("live")
	cl.stopKelb()
	var orphanLB string
	for name, arn := range cl.loadBalancers() {
		if strings.HasPrefix(name, "k8s-default-gone-") {
			orphanLB = arn
		}
	}
	backend := cl.backendSG()
	alb := cl.makeStack(stackSpec{stack: "default/gone", name: "k8s-default-gone-alb", vpc: cl.world.VPCID,
		subnets: cl.world.PrivateSubnets, nodePort: 31700, backendSG: backend, withFrontend: true, withTG: true, ingress: true})
	cl.lbcRule(backend, 31700)
	cl.deleteStripped("gone")

	notServed := orphanFindings(t, "not-served")
	t0 := time.Now()
	cl.startKelb()
	eventually(t, 60*time.Second, "the Service orphan swept and its node rule revoked", func() (bool, string) {
		rules := cl.nodeRules()
		return orphanLB != "" && !cl.exists(orphanLB)[orphanLB] &&
			!slices.ContainsFunc(rules, func(r string) bool { return strings.Contains(r, "30901") }), fmt.Sprint(rules)
	})
	waitSweeps(t, sweeps(t), 2)
	if got := orphanFindings(t, "not-served") - notServed; got != 1 {
		t.Errorf("Ingress stacks reported as not served: %v, want 1", got)
	}
	if left := cl.exists(alb.ids()...); slices.Contains(mapValues(left), false) {
		t.Errorf("the Ingress stack lost resources: %v", left)
	}
	if got := cl.mutations(t0, alb.ids()); len(got) != 0 {
		t.Errorf("kelb changed the Ingress stack: %v", got)
	}
	want := fmt.Sprintf("tcp/31700-31700 from %s (elbv2.k8s.aws/targetGroupBinding=shared)", backend)
	if rules := cl.nodeRules(); !slices.Contains(rules, want) {
		t.Errorf("the Ingress stack's node rule is gone: %v", rules)
	}
}
