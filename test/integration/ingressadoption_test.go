package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// lbcHash is LBC's name suffix: 10 hex digits of the SHA-256 of the parts
// written back to back. Written here apart from kelb's code.
func lbcHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])[:10]
}

// lbcIngressStack is what LBC v3.5 leaves in AWS and the cluster for an
// implicit-group Ingress with one Prefix path to one Service port, every
// setting at its default: an internal ALB in the tagged private subnets
// with a managed frontend group (port 80 from anywhere) and the shared
// backend group, an HTTP:80 listener answering 404 by default, rule 1
// forwarding the path to an instance target group on the node port with
// the nodes registered, the node-group rule from the backend group, and a
// TargetGroupBinding named as the target group.
type lbcIngressStack struct {
	lbARN, tgARN, frontend, dnsName string
}

// lbcIngressVariant is what the Ingress asks beyond the defaults.
type lbcIngressVariant struct {
	internetFacing bool   // scheme internet-facing: public subnets
	ipTargets      bool   // target-type ip: the pods' addresses on the target port
	certificate    string // HTTPS:443 with this certificate, HTTP:80 redirecting to it
	// oidc: the HTTPS rule authenticates by OIDC first, with the client of
	// Secret web-oidc (LBC's form: every setting written out, orders 1, 2).
	oidc bool
	// wafACL is a WAFv2 web ACL LBC associated (wafv2-acl-arn), with a
	// Shield protection LBC created (shield-advanced-protection).
	wafACL string
}

// lbcOIDC is the OIDC identity provider of the oidc variant.
const lbcOIDC = `{"issuer":"https://idp.example.com","authorizationEndpoint":"https://idp.example.com/auth",` +
	`"tokenEndpoint":"https://idp.example.com/token","userInfoEndpoint":"https://idp.example.com/userinfo",` +
	`"secretName":"web-oidc"}`

// annotations are the Ingress's annotations for v.
func (v lbcIngressVariant) annotations() map[string]string {
	a := map[string]string{}
	if v.internetFacing {
		a["alb.ingress.kubernetes.io/scheme"] = "internet-facing"
	}
	if v.ipTargets {
		a["alb.ingress.kubernetes.io/target-type"] = "ip"
	}
	if v.certificate != "" {
		a["alb.ingress.kubernetes.io/listen-ports"] = `[{"HTTP": 80}, {"HTTPS": 443}]`
		a["alb.ingress.kubernetes.io/certificate-arn"] = v.certificate
		a["alb.ingress.kubernetes.io/ssl-redirect"] = "443"
	}
	if v.oidc {
		a["alb.ingress.kubernetes.io/auth-type"] = "oidc"
		a["alb.ingress.kubernetes.io/auth-idp-oidc"] = lbcOIDC
	}
	if v.wafACL != "" {
		a["alb.ingress.kubernetes.io/wafv2-acl-arn"] = v.wafACL
		a["alb.ingress.kubernetes.io/shield-advanced-protection"] = "true"
	}
	return a
}

