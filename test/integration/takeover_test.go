package integration

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// lbcPort is one port of a Service as LBC v3.5 makes it in AWS.
type lbcPort struct {
	port, nodePort        int32
	listener, targetGroup elbtypes.ProtocolEnum
	certs                 []string // the first is the listener's default, the others added after
	alpn                  string
}

// lbcService is a Service and the AWS resources LBC v3.5 leaves for it:
// its forms, names, tags and defaults.
type lbcService struct {
	name        string
	annotations map[string]string
	local       int32 // the health-check node port of externalTrafficPolicy Local; 0 for Cluster
	ports       []lbcPort
	hc          elbtypes.TargetGroup // health-check fields only
	lbAttrs     map[string]string
	tgAttrs     map[string]string
}

// lbcWorld holds what every LBC-made Service shares.
type lbcWorld struct {
	cl      *cluster
	backend string
}

func (w *lbcWorld) elbTags(m map[string]string) []elbtypes.Tag {
	var out []elbtypes.Tag
	for k, v := range m {
		out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

func (w *lbcWorld) sg(name, description string, tags map[string]string) string {
	cl := w.cl
	var ts []ec2types.Tag
	for k, v := range tags {
		ts = append(ts, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := cl.world.Clients.EC2.CreateSecurityGroup(cl.t.Context(), &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String(description), VpcId: aws.String(cl.world.VPCID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: ts}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.GroupId)
}

func (w *lbcWorld) ingress(group, proto string, port int32, perm ec2types.IpPermission) {
	perm.IpProtocol, perm.FromPort, perm.ToPort = aws.String(proto), aws.Int32(port), aws.Int32(port)
	if _, err := w.cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(w.cl.t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(group), IpPermissions: []ec2types.IpPermission{perm}}); err != nil {
		w.cl.t.Fatal(err)
	}
}

// make creates the Service (with LBC's finalizer) and its AWS resources as
// LBC does: frontend group with a rule per port from 0.0.0.0/0 and no
// description, node rules from the backend group (traffic, and tcp for
// health checks), load balancer, target groups with LBC's attributes and
// targets, listeners with LBC's forward form and tags, extra certificates.
func (w *lbcWorld) make(s lbcService) {
	cl := w.cl
	ctx := cl.t.Context()
	api := cl.world.Clients.ELBV2
	stack := "default/" + s.name
	tracking := func(resource string) map[string]string {
		return map[string]string{model.TagCluster: cl.world.Cluster, model.TagServiceStack: stack,
			model.TagServiceResource: resource}
	}
	opts := []svcOption{func(svc *corev1.Service) {
		svc.Finalizers = []string{service.Finalizer}
		svc.Annotations = s.annotations
		if s.local != 0 {
			svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			svc.Spec.HealthCheckNodePort = s.local
		}
	}}
	for _, p := range s.ports {
		proto := corev1.ProtocolTCP
		if p.listener == elbtypes.ProtocolEnumUdp {
			proto = corev1.ProtocolUDP
		}
		opts = append(opts, withPort(p.port, p.nodePort, proto))
	}
	cl.createService(s.name, opts...)

	frontend := w.sg("k8s-default-"+s.name+"-lbc", "[k8s] Managed SecurityGroup for LoadBalancer",
		tracking(model.ResourceManagedLBSG))
	lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("k8s-default-" + s.name + "-lbc"),
		Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal,
		IpAddressType: elbtypes.IpAddressTypeIpv4, Subnets: cl.world.PrivateSubnets,
		SecurityGroups: []string{frontend, w.backend}, Tags: w.elbTags(tracking(model.ResourceLoadBalancer))})
	if err != nil {
		cl.t.Fatal(err)
	}
	lbARN := lb.LoadBalancers[0].LoadBalancerArn
	if len(s.lbAttrs) > 0 {
		var attrs []elbtypes.LoadBalancerAttribute
		for k, v := range s.lbAttrs {
			attrs = append(attrs, elbtypes.LoadBalancerAttribute{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := api.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lbARN,
			Attributes: attrs}); err != nil {
			cl.t.Fatal(err)
		}
	}
	for _, p := range s.ports {
		for _, proto := range model.RuleProtocols(string(p.listener)) {
			w.ingress(frontend, proto, p.port, ec2types.IpPermission{IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}})
		}
		fromBackend := ec2types.IpPermission{UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(w.backend),
			Description: aws.String(model.BackendRuleDescription)}}}
		w.ingress(cl.world.NodeSG, map[bool]string{true: "udp", false: "tcp"}[p.targetGroup == elbtypes.ProtocolEnumUdp],
			p.nodePort, fromBackend)
		hcPort := p.nodePort
		if s.local != 0 {
			hcPort = s.local
		}
		if p.targetGroup == elbtypes.ProtocolEnumUdp || hcPort != p.nodePort {
			w.ingress(cl.world.NodeSG, "tcp", hcPort, fromBackend)
		}

		hc := s.hc
		tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
			Name:     aws.String(fmt.Sprintf("k8s-default-%s-%d", s.name, p.port)),
			Protocol: p.targetGroup, Port: aws.Int32(p.nodePort), TargetType: elbtypes.TargetTypeEnumInstance,
			VpcId: aws.String(cl.world.VPCID), IpAddressType: elbtypes.TargetGroupIpAddressTypeEnumIpv4,
			HealthCheckProtocol: hc.HealthCheckProtocol, HealthCheckPort: hc.HealthCheckPort, HealthCheckPath: hc.HealthCheckPath,
			Matcher: hc.Matcher, HealthCheckIntervalSeconds: hc.HealthCheckIntervalSeconds,
			HealthCheckTimeoutSeconds: hc.HealthCheckTimeoutSeconds, HealthyThresholdCount: hc.HealthyThresholdCount,
			UnhealthyThresholdCount: hc.UnhealthyThresholdCount,
			Tags:                    w.elbTags(tracking(stack + ":" + strconv.Itoa(int(p.port))))})
		if err != nil {
			cl.t.Fatal(err)
		}
		tgARN := tg.TargetGroups[0].TargetGroupArn
		// LBC always sets proxy_protocol_v2.enabled, false unless asked.
		attrs := []elbtypes.TargetGroupAttribute{{Key: aws.String("proxy_protocol_v2.enabled"), Value: aws.String("false")}}
		for k, v := range s.tgAttrs {
			attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := api.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: tgARN,
			Attributes: attrs}); err != nil {
			cl.t.Fatal(err)
		}
		var targets []elbtypes.TargetDescription
		for _, id := range cl.world.Instances {
			targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(p.nodePort)})
		}
		if _, err := api.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: targets}); err != nil {
			cl.t.Fatal(err)
		}
		in := &elbv2.CreateListenerInput{LoadBalancerArn: lbARN, Port: aws.Int32(p.port), Protocol: p.listener,
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(1),
				ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: tgARN}}}}},
			Tags: w.elbTags(map[string]string{model.TagCluster: cl.world.Cluster, model.TagServiceStack: stack,
				model.TagServiceResource: strconv.Itoa(int(p.port))})}
		if p.listener == elbtypes.ProtocolEnumTls {
			in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(p.certs[0])}}
			in.SslPolicy = aws.String("ELBSecurityPolicy-2016-08")
			if p.alpn != "" {
				in.AlpnPolicy = []string{p.alpn}
			}
		}
		l, err := api.CreateListener(ctx, in)
		if err != nil {
			cl.t.Fatal(err)
		}
		for _, c := range p.certs[min(1, len(p.certs)):] {
			if _, err := api.AddListenerCertificates(ctx, &elbv2.AddListenerCertificatesInput{
				ListenerArn: l.Listeners[0].ListenerArn, Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(c)}}}); err != nil {
				cl.t.Fatal(err)
			}
		}
	}
}

