package ingress

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

// The names below are LBC's, worked out apart from this code: SHA-256 over
// the parts written back to back, the first 10 hex digits, in
// "k8s-<namespace, 8>-<name, 8>-<hash>". Load balancer: cluster + group id
// + scheme ("prod" "shop/web" "internal" -> ffb4a5f1ff, "internet-facing"
// -> 0c9cb52896). Managed group: cluster + group id (2d5ac86ca1). Target
// group: cluster + group id + Ingress namespace + name + Service UID +
// backend port + target group port + target type + protocol + protocol
// version ("prod" "shop/web" "shop" "web" "uid-web" "80" "30080" "instance"
// "HTTP" "HTTP1" -> ed787ad6f5; the api Service on 8080 with node port
// 30081 -> fd5298fa8f; the api Service as ip targets on pod port 50051 with
// GRPC -> 8d28d4ea71).
const (
	lbName         = "k8s-shop-web-ffb4a5f1ff"
	lbNamePublic   = "k8s-shop-web-0c9cb52896"
	sgName         = "k8s-shop-web-2d5ac86ca1"
	tgWeb          = "shop/web-web:80"
	tgWebName      = "k8s-shop-web-ed787ad6f5"
	tgAPI          = "shop/web-api:8080"
	tgAPIName      = "k8s-shop-api-fd5298fa8f"
	tgAPIGRPCName  = "k8s-shop-api-8d28d4ea71"
	certDefault    = "arn:aws:acm:eu-west-1:123456789012:certificate/default"
	certSNI        = "arn:aws:acm:eu-west-1:123456789012:certificate/sni"
	hostA, hostB   = "a.example.com", "b.example.com"
	clusterName    = "prod"
	stackID        = "shop/web"
	defaultSSLPol  = "ELBSecurityPolicy-2016-08"
	trafficPortStr = "traffic-port"
)

func testConfig() Config {
	return Config{ClusterName: clusterName, SecurityGroups: sgpolicy.Flags{EnableBackendSG: true}}
}

func testServices() map[string]*corev1.Service {
	return map[string]*corev1.Service{
		"web": {ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: types.UID("uid-web")},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}}}},
		"api": {ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api", UID: types.UID("uid-api")},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{
				{Name: "grpc", Port: 8080, NodePort: 30081, TargetPort: intstr.FromInt32(50051)}}}},
	}
}

func backend(svc string, port int32) networkingv1.IngressBackend {
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc,
		Port: networkingv1.ServiceBackendPort{Number: port}}}
}

func httpRule(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
	return networkingv1.IngressRule{Host: host,
		IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
}

func to(p networkingv1.HTTPIngressPath, svc string, port int32) networkingv1.HTTPIngressPath {
	p.Backend = backend(svc, port)
	return p
}

// minimalIngress is shop/web: every path to web:80.
func minimalIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web",
		Annotations: map[string]string{}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{
			httpRule("", to(pathOf("/", networkingv1.PathTypePrefix), "web", 80))}}}
}

func tracking(resource string) map[string]string {
	return map[string]string{model.TagCluster: clusterName, TagStack: stackID, TagResource: resource}
}

func notFound() model.Action { return notFoundAction() }

