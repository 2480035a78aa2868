package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/model"
)

// lbcRule adds a node-group rule as LBC writes it for its Ingresses and
// TargetGroupBindings: from the backend group, with the shared description.
func (cl *cluster) lbcRule(backend string, port int32) {
	cl.t.Helper()
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(cl.t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(cl.world.NodeSG), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
			FromPort: aws.Int32(port), ToPort: aws.Int32(port), UserIdGroupPairs: []ec2types.UserIdGroupPair{{
				GroupId: aws.String(backend), Description: aws.String(model.BackendRuleDescription)}}}}}); err != nil {
		cl.t.Fatal(err)
	}
}

// TestLBCRulesSurviveSwitchOver: after a switch from LBC, rules that LBC's
// Ingresses and TargetGroupBindings use carry kelb's description too. kelb
// must not revoke them while such objects exist, and deleting kelb's last
// Service must not delete the backend group (or its references) while an
// ALB of LBC's uses it.
func TestLBCRulesSurviveSwitchOver(t *testing.T) {
	cl := newCluster(t, 3)
	// kelb serves Services only; LBC keeps the Ingresses of its class.
	cl.opts.EnableIngress = false
	// LBC's TargetGroupBinding CRD stays when LBC goes; kelb's is the same
	// and is installed in every test apiserver.
	cl.startKelb()
	cl.createService("svc1", withPort(80, 30801, corev1.ProtocolTCP))
	cl.waitReady("svc1")
	backend := cl.backendSG()

	// LBC's world: an ALB with the backend group, an Ingress of class alb
	// to a Service on node port 31500, a TargetGroupBinding on 31600.
	ctx := t.Context()
	if _, err := cl.world.Clients.ELBV2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("k8s-lbc-alb"),
		Type: elbtypes.LoadBalancerTypeEnumApplication, Subnets: cl.world.PrivateSubnets,
		SecurityGroups: []string{backend}}); err != nil {
		t.Fatal(err)
	}
	className := "alb"
	for _, o := range []client.Object{
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: className},
			Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, NodePort: 31500, Protocol: corev1.ProtocolTCP}}}},
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: networkingv1.IngressSpec{IngressClassName: &className, DefaultBackend: &networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}},
	} {
		if err := cl.c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	tgb := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding",
		"metadata": map[string]any{"namespace": "default", "name": "api"},
		"spec": map[string]any{"targetGroupARN": "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/api/1",
			"targetType": "instance", "serviceRef": map[string]any{"name": "api", "port": int64(80)},
			"networking": map[string]any{"ingress": []any{map[string]any{
				"from":  []any{map[string]any{"securityGroup": map[string]any{"groupID": backend}}},
				"ports": []any{map[string]any{"protocol": "TCP", "port": int64(31600)}}}}}}}}
	if err := cl.c.Create(ctx, tgb); err != nil {
		t.Fatal(err)
	}
	cl.lbcRule(backend, 31500)
	cl.lbcRule(backend, 31600)

	// A Service comes and goes: each time kelb recomputes the node rules,
	// and revokes the one the Service used.
	cl.createService("svc2", withPort(80, 30802, corev1.ProtocolTCP))
	cl.waitReady("svc2")
	if err := cl.c.Delete(ctx, cl.get("svc2")); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("svc2")
	eventually(t, 30*time.Second, "svc2's rule revoked", func() (bool, string) {
		return !allowed(cl.nodeRuleList(), "tcp", backend, 30802), fmt.Sprint(cl.nodeRules())
	})
	for _, port := range []int32{31500, 31600} {
		if !allowed(cl.nodeRuleList(), "tcp", backend, port) {
			t.Errorf("LBC's rule for port %d was revoked: %v", port, cl.nodeRules())
		}
	}

	// The last Service of kelb's goes: LBC's ALB still uses the backend
	// group, so it stays, with its references.
	if err := cl.c.Delete(ctx, cl.get("svc1")); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("svc1")
	eventually(t, 30*time.Second, "svc1's rule revoked", func() (bool, string) {
		return !allowed(cl.nodeRuleList(), "tcp", backend, 30801), fmt.Sprint(cl.nodeRules())
	})
	if cl.backendSG() != backend {
		t.Error("the backend group was deleted while LBC's ALB uses it")
	}
	for _, port := range []int32{31500, 31600} {
		if !allowed(cl.nodeRuleList(), "tcp", backend, port) {
			t.Errorf("LBC's rule for port %d was revoked with the last Service: %v", port, cl.nodeRules())
		}
	}
}
