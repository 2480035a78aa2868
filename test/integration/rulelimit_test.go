package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestRuleLimit: at the rules-per-group limit kelb first makes room without
// loss (a rule of a Service that is gone), and when that is not enough
// keeps every rule traffic needs and says which group is full.
func TestRuleLimit(t *testing.T) {
	env.Proxy.RuleLimit.SetLimit(5)
	t.Cleanup(func() { env.Proxy.RuleLimit.SetLimit(awsproxy.DefaultRuleLimit) })
	cl := newCluster(t, 3)
	ctx := t.Context()
	for _, cidr := range []string{"192.168.1.0/24", "192.168.2.0/24"} { // the user's
		if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(cl.world.NodeSG), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
				FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	cl.startKelb()
	cl.createService("a", withPort(80, 31000, corev1.ProtocolTCP))
	cl.createService("b", withPort(80, 31100, corev1.ProtocolTCP))
	cl.waitReady("a")
	cl.waitReady("b")

	// b goes while kelb is down; its rule stays behind.
	cl.stopKelb()
	if err := cl.c.Delete(ctx, cl.get("b")); err != nil {
		t.Fatal(err)
	}
	cl.update("b", func(s *corev1.Service) { s.Finalizers = nil })
	cl.waitGone("b")
	cl.startKelb()
	cl.createService("c", withPort(80, 31200, corev1.ProtocolTCP))
	cl.createService("d", withPort(80, 31300, corev1.ProtocolTCP))
	cl.waitReady("c")
	cl.waitReady("d")
	rules := strings.Join(cl.nodeRules(), ";")
	for _, want := range []string{"31000", "31200", "31300", "192.168.1.0/24", "192.168.2.0/24"} {
		if !strings.Contains(rules, want) {
			t.Errorf("missing %s: %s", want, rules)
		}
	}
	if strings.Contains(rules, "31100") {
		t.Errorf("the gone Service's rule was not revoked to make room: %s", rules)
	}

	// Full: the new Service waits, the others keep their rules.
	cl.createService("e", withPort(80, 31400, corev1.ProtocolTCP))
	c := cl.waitCondition("e", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "SecurityGroupRuleLimit")
	for _, want := range []string{cl.world.NodeSG, "quota", "Service Quotas"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q does not name %q", c.Message, want)
		}
	}
	time.Sleep(time.Second)
	if after := strings.Join(cl.nodeRules(), ";"); after != rules {
		t.Errorf("rules changed at the limit:\nbefore %s\nafter  %s", rules, after)
	}
}