// leaveLBCIngressStack creates that stack for ing (namespace default,
// Service web port 80 on nodePort, path /api) with LBC's names and tags.
func (cl *cluster) leaveLBCIngressStack(ing *networkingv1.Ingress, svc *corev1.Service, nodePort int32,
	v lbcIngressVariant, podIPs []string) lbcIngressStack {
	t, ctx := cl.t, cl.t.Context()
	cluster := cl.world.Cluster
	group := ing.Namespace + "/" + ing.Name
	strip := regexp.MustCompile(`[^A-Za-z0-9]`)
	short := func(s string) string { s = strip.ReplaceAllString(s, ""); return s[:min(8, len(s))] }
	prefix := "k8s-" + short(ing.Namespace) + "-" + short(ing.Name) + "-"
	tags := func(resource string) map[string]string {
		return map[string]string{"elbv2.k8s.aws/cluster": cluster, "ingress.k8s.aws/stack": group,
			"ingress.k8s.aws/resource": resource}
	}
	mkSG := func(name, description string, tags map[string]string) string {
		return cl.createSG(cl.world.VPCID, name, description, tags)
	}
	var out lbcIngressStack
	out.frontend = mkSG(prefix+lbcHash(cluster, group), "[k8s] Managed SecurityGroup for LoadBalancer",
		tags("ManagedLBSecurityGroup"))
	backend := mkSG("k8s-traffic-"+strip.ReplaceAllString(cluster, "")+"-"+lbcHash(cluster),
		"[k8s] Shared Backend SecurityGroup for LoadBalancer",
		map[string]string{"elbv2.k8s.aws/cluster": cluster, "elbv2.k8s.aws/resource": "backend-sg"})
	listenPorts := []int32{80}
	if v.certificate != "" {
		listenPorts = append(listenPorts, 443)
	}
	for _, p := range listenPorts {
		if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(out.frontend), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
				FromPort: aws.Int32(p), ToPort: aws.Int32(p), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	scheme, subnets := elbtypes.LoadBalancerSchemeEnumInternal, cl.world.PrivateSubnets
	if v.internetFacing {
		scheme, subnets = elbtypes.LoadBalancerSchemeEnumInternetFacing, cl.world.PublicSubnets
	}
	// The target group's port, and the port its targets are reached on.
	targetType, tgPort := "instance", nodePort
	if v.ipTargets {
		targetType, tgPort = "ip", svc.Spec.Ports[0].TargetPort.IntVal
	}
	cl.lbcRule(backend, tgPort)

	api := cl.world.Clients.ELBV2
	lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(prefix + lbcHash(cluster, group, string(scheme))),
		Type: elbtypes.LoadBalancerTypeEnumApplication, Scheme: scheme,
		IpAddressType: elbtypes.IpAddressTypeIpv4, Subnets: subnets,
		SecurityGroups: []string{out.frontend, backend}, Tags: elbTagList(tags("LoadBalancer"))})
	if err != nil {
		t.Fatal(err)
	}
	out.lbARN, out.dnsName = aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), aws.ToString(lb.LoadBalancers[0].DNSName)
	svcPrefix := "k8s-" + short(svc.Namespace) + "-" + short(svc.Name) + "-"
	tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String(svcPrefix + lbcHash(cluster, group, ing.Namespace, ing.Name, string(svc.UID), "80",
			strconv.Itoa(int(tgPort)), targetType, "HTTP", "HTTP1")),
		Protocol: elbtypes.ProtocolEnumHttp, ProtocolVersion: aws.String("HTTP1"), Port: aws.Int32(tgPort),
		TargetType: elbtypes.TargetTypeEnum(targetType), VpcId: aws.String(cl.world.VPCID), IpAddressType: elbtypes.TargetGroupIpAddressTypeEnumIpv4,
		HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPort: aws.String("traffic-port"), HealthCheckPath: aws.String("/"),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")}, HealthCheckIntervalSeconds: aws.Int32(15),
		HealthCheckTimeoutSeconds: aws.Int32(5), HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2),
		Tags: elbTagList(tags(group + "-" + svc.Name + ":80"))})
	if err != nil {
		t.Fatal(err)
	}
	out.tgARN = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	var targets []elbtypes.TargetDescription
	ids := cl.world.Instances
	if v.ipTargets {
		ids = podIPs
	}
	for _, id := range ids {
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(tgPort)})
	}
	if _, err := api.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: &out.tgARN, Targets: targets}); err != nil {
		t.Fatal(err)
	}
	notFound := elbtypes.Action{Type: elbtypes.ActionTypeEnumFixedResponse,
		FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("404"), ContentType: aws.String("text/plain")}}
	rulesOn := &elbv2.CreateListenerInput{LoadBalancerArn: &out.lbARN, Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: []elbtypes.Action{notFound}, Tags: elbTagList(tags("80"))}
	if v.certificate != "" {
		// ssl-redirect: the HTTP listener only redirects, with no rules.
		if _, err := api.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: &out.lbARN, Port: aws.Int32(80),
			Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect,
				RedirectConfig: &elbtypes.RedirectActionConfig{Port: aws.String("443"), Protocol: aws.String("HTTPS"),
					StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}},
			Tags: elbTagList(tags("80"))}); err != nil {
			t.Fatal(err)
		}
		rulesOn = &elbv2.CreateListenerInput{LoadBalancerArn: &out.lbARN, Port: aws.Int32(443),
			Protocol: elbtypes.ProtocolEnumHttps, SslPolicy: aws.String("ELBSecurityPolicy-2016-08"),
			Certificates:   []elbtypes.Certificate{{CertificateArn: aws.String(v.certificate)}},
			DefaultActions: []elbtypes.Action{notFound}, Tags: elbTagList(tags("443"))}
	}
	ls, err := api.CreateListener(ctx, rulesOn)
	if err != nil {
		t.Fatal(err)
	}
	actions := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
		TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: &out.tgARN}}}}}
	if v.oidc {
		actions[0].Order = aws.Int32(2)
		actions = append([]elbtypes.Action{{Type: elbtypes.ActionTypeEnumAuthenticateOidc, Order: aws.Int32(1),
			AuthenticateOidcConfig: &elbtypes.AuthenticateOidcActionConfig{Issuer: aws.String("https://idp.example.com"),
				AuthorizationEndpoint: aws.String("https://idp.example.com/auth"),
				TokenEndpoint:         aws.String("https://idp.example.com/token"),
				UserInfoEndpoint:      aws.String("https://idp.example.com/userinfo"), ClientId: aws.String("web-id"),
				ClientSecret: aws.String("web-secret"), AuthenticationRequestExtraParams: map[string]string{},
				OnUnauthenticatedRequest: elbtypes.AuthenticateOidcActionConditionalBehaviorEnumAuthenticate,
				Scope:                    aws.String("openid"), SessionCookieName: aws.String("AWSELBAuthSessionCookie"),
				SessionTimeout: aws.Int64(604800)}}}, actions...)
	}
	if _, err := api.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: ls.Listeners[0].ListenerArn, Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"),
			PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/api", "/api/*"}}}},
		Actions: actions,
		Tags:    elbTagList(tags(fmt.Sprintf("%d:1", aws.ToInt32(rulesOn.Port))))}); err != nil {
		t.Fatal(err)
	}

	bindingType, tcp := elbv2api.TargetType(targetType), elbv2api.NetworkingProtocolTCP
	port := intstr.FromInt32(tgPort)
	ipv4 := elbv2api.TargetGroupIPAddressTypeIPv4
	binding := &elbv2api.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace,
		Name: aws.ToString(tg.TargetGroups[0].TargetGroupName), Finalizers: []string{"elbv2.k8s.aws/resources"},
		Labels: map[string]string{"ingress.k8s.aws/stack-namespace": ing.Namespace, "ingress.k8s.aws/stack-name": ing.Name}},
		// LBC's webhook fills in vpcID.
		Spec: elbv2api.TargetGroupBindingSpec{TargetGroupARN: out.tgARN, TargetType: &bindingType, IPAddressType: &ipv4,
			VpcID:      cl.world.VPCID,
			ServiceRef: elbv2api.ServiceReference{Name: svc.Name, Port: intstr.FromInt32(80)},
			Networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From:  []elbv2api.NetworkingPeer{{SecurityGroup: &elbv2api.SecurityGroup{GroupID: backend}}},
				Ports: []elbv2api.NetworkingPort{{Protocol: &tcp, Port: &port}}}}}}}
	if err := bindingsClient(cl).Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIngressTakeOverMakesNoWrites: an Ingress whose ALB LBC v3.5 made is
// served in place: kelb makes no mutating AWS call, keeps the hostname,
// and keeps LBC's binding as it was; deleting the Ingress then deletes
// what LBC made.
func TestIngressTakeOverMakesNoWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    func(cl *cluster) lbcIngressVariant
	}{
		{"defaults: internal, instance targets, HTTP:80", func(*cluster) lbcIngressVariant { return lbcIngressVariant{} }},
		{"internet-facing, ip targets, HTTPS:443 with HTTP:80 redirecting, WAFv2 and Shield", func(cl *cluster) lbcIngressVariant {
			return lbcIngressVariant{internetFacing: true, ipTargets: true, certificate: importCertificate(cl.t, cl),
				wafACL: cl.lbcWebACL()}
		}},
		{"HTTPS:443 authenticating by OIDC (AWS never shows the client secret)", func(cl *cluster) lbcIngressVariant {
			return lbcIngressVariant{certificate: importCertificate(cl.t, cl), oidc: true}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCluster(t, 2)
			v := tc.v(cl)
			ctx := t.Context()
			if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
				Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
				t.Fatal(err)
			}
			const nodePort = 30971
			svc := cl.createService("web", withPort(80, nodePort, corev1.ProtocolTCP), func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeNodePort
				s.Spec.LoadBalancerClass = nil
			})
			podIPs := []string{"10.0.10.21", "10.0.11.22"}
			if v.ipTargets {
				cl.createEndpoints(svc, podIPs...)
			}
			prefix := networkingv1.PathTypePrefix
			ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web",
				Finalizers: []string{"ingress.k8s.aws/resources"}, Annotations: v.annotations()},
				Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
					IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
						Paths: []networkingv1.HTTPIngressPath{{Path: "/api", PathType: &prefix, Backend: networkingv1.IngressBackend{
							Service: &networkingv1.IngressServiceBackend{Name: "web",
								Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
			if err := cl.c.Create(ctx, ing); err != nil {
				t.Fatal(err)
			}
			if v.oidc {
				if err := cl.c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-oidc"},
					Data: map[string][]byte{"clientID": []byte("web-id"), "clientSecret": []byte("web-secret")}}); err != nil {
					t.Fatal(err)
				}
			}
			left := cl.leaveLBCIngressStack(ing, svc, nodePort, v, podIPs)
			if v.wafACL != "" {
				cl.leaveLBCAddOns(left.lbARN, v.wafACL)
			}
			cl.opts.LBC.EnableWAFV2, cl.opts.LBC.EnableWAF, cl.opts.LBC.EnableShield = true, true, true
			ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{Hostname: left.dnsName}}
			if err := cl.c.Status().Update(ctx, ing); err != nil {
				t.Fatal(err)
			}

			t0 := time.Now()
			cl.startKelb()
			cl.waitNormalEvent("web", "SuccessfullyReconciled")
			eventually(t, 30*time.Second, "kelb quiet", func() (bool, string) {
				calls := cl.calls(t0)
				return len(calls) > 0 && time.Since(calls[len(calls)-1].Time) > 3*time.Second, ""
			})
			var got []string
			for _, c := range cl.calls(t0) {
				if c.Mutating() {
					got = append(got, c.Action+" "+fmt.Sprint(paramValues(c)))
				}
			}
			if len(got) != 0 {
				t.Errorf("mutating calls while taking over LBC's ALB: %v", got)
			}
			var after networkingv1.Ingress
			if err := cl.c.Get(ctx, client.ObjectKeyFromObject(ing), &after); err != nil {
				t.Fatal(err)
			}
			if h := after.Status.LoadBalancer.Ingress; len(h) != 1 || h[0].Hostname != left.dnsName {
				t.Errorf("hostname %v, want the adopted %s", h, left.dnsName)
			}
			var bindings elbv2api.TargetGroupBindingList
			if err := bindingsClient(cl).List(ctx, &bindings); err != nil {
				t.Fatal(err)
			}
			if len(bindings.Items) != 1 || bindings.Items[0].Generation != 1 || bindings.Items[0].Spec.TargetGroupARN != left.tgARN {
				t.Errorf("bindings after the takeover (want LBC's, generation 1): %+v", bindings.Items)
			}
			t.Logf("take-over calls: %v", awsproxy.CountByAction(cl.calls(t0)))

			// Deleting the Ingress removes everything LBC made for it.
			if err := cl.c.Delete(ctx, ing); err != nil {
				t.Fatal(err)
			}
			eventually(t, 90*time.Second, "the stack deleted", func() (bool, string) {
				ex := cl.exists(left.lbARN, left.tgARN, left.frontend)
				return !slices.Contains(mapValues(ex), true), fmt.Sprint(ex)
			})
		})
	}
}

// waitNormalEvent waits for a Normal event with reason on the object name.
func (cl *cluster) waitNormalEvent(name, reason string) {
	cl.t.Helper()
	eventually(cl.t, 60*time.Second, name+" event "+reason, func() (bool, string) {
		var events corev1.EventList
		if err := cl.c.List(cl.t.Context(), &events); err != nil {
			return false, err.Error()
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == name && e.Type == corev1.EventTypeNormal && e.Reason == reason {
				return true, ""
			}
		}
		return false, "none yet"
	})
}
