package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// TestProxyRefusesAsAWS: through the proxy, moto refuses what AWS refuses
// (an unknown SSL policy, a 51st listener, target-group attribute keys that
// are unknown or not for the group's protocol, a certificate not yet
// usable), with AWS's codes, and takes what AWS takes.
func TestProxyRefusesAsAWS(t *testing.T) {
	cl := newCluster(t, 1)
	ctx := t.Context()
	api := cl.world.Clients.ELBV2
	lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("refusals"),
		Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal,
		Subnets: cl.world.PrivateSubnets})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := lb.LoadBalancers[0].LoadBalancerArn
	tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("refusals"),
		Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(30080), VpcId: aws.String(cl.world.VPCID),
		TargetType: elbtypes.TargetTypeEnumInstance})
	if err != nil {
		t.Fatal(err)
	}
	tgARN := tg.TargetGroups[0].TargetGroupArn
	cert := importCertificate(t, cl)
	listener := func(port int32, policy, cert string) error {
		in := &elbv2.CreateListenerInput{LoadBalancerArn: lbARN, Port: aws.Int32(port), Protocol: elbtypes.ProtocolEnumTcp,
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}}
		if cert != "" {
			in.Protocol, in.SslPolicy = elbtypes.ProtocolEnumTls, aws.String(policy)
			in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(cert)}}
		}
		_, err := api.CreateListener(ctx, in)
		return err
	}
	attribute := func(key, value string) error {
		_, err := api.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: tgARN,
			Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String(key), Value: aws.String(value)}}})
		return err
	}
	status := func() string {
		out, err := cl.world.Clients.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(cert)})
		if err != nil {
			return awsclient.ErrorCode(err)
		}
		return string(out.Certificate.Status)
	}
	code := func(err error) string {
		if err == nil {
			return "ok"
		}
		return awsclient.ErrorCode(err)
	}

	got := map[string]string{
		"unknown SSL policy":      code(listener(1, "ELBSecurityPolicy-Bogus", cert)),
		"preserve_client_ip":      code(attribute("preserve_client_ip.enabled", "false")),
		"unknown attribute key":   code(attribute("stickiness.bogus", "true")),
		"an ALB attribute on TCP": code(attribute("slow_start.duration_seconds", "30")),
	}
	env.Proxy.Certificates.Hold(cert, awsproxy.CertificateMissing)
	got["held missing: ACM"], got["held missing: listener"] = status(), code(listener(2, "ELBSecurityPolicy-2016-08", cert))
	env.Proxy.Certificates.Hold(cert, "PENDING_VALIDATION")
	got["held pending: ACM"], got["held pending: listener"] = status(), code(listener(3, "ELBSecurityPolicy-2016-08", cert))
	env.Proxy.Certificates.Release(cert)
	got["released: ACM"], got["released: listener"] = status(), code(listener(4, "ELBSecurityPolicy-2016-08", cert))
	for n := int32(1); n < awsproxy.ListenersPerLoadBalancer; n++ { // the one on port 4 is the first
		if err := listener(100+n, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	got["51st listener"] = code(listener(200, "", ""))

	want := map[string]string{
		"unknown SSL policy": "SSLPolicyNotFound", "preserve_client_ip": "ok", "unknown attribute key": "ValidationError",
		"an ALB attribute on TCP": "InvalidConfigurationRequest",
		"held missing: ACM":       "ResourceNotFoundException", "held missing: listener": "CertificateNotFound",
		"held pending: ACM": "PENDING_VALIDATION", "held pending: listener": "UnsupportedCertificate",
		"released: ACM": "ISSUED", "released: listener": "ok", "51st listener": "TooManyListeners",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}
