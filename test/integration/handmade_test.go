package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestHandMadeRulesSurvive: rules a user made by hand in the node group,
// one exactly the rule kelb wants (AWS keeps one rule per port and source,
// so it stays the user's) and one beside kelb's, are never revoked, and
// kelb does not retry what the user's rule already allows.
func TestHandMadeRulesSurvive(t *testing.T) {
	cl := newCluster(t, 3)
	backend := cl.userSG("my-backend")
	cl.opts.BackendSG = backend
	ctx := t.Context()
	handMade := func(port int32, desc string, src ec2types.IpPermission) {
		src.IpProtocol, src.FromPort, src.ToPort = aws.String("tcp"), aws.Int32(port), aws.Int32(port)
		if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(cl.world.NodeSG), IpPermissions: []ec2types.IpPermission{src}}); err != nil {
			t.Fatal(err)
		}
	}
	handMade(31234, "mine", ec2types.IpPermission{UserIdGroupPairs: []ec2types.UserIdGroupPair{
		{GroupId: aws.String(backend), Description: aws.String("mine, the same as kelb's")}}})
	handMade(31235, "mine", ec2types.IpPermission{UserIdGroupPairs: []ec2types.UserIdGroupPair{
		{GroupId: aws.String(backend), Description: aws.String("mine, next to kelb's")}}})
	before := cl.nodeRules()

	cl.startKelb()
	t0 := time.Now()
	cl.createService("same", withPort(80, 31234, corev1.ProtocolTCP))
	cl.createService("next", withPort(80, 31236, corev1.ProtocolTCP))
	cl.waitReady("same")
	cl.waitReady("next")
	time.Sleep(time.Second)
	if n := awsproxy.CountByAction(cl.calls(t0))["AuthorizeSecurityGroupIngress"]; n > 3 {
		t.Errorf("%d authorizations: kelb keeps retrying what the hand-made rule allows", n)
	}
	for _, n := range []string{"same", "next"} {
		if err := cl.c.Delete(ctx, cl.get(n)); err != nil {
			t.Fatal(err)
		}
		cl.waitGone(n)
	}
	eventually(t, 20*time.Second, "node group as before", func() (bool, string) {
		after := cl.nodeRules()
		return strings.Join(after, ";") == strings.Join(before, ";"), strings.Join(after, "; ")
	})
}

// TestRestartRevokesStaleRulesAtOnce: a node port changed while kelb was
// down: the first reconcile after the restart authorizes the new port and
// revokes the old one.
func TestRestartRevokesStaleRulesAtOnce(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("moved", withPort(80, 31300, corev1.ProtocolTCP))
	cl.createService("stays", withPort(80, 31400, corev1.ProtocolTCP))
	cl.waitReady("moved")
	cl.waitReady("stays")
	cl.stopKelb()
	cl.update("moved", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 31500 })
	t0 := time.Now()
	cl.startKelb()
	eventually(t, 15*time.Second, "old port revoked, new one allowed", func() (bool, string) {
		rules := strings.Join(cl.nodeRules(), ";")
		return !strings.Contains(rules, "31300") && strings.Contains(rules, "31500") && strings.Contains(rules, "31400"), rules
	})
	t.Logf("stale rule revoked %s after the restart", time.Since(t0).Round(100*time.Millisecond))
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}
}
