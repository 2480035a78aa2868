package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestIngressStackLeftAlone: an Ingress group's stack as LBC tags it
// (ingress.k8s.aws/stack default/gone, this cluster's name, no identity
// tag), with no Ingress in the cluster and a node rule on its node port,
// survives kelb's sweeper and node-rules writer untouched, while the
// orphan of the Service default/gone (the same name, another kind) is
// swept and its node rule revoked. A target group tagged for the Service
// default/live and an Ingress group at once is not kelb's to decide on:
// left out of the inventory, reported, never touched.
func TestIngressStackLeftAlone(t *testing.T) {
	cl := newCluster(t, 2)
	// kelb serves Services only: Ingress stacks are another controller's.
	cl.opts.EnableIngress = false
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
	ambiguous := cl.ambiguousTargetGroup("default/live")
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
	if got := cl.mutations(t0, append(alb.ids(), ambiguous)); len(got) != 0 {
		t.Errorf("kelb changed the Ingress stack or the ambiguous target group: %v", got)
	}
	if got := metric(t, "kelb_foreign_resources", map[string]string{"reason": "stack-tags"}); got < 1 {
		t.Errorf("resources left out for their stack tags: %v, want the ambiguous target group", got)
	}
	want := fmt.Sprintf("tcp/31700-31700 from %s (elbv2.k8s.aws/targetGroupBinding=shared)", backend)
	if rules := cl.nodeRules(); !slices.Contains(rules, want) {
		t.Errorf("the Ingress stack's node rule is gone: %v", rules)
	}
}

// ambiguousTargetGroup creates a target group of this cluster tagged for the
// Service stack and the Ingress group stack at once.
func (cl *cluster) ambiguousTargetGroup(stack string) string {
	cl.t.Helper()
	tags := model.MergeTags(map[string]string{model.TagCluster: cl.world.Cluster},
		model.StackID{Kind: model.ServiceKind, Name: stack}.Tags(stack+":80"),
		model.StackID{Kind: model.IngressKind, Name: stack}.Tags(stack+"-web:80"))
	out, err := cl.world.Clients.ELBV2.CreateTargetGroup(cl.t.Context(), &elbv2.CreateTargetGroupInput{
		Name: aws.String("ambiguous-tg"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(31800),
		TargetType: elbtypes.TargetTypeEnumInstance, VpcId: aws.String(cl.world.VPCID), Tags: elbTagList(tags)})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}