// TestTakeoverFromLBCWritesNothing: Services of varied kinds whose AWS
// resources LBC v3.5 made, in its forms, are taken over without a single
// change: TCP with load balancer and target group attributes, UDP with
// externalTrafficPolicy Local (HTTP health checks on the health-check node
// port), TLS with two certificates, TLS to the targets and an ALPN policy.
func TestTakeoverFromLBCWritesNothing(t *testing.T) {
	cl := newCluster(t, 2)
	w := &lbcWorld{cl: cl}
	w.backend = w.sg("k8s-traffic-"+shortName(cl.world.Cluster)+"-lbc", "[k8s] Shared Backend SecurityGroup for LoadBalancer",
		map[string]string{model.TagCluster: cl.world.Cluster, model.TagResource: model.ResourceBackendSG})
	c1, c2 := importCertificate(t, cl), importCertificate(t, cl)
	tcpCheck := elbtypes.TargetGroup{HealthCheckProtocol: elbtypes.ProtocolEnumTcp, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(10), HealthyThresholdCount: aws.Int32(3),
		UnhealthyThresholdCount: aws.Int32(3)}
	services := []lbcService{
		{name: "plain", annotations: map[string]string{
			service.AnnAttributes:            "load_balancing.cross_zone.enabled=true",
			service.AnnTargetGroupAttributes: "deregistration_delay.timeout_seconds=30"},
			ports:   []lbcPort{{port: 80, nodePort: 30100, listener: elbtypes.ProtocolEnumTcp, targetGroup: elbtypes.ProtocolEnumTcp}},
			hc:      tcpCheck,
			lbAttrs: map[string]string{"load_balancing.cross_zone.enabled": "true"},
			tgAttrs: map[string]string{"deregistration_delay.timeout_seconds": "30"}},
		{name: "dns", local: 30400,
			ports: []lbcPort{{port: 53, nodePort: 30300, listener: elbtypes.ProtocolEnumUdp, targetGroup: elbtypes.ProtocolEnumUdp}},
			hc: elbtypes.TargetGroup{HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPort: aws.String("30400"),
				HealthCheckPath: aws.String("/healthz"), Matcher: &elbtypes.Matcher{HttpCode: aws.String("200-399")},
				HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(6),
				HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2)}},
		{name: "secure", annotations: map[string]string{service.AnnSSLCert: c1 + "," + c2,
			service.AnnBackendProtocol: "ssl", service.AnnALPNPolicy: "HTTP2Preferred"},
			ports: []lbcPort{{port: 443, nodePort: 30200, listener: elbtypes.ProtocolEnumTls, targetGroup: elbtypes.ProtocolEnumTls,
				certs: []string{c1, c2}, alpn: "HTTP2Preferred"}},
			hc: tcpCheck},
	}
	for _, s := range services {
		w.make(s)
	}

	t0 := time.Now()
	cl.startKelb()
	for _, s := range services {
		cl.waitReady(s.name)
	}
	// The node-rules writer runs a second after deploys: wait until kelb
	// has been quiet for 3 s.
	eventually(t, 30*time.Second, "kelb quiet", func() (bool, string) {
		calls := cl.calls(t0)
		return len(calls) > 0 && time.Since(calls[len(calls)-1].Time) > 3*time.Second, ""
	})
	for _, c := range cl.calls(t0) {
		if c.Mutating() {
			t.Errorf("takeover changed AWS: %s %v", c.Action, c.Params)
		}
	}
	t.Logf("takeover calls: %v", awsproxy.CountByAction(cl.calls(t0)))
}
