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