func pathRule(priority int32, port, tg string, conditions ...model.RuleCondition) model.ListenerRule {
	return model.ListenerRule{Priority: priority, Conditions: conditions, Actions: []model.Action{model.ForwardTo(tg)},
		Tags: tracking(port + ":" + itoa(priority))}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func host(h string) model.RuleCondition {
	return model.RuleCondition{Field: model.ConditionHostHeader, HostHeader: []string{h}}
}

func paths(p ...string) model.RuleCondition {
	return model.RuleCondition{Field: model.ConditionPathPattern, PathPattern: p}
}

func webTargetGroup() model.TargetGroup {
	return model.TargetGroup{ResourceID: tgWeb, Name: tgWebName, Protocol: "HTTP", Port: 30080, TargetType: "instance",
		IPAddressType: "ipv4", HealthCheck: model.HealthCheck{Protocol: "HTTP", Port: trafficPortStr, Path: "/",
			Matcher: "200", IntervalSeconds: 15, TimeoutSeconds: 5, HealthyThreshold: 2, UnhealthyThreshold: 2},
		Tags: tracking(tgWeb)}
}

func apiTargetGroup() model.TargetGroup {
	tg := webTargetGroup()
	tg.ResourceID, tg.Name, tg.Port, tg.Tags = tgAPI, tgAPIName, 30081, tracking(tgAPI)
	return tg
}

func binding(tg model.TargetGroup, svc string, port int32, trafficPort string) model.TargetGroupBinding {
	return model.TargetGroupBinding{Namespace: "shop", Name: tg.Name,
		Labels:        map[string]string{LabelStackNamespace: "shop", LabelStackName: "web"},
		TargetGroupID: tg.ResourceID, TargetType: tg.TargetType, IPAddressType: "ipv4", ServiceName: svc, ServicePort: port,
		Networking: &model.BindingNetworking{Ingress: []model.BindingIngressRule{{
			From: []model.BindingPeer{{BackendSG: true}}, Ports: []model.BindingPort{{Protocol: "TCP", Port: trafficPort}}}}}}
}

func frontendRules(ports ...int32) []model.Rule {
	var out []model.Rule
	for _, p := range ports {
		out = append(out, model.Rule{Protocol: "tcp", FromPort: p, ToPort: p, CIDR: "0.0.0.0/0"})
	}
	return out
}

// minimalStack is what minimalIngress builds.
func minimalStack() *model.ApplicationStack {
	web := webTargetGroup()
	return &model.ApplicationStack{
		Stack: model.Stack{
			ID: model.StackID{Kind: model.IngressKind, Name: stackID},
			LoadBalancer: model.LoadBalancer{Name: lbName, Type: "application", Scheme: "internal", IPAddressType: "ipv4",
				Subnets: []string{"subnet-a", "subnet-b"}, UseFrontendSG: true, UseBackendSG: true,
				Tags: tracking(model.ResourceLoadBalancer)},
			Listeners:    []model.Listener{{Port: 80, Protocol: "HTTP", Tags: tracking("80")}},
			TargetGroups: []model.TargetGroup{web},
			FrontendSG: &model.SecurityGroup{Name: sgName, Description: ManagedSGDescription,
				Tags: tracking(model.ResourceManagedLBSG), Ingress: frontendRules(80)},
			Bindings: []model.TargetGroupBinding{binding(web, "web", 80, "30080")},
		},
		Routing: []model.ListenerRouting{{Port: 80, DefaultActions: []model.Action{notFound()},
			Rules: []model.ListenerRule{pathRule(1, "80", tgWeb, paths("/*"))}}},
		TargetGroupOptions: map[string]model.ApplicationTargetGroup{tgWeb: {ProtocolVersion: "HTTP1"}},
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*Config)
		ing    func(*networkingv1.Ingress)
		class  Class
		facts  func(*Facts)
		svcs   func(map[string]*corev1.Service)
		expect func(*model.ApplicationStack)
	}{
		{name: "minimal: HTTP:80, one rule for /*, 404 by default, instance target group, managed groups"},
		{
			name: "two hosts with Exact, Prefix and ImplementationSpecific paths, in LBC's order",
			ing: func(ing *networkingv1.Ingress) {
				ing.Spec.Rules = []networkingv1.IngressRule{
					httpRule(hostA,
						to(pathOf("/api", networkingv1.PathTypePrefix), "api", 8080),
						to(pathOf("/healthz", networkingv1.PathTypeExact), "web", 80),
						to(pathOf("/api/v2/", networkingv1.PathTypePrefix), "api", 8080)),
					httpRule(hostB, to(pathOf("/static/*", networkingv1.PathTypeImplementationSpecific), "web", 80)),
				}
			},
			expect: func(s *model.ApplicationStack) {
				api := apiTargetGroup()
				s.TargetGroups = []model.TargetGroup{api, webTargetGroup()}
				s.Bindings = []model.TargetGroupBinding{binding(api, "api", 8080, "30081"), s.Bindings[0]}
				s.TargetGroupOptions[tgAPI] = model.ApplicationTargetGroup{ProtocolVersion: "HTTP1"}
				s.Routing[0].Rules = []model.ListenerRule{
					pathRule(1, "80", tgWeb, host(hostA), paths("/healthz")),
					pathRule(2, "80", tgAPI, host(hostA), paths("/api/v2", "/api/v2/*")),
					pathRule(3, "80", tgAPI, host(hostA), paths("/api", "/api/*")),
					pathRule(4, "80", tgWeb, host(hostB), paths("/static/*")),
				}
			},
		},
		{
			name: "defaultBackend is the listener's default action",
			ing: func(ing *networkingv1.Ingress) {
				web := backend("web", 80)
				ing.Spec.DefaultBackend = &web
				ing.Spec.Rules = []networkingv1.IngressRule{
					httpRule(hostA, to(pathOf("/api", networkingv1.PathTypePrefix), "api", 8080))}
			},
			expect: func(s *model.ApplicationStack) {
				api := apiTargetGroup()
				s.TargetGroups = []model.TargetGroup{api, webTargetGroup()}
				s.Bindings = []model.TargetGroupBinding{binding(api, "api", 8080, "30081"), s.Bindings[0]}
				s.TargetGroupOptions[tgAPI] = model.ApplicationTargetGroup{ProtocolVersion: "HTTP1"}
				s.Routing[0].DefaultActions = []model.Action{model.ForwardTo(tgWeb)}
				s.Routing[0].Rules = []model.ListenerRule{pathRule(1, "80", tgAPI, host(hostA), paths("/api", "/api/*"))}
			},
		},
		{
			name: "two certificates: HTTPS:443 by default, the first the default, the second SNI, LBC's SSL policy",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnCertificateARN] = certDefault + ", " + certSNI
			},
			expect: func(s *model.ApplicationStack) {
				s.Listeners = []model.Listener{{Port: 443, Protocol: "HTTPS", Tags: tracking("443"),
					Certificates: []string{certDefault, certSNI}, SSLPolicy: defaultSSLPol}}
				s.Routing[0].Port = 443
				s.Routing[0].Rules = []model.ListenerRule{pathRule(1, "443", tgWeb, paths("/*"))}
				s.FrontendSG.Ingress = frontendRules(443)
			},
		},
		{
			name: "certificates discovered for the hosts when none is named",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnListenPorts] = `[{"HTTPS": 8443}]`
				ing.Annotations[AnnSSLPolicy] = "ELBSecurityPolicy-TLS13-1-2-2021-06"
			},
			facts: func(f *Facts) { f.DiscoveredCertificates = []string{certSNI} },
			expect: func(s *model.ApplicationStack) {
				s.Listeners = []model.Listener{{Port: 8443, Protocol: "HTTPS", Tags: tracking("8443"),
					Certificates: []string{certSNI}, SSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"}}
				s.Routing[0].Port = 8443
				s.Routing[0].Rules = []model.ListenerRule{pathRule(1, "8443", tgWeb, paths("/*"))}
				s.FrontendSG.Ingress = frontendRules(8443)
			},
		},
		{
			name: "ssl-redirect: the HTTP listener redirects to HTTPS and has no rules",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnListenPorts] = `[{"HTTP": 80}, {"HTTPS": 443}]`
				ing.Annotations[AnnSSLRedirect] = "443"
				ing.Annotations[AnnCertificateARN] = certDefault
			},
			expect: func(s *model.ApplicationStack) {
				s.Listeners = []model.Listener{{Port: 80, Protocol: "HTTP", Tags: tracking("80")},
					{Port: 443, Protocol: "HTTPS", Tags: tracking("443"), Certificates: []string{certDefault},
						SSLPolicy: defaultSSLPol}}
				s.Routing = []model.ListenerRouting{
					{Port: 80, DefaultActions: []model.Action{{Type: model.ActionRedirect, Redirect: &model.RedirectAction{
						Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301"}}}},
					{Port: 443, DefaultActions: []model.Action{notFound()},
						Rules: []model.ListenerRule{pathRule(1, "443", tgWeb, paths("/*"))}},
				}
				s.FrontendSG.Ingress = frontendRules(80, 443)
			},
		},
		{
			name:  "IngressClassParams scheme, tags and inbound CIDRs override the annotations",
			class: Class{Verdict: Ours, Params: classParams()},
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnScheme] = "internal"
				ing.Annotations[AnnTags] = "team=shop,cost=web"
				ing.Annotations[AnnInboundCIDRs] = "192.168.0.0/16"
			},
			expect: func(s *model.ApplicationStack) {
				tags := func(resource string) map[string]string {
					return model.MergeTags(map[string]string{"team": "platform", "cost": "web"}, tracking(resource))
				}
				s.LoadBalancer.Name, s.LoadBalancer.Scheme = lbNamePublic, "internet-facing"
				s.LoadBalancer.Tags = tags(model.ResourceLoadBalancer)
				s.Listeners[0].Tags = tags("80")
				s.Routing[0].Rules[0].Tags = tags("80:1")
				s.TargetGroups[0].Tags = tags(tgWeb)
				s.FrontendSG.Tags = tags(model.ResourceManagedLBSG)
				s.FrontendSG.Ingress = []model.Rule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "10.0.0.0/8"}}
			},
		},
		{
			name: "Service annotations win over the Ingress's: ip targets on the pod port, gRPC health-check defaults",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnTargetType] = "instance"
				ing.Annotations[AnnHCIntervalSeconds] = "30"
				ing.Spec.Rules = []networkingv1.IngressRule{
					httpRule("", to(pathOf("/", networkingv1.PathTypePrefix), "api", 8080))}
			},
			svcs: func(s map[string]*corev1.Service) {
				s["api"].Annotations = map[string]string{AnnTargetType: "ip", AnnBackendProtocolVersion: "GRPC",
					AnnHCTimeoutSeconds: "10"}
			},
			expect: func(s *model.ApplicationStack) {
				tg := model.TargetGroup{ResourceID: tgAPI, Name: tgAPIGRPCName, Protocol: "HTTP", Port: 50051,
					TargetType: "ip", IPAddressType: "ipv4", HealthCheck: model.HealthCheck{Protocol: "HTTP",
						Port: trafficPortStr, Path: "/AWS.ALB/healthcheck", Matcher: "12", IntervalSeconds: 30,
						TimeoutSeconds: 10, HealthyThreshold: 2, UnhealthyThreshold: 2}, Tags: tracking(tgAPI)}
				s.TargetGroups = []model.TargetGroup{tg}
				s.Bindings = []model.TargetGroupBinding{binding(tg, "api", 8080, "50051")}
				s.TargetGroupOptions = map[string]model.ApplicationTargetGroup{
					tgAPI: {ProtocolVersion: "GRPC", GRPCMatcher: true}}
				s.Routing[0].Rules = []model.ListenerRule{pathRule(1, "80", tgAPI, paths("/*"))}
			},
		},
		{
			name: "--default-tags win over the Ingress's and the Service's tags on every resource",
			cfg:  func(c *Config) { c.DefaultTags = map[string]string{"env": "prod"} },
			ing:  func(ing *networkingv1.Ingress) { ing.Annotations[AnnTags] = "env=dev,team=shop" },
			svcs: func(s map[string]*corev1.Service) {
				s["web"].Annotations = map[string]string{AnnTags: "team=web,owner=ann"}
			},
			expect: func(s *model.ApplicationStack) {
				tags := func(resource string, user map[string]string) map[string]string {
					return model.MergeTags(user, map[string]string{"env": "prod"}, tracking(resource))
				}
				ing := map[string]string{"team": "shop"}
				s.LoadBalancer.Tags = tags(model.ResourceLoadBalancer, ing)
				s.Listeners[0].Tags = tags("80", ing)
				s.Routing[0].Rules[0].Tags = tags("80:1", ing)
				s.FrontendSG.Tags = tags(model.ResourceManagedLBSG, ing)
				s.TargetGroups[0].Tags = tags(tgWeb, map[string]string{"team": "web", "owner": "ann"})
			},
		},
		{
			name: "listener attributes from the annotation for the listener's protocol and port; multi-cluster target groups",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnListenerAttributesPrefix+".HTTP-80"] = "routing.http.response.server.enabled=false"
				ing.Annotations[AnnListenerAttributesPrefix+".HTTPS-443"] = "not read: no such listener"
				ing.Annotations[AnnMultiClusterTargetGroup] = "true"
			},
			expect: func(s *model.ApplicationStack) {
				s.Listeners[0].Attributes = map[string]string{"routing.http.response.server.enabled": "false"}
				s.Bindings[0].MultiClusterTargetGroup = true
			},
		},
		{
			name: "listener attributes of the class's params listener replace the annotation's",
			class: Class{Verdict: Ours, Params: &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
				Spec: elbv2.IngressClassParamsSpec{Listeners: []elbv2.Listener{{Protocol: "HTTP", Port: 80,
					ListenerAttributes: []elbv2.Attribute{{Key: "routing.http.response.x_frame_options.header_value",
						Value: "DENY"}}}}}}},
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnListenerAttributesPrefix+".HTTP-80"] = "routing.http.response.server.enabled=false"
			},
			expect: func(s *model.ApplicationStack) {
				s.Listeners[0].Attributes = map[string]string{"routing.http.response.x_frame_options.header_value": "DENY"}
			},
		},
		{
			name: "mutual-authentication applies to HTTPS listeners only, verify defaults to expired certificates refused",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnListenPorts] = `[{"HTTP": 80}, {"HTTPS": 443}]`
				ing.Annotations[AnnCertificateARN] = certDefault
				ing.Annotations[AnnMutualAuthentication] = `[{"port": 443, "mode": "verify", "trustStore": "partners"},` +
					` {"port": 80, "mode": "passthrough"}]`
			},
			expect: func(s *model.ApplicationStack) {
				s.Listeners = []model.Listener{{Port: 80, Protocol: "HTTP", Tags: tracking("80")},
					{Port: 443, Protocol: "HTTPS", Tags: tracking("443"), Certificates: []string{certDefault},
						SSLPolicy: defaultSSLPol}}
				s.Routing = []model.ListenerRouting{s.Routing[0], {Port: 443, DefaultActions: []model.Action{notFound()},
					Rules: []model.ListenerRule{pathRule(1, "443", tgWeb, paths("/*"))}}}
				no := false
				s.MutualAuthentication = map[int32]model.MutualAuthentication{443: {Mode: "verify", TrustStore: "partners",
					IgnoreClientCertificateExpiry: &no}}
				s.FrontendSG.Ingress = frontendRules(80, 443)
			},
		},
		{
			name: "dualstack: the managed group also allows ::/0; a health-check port of its own gets its binding rule",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnIPAddressType] = "dualstack"
				ing.Annotations[AnnHCPort] = "8081"
			},
			expect: func(s *model.ApplicationStack) {
				s.LoadBalancer.IPAddressType = "dualstack"
				s.FrontendSG.Ingress = append(frontendRules(80),
					model.Rule{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "::/0"})
				s.TargetGroups[0].HealthCheck.Port = "8081"
				s.Bindings[0].Networking.Ingress = append(s.Bindings[0].Networking.Ingress, model.BindingIngressRule{
					From: []model.BindingPeer{{BackendSG: true}}, Ports: []model.BindingPort{{Protocol: "TCP", Port: "8081"}}})
			},
		},
		{
			name: "IngressClassParams certificates, SSL policy, redirect port, name and attributes win over the annotations",
			class: Class{Verdict: Ours, Params: &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
				Spec: elbv2.IngressClassParamsSpec{CertificateArn: []string{certDefault},
					SSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", SSLRedirectPort: "443", LoadBalancerName: "shop-public",
					LoadBalancerAttributes: []elbv2.Attribute{{Key: "idle_timeout.timeout_seconds", Value: "120"}}}}},
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnListenPorts] = `[{"HTTP": 80}, {"HTTPS": 443}]`
				ing.Annotations[AnnCertificateARN] = certSNI
				ing.Annotations[AnnSSLPolicy] = "ELBSecurityPolicy-2016-08"
				ing.Annotations[AnnLoadBalancerName] = "from-annotation"
				ing.Annotations[AnnLoadBalancerAttributes] = "idle_timeout.timeout_seconds=60,routing.http2.enabled=false"
			},
			expect: func(s *model.ApplicationStack) {
				s.LoadBalancer.Name = "shop-public"
				s.LoadBalancer.Attributes = map[string]string{"idle_timeout.timeout_seconds": "120"}
				s.Listeners = []model.Listener{{Port: 80, Protocol: "HTTP", Tags: tracking("80")},
					{Port: 443, Protocol: "HTTPS", Tags: tracking("443"), Certificates: []string{certDefault},
						SSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"}}
				s.Routing = []model.ListenerRouting{
					{Port: 80, DefaultActions: []model.Action{sslRedirectAction(443)}},
					{Port: 443, DefaultActions: []model.Action{notFound()},
						Rules: []model.ListenerRule{pathRule(1, "443", tgWeb, paths("/*"))}},
				}
				s.FrontendSG.Ingress = frontendRules(80, 443)
			},
		},
		{
			name: "user security groups by name: no managed group; backend rules as the annotation says",
			ing: func(ing *networkingv1.Ingress) {
				ing.Annotations[AnnSecurityGroups] = "sg-0123, edge"
				ing.Annotations[AnnManageBackendSGRules] = "false"
			},
			facts: func(f *Facts) { f.SecurityGroupsByName = map[string][]string{"edge": {"sg-edge"}} },
			expect: func(s *model.ApplicationStack) {
				s.LoadBalancer.SecurityGroups = []string{"sg-0123", "sg-edge"}
				s.LoadBalancer.UseFrontendSG, s.LoadBalancer.UseBackendSG = false, false
				s.FrontendSG = nil
				s.Bindings[0].Networking = nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ing := minimalIngress()
			if tt.ing != nil {
				tt.ing(ing)
			}
			in := Input{Ingress: ing, Class: tt.class, Services: testServices(),
				Facts: Facts{Subnets: []string{"subnet-b", "subnet-a"}, CertificateStatuses: issued(certDefault, certSNI)}}
			if tt.facts != nil {
				tt.facts(&in.Facts)
			}
			if tt.svcs != nil {
				tt.svcs(in.Services)
			}
			want := minimalStack()
			if tt.expect != nil {
				tt.expect(want)
			}
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			got, err := Build(cfg, in)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stack (-want +got):\n%s", diff)
			}
		})
	}
}

// issued says every certificate named is ISSUED.
func issued(arns ...string) map[string]service.CertificateStatus {
	out := map[string]service.CertificateStatus{}
	for _, a := range arns {
		out[a] = service.CertificateIssued
	}
	return out
}

func classParams() *elbv2.IngressClassParams {
	scheme := elbv2.LoadBalancerSchemeInternetFacing
	return &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
		Spec: elbv2.IngressClassParamsSpec{Scheme: &scheme, Tags: []elbv2.Tag{{Key: "team", Value: "platform"}},
			InboundCIDRs: []string{"10.0.0.0/8"}}}
}
