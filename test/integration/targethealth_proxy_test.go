package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// TestProxyTargetHealth: through the proxy, moto's targets pass through the
// states AWS gives them: initial, then healthy or forced unhealthy,
// draining for the group's (scaled) deregistration delay, then gone; each
// DescribeTargetHealth is logged with its target group. It needs moto
// only, no cluster.
func TestProxyTargetHealth(t *testing.T) {
	env.Proxy.TargetHealth.SetTimes(time.Second, 0.01) // 1 s initial, 300 s delay drains 3 s
	t.Cleanup(func() { env.Proxy.TargetHealth.SetTimes(0, 0) })
	ctx := t.Context()
	clients, err := env.AWSClients(ctx, testenv.NewAccount()+testenv.ObserverSuffix)
	if err != nil {
		t.Fatal(err)
	}
	vpc, err := clients.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	api := clients.ELBV2
	tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("health"),
		Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	target := func(ip string) []elbtypes.TargetDescription {
		return []elbtypes.TargetDescription{{Id: aws.String(ip), Port: aws.Int32(8080)}}
	}
	health := func(named ...elbtypes.TargetDescription) string {
		out, err := api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn), Targets: named})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, d := range out.TargetHealthDescriptions {
			s = append(s, strings.TrimSpace(fmt.Sprintf("%s %s %s", aws.ToString(d.Target.Id), d.TargetHealth.State,
				d.TargetHealth.Reason)))
		}
		return strings.Join(s, ", ")
	}
	start := time.Now()
	if _, err := api.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(arn),
		Targets: append(target("10.0.0.1"), target("10.0.0.2")...)}); err != nil {
		t.Fatal(err)
	}
	if got, want := health(), "10.0.0.1 initial Elb.RegistrationInProgress, 10.0.0.2 initial Elb.RegistrationInProgress"; got != want &&
		time.Since(start) < time.Second {
		t.Errorf("new targets: %q, want %q", got, want)
	}
	if err := env.Proxy.TargetHealth.Force(arn, "10.0.0.2", 8080, awsproxy.TargetUnhealthy); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "healthy and forced unhealthy", func() (bool, string) {
		s := health()
		return s == "10.0.0.1 healthy, 10.0.0.2 unhealthy Target.FailedHealthChecks", s
	})

	deregistered := time.Now()
	if _, err := api.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(arn),
		Targets: target("10.0.0.1")}); err != nil {
		t.Fatal(err)
	}
	if got, want := health(), "10.0.0.2 unhealthy Target.FailedHealthChecks, 10.0.0.1 draining Target.DeregistrationInProgress"; got != want &&
		time.Since(deregistered) < 3*time.Second {
		t.Errorf("after deregistration: %q, want %q", got, want)
	}
	// moto forgot the target and would refuse this; AWS accepts it and the drain goes on.
	if _, err := api.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(arn),
		Targets: target("10.0.0.1")}); err != nil {
		t.Errorf("deregistering a draining target again: %v", err)
	}
	eventually(t, 10*time.Second, "drained", func() (bool, string) {
		s := health()
		return s == "10.0.0.2 unhealthy Target.FailedHealthChecks", s
	})
	if got, want := health(target("10.0.0.1")...), "10.0.0.1 unused Target.NotRegistered"; got != want {
		t.Errorf("drained target named: %q, want %q", got, want)
	}
	if took := time.Since(deregistered); took < 3*time.Second {
		t.Errorf("drained after %v, want the 300 s delay scaled to 3 s", took)
	}
	calls := awsproxy.CountByTargetGroup(env.Proxy.Log.Since(start), "DescribeTargetHealth")
	if calls[arn] < 4 {
		t.Errorf("DescribeTargetHealth calls logged for the group: %d, want every one made", calls[arn])
	}
}
