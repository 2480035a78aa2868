package service

import (
	"errors"

	"github.com/google/go-cmp/cmp"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

var testConfig = Config{ClusterName: "prod", DefaultTargetType: TargetInstance,
	SecurityGroups: sgpolicy.Flags{EnableBackendSG: true},
	DefaultTags:    map[string]string{"team": "net"}}

var testSubnets = []Subnet{
	{ID: "subnet-a2", Name: "pub-a2", AZ: "us-west-2a"},
	{ID: "subnet-a1", Name: "pub-a1", AZ: "us-west-2a", ClusterTagged: true},
	{ID: "subnet-b", Name: "pub-b", AZ: "us-west-2b"},
	{ID: "subnet-c", Name: "pub-c", AZ: "us-west-2c"},
}

func testNode(name, id string, ready bool, labels map[string]string) *corev1.Node {
	status := corev1.ConditionTrue
	if !ready {
		status = corev1.ConditionFalse
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:   corev1.NodeSpec{ProviderID: "aws:///us-west-2a/" + id},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}}}
}

func testInput(mutate ...func(*Input)) Input {
	in := Input{
		Service: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}}},
		Nodes: []*corev1.Node{testNode("n1", "i-1", true, nil), testNode("n2", "i-2", true, map[string]string{"pool": "edge"}),
			testNode("n3", "i-3", false, nil),
			testNode("n4", "i-4", true, map[string]string{LabelExcludeFromLB: "true"})},
		EndpointSlices: []*discoveryv1.EndpointSlice{{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "shop", Name: "web-x"},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"10.0.1.5"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}, NodeName: ptr.To("n1")},
				{Addresses: []string{"10.0.1.6"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}, NodeName: ptr.To("n2")},
				{Addresses: []string{"10.0.1.7"}, NodeName: ptr.To("n2")},
			},
		}},
		Facts: Facts{Subnets: testSubnets, InstanceSGs: map[string]string{"i-1": "sg-node", "i-2": "sg-node", "i-3": "sg-node"}},
	}
	for _, m := range mutate {
		m(&in)
	}
	return in
}

func ann(kv ...string) func(*Input) {
	return func(in *Input) {
		for i := 0; i+1 < len(kv); i += 2 {
			in.Service.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func TestBuildDefaults(t *testing.T) {
	stack, err := Build(testConfig, testInput())
	if err != nil {
		t.Fatal(err)
	}
	lb := stack.LoadBalancer
	if stack.ID != model.ServiceStackID("shop", "web") || lb.Type != "network" || lb.Scheme != SchemeInternal || lb.IPAddressType != "ipv4" {
		t.Errorf("load balancer %+v", lb)
	}
	if !strings.HasPrefix(lb.Name, "k8s-shop-web-") || len(lb.Name) > 32 {
		t.Errorf("name %q", lb.Name)
	}
	if want := []string{"subnet-a1", "subnet-b", "subnet-c"}; !reflect.DeepEqual(lb.Subnets, want) {
		t.Errorf("subnets %v, want %v (cluster-tagged first, one per zone)", lb.Subnets, want)
	}
	wantTags := map[string]string{"team": "net", model.TagCluster: "prod", model.TagServiceStack: "shop/web",
		model.TagServiceResource: model.ResourceLoadBalancer}
	if !reflect.DeepEqual(lb.Tags, wantTags) {
		t.Errorf("tags %v", lb.Tags)
	}
	if !lb.UseFrontendSG || !lb.UseBackendSG || len(lb.Attributes) != 0 {
		t.Errorf("security groups / attributes %+v", lb)
	}
	if !reflect.DeepEqual(stack.Listeners, []model.Listener{{Port: 80, Protocol: "TCP", TargetGroupID: "shop/web:80",
		Tags: map[string]string{"team": "net", model.TagCluster: "prod", model.TagServiceStack: "shop/web",
			model.TagServiceResource: "80"}}}) {
		t.Errorf("listeners %+v", stack.Listeners)
	}
	tg := stack.TargetGroups[0]
	wantHC := model.HealthCheck{Protocol: "TCP", Port: "traffic-port", IntervalSeconds: 10, TimeoutSeconds: 10,
		HealthyThreshold: 3, UnhealthyThreshold: 3}
	if tg.ResourceID != "shop/web:80" || tg.Protocol != "TCP" || tg.Port != 30080 || tg.TargetType != TargetInstance ||
		tg.HealthCheck != wantHC {
		t.Errorf("target group %+v", tg)
	}
	if want := []model.Target{{ID: "i-1", Port: 30080}, {ID: "i-2", Port: 30080}}; !reflect.DeepEqual(tg.Targets, want) {
		t.Errorf("targets %v, want ready, not excluded nodes %v", tg.Targets, want)
	}
	if want := []model.Rule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDR: "0.0.0.0/0"}}; !reflect.DeepEqual(stack.FrontendSG.Ingress, want) {
		t.Errorf("frontend rules %+v", stack.FrontendSG.Ingress)
	}
	if want := []model.BackendRule{{NodeSG: "sg-node", Protocol: "tcp", Port: 30080}}; !reflect.DeepEqual(stack.BackendRules, want) {
		t.Errorf("backend rules %+v", stack.BackendRules)
	}
}

func TestBuildAnnotations(t *testing.T) {
	tests := []struct {
		name  string
		in    Input
		check func(t *testing.T, s *model.Stack)
	}{
		{"internet-facing scheme", testInput(ann(AnnScheme, "internet-facing")), func(t *testing.T, s *model.Stack) {
			if s.LoadBalancer.Scheme != SchemeInternetFacing {
				t.Error(s.LoadBalancer.Scheme)
			}
		}},
		{"deprecated internal=false", testInput(ann(AnnInternal, "false")), func(t *testing.T, s *model.Stack) {
			if s.LoadBalancer.Scheme != SchemeInternetFacing {
				t.Error(s.LoadBalancer.Scheme)
			}
		}},
		{"named subnets by id and name", testInput(ann(AnnSubnets, "subnet-a2, pub-b")), func(t *testing.T, s *model.Stack) {
			if !reflect.DeepEqual(s.LoadBalancer.Subnets, []string{"subnet-a2", "subnet-b"}) {
				t.Error(s.LoadBalancer.Subnets)
			}
		}},
		{"name", testInput(ann(AnnName, "my-nlb")), func(t *testing.T, s *model.Stack) {
			if s.LoadBalancer.Name != "my-nlb" {
				t.Error(s.LoadBalancer.Name)
			}
		}},
		{"dualstack opens ::/0 too", testInput(ann(AnnIPAddressType, "dualstack")), func(t *testing.T, s *model.Stack) {
			if s.LoadBalancer.IPAddressType != "dualstack" || len(s.FrontendSG.Ingress) != 2 || s.FrontendSG.Ingress[1].CIDR != "::/0" {
				t.Error(s.LoadBalancer.IPAddressType, s.FrontendSG.Ingress)
			}
		}},
		{"attributes", testInput(ann(AnnAttributes, "load_balancing.cross_zone.enabled=true, deletion_protection.enabled=false")),
			func(t *testing.T, s *model.Stack) {
				want := map[string]string{"load_balancing.cross_zone.enabled": "true", "deletion_protection.enabled": "false"}
				if !reflect.DeepEqual(s.LoadBalancer.Attributes, want) {
					t.Error(s.LoadBalancer.Attributes)
				}
			}},
		{"target group attributes and proxy protocol", testInput(ann(AnnTargetGroupAttributes, "deregistration_delay.timeout_seconds=5",
			AnnProxyProtocol, "*")), func(t *testing.T, s *model.Stack) {
			want := map[string]string{"deregistration_delay.timeout_seconds": "5", "proxy_protocol_v2.enabled": "true"}
			if !reflect.DeepEqual(s.TargetGroups[0].Attributes, want) {
				t.Error(s.TargetGroups[0].Attributes)
			}
		}},
		{"additional tags; --default-tags win, as in LBC", testInput(ann(AnnAdditionalTags, "env=prod,team=web")), func(t *testing.T, s *model.Stack) {
			if s.LoadBalancer.Tags["env"] != "prod" || s.LoadBalancer.Tags["team"] != "net" || s.TargetGroups[0].Tags["env"] != "prod" ||
				s.FrontendSG.Tags["env"] != "prod" {
				t.Error(s.LoadBalancer.Tags, s.TargetGroups[0].Tags)
			}
		}},
		{"source ranges from spec", testInput(func(in *Input) {
			in.Service.Spec.LoadBalancerSourceRanges = []string{"10.1.0.0/16", "192.168.1.7/24"}
		}), func(t *testing.T, s *model.Stack) {
			if len(s.FrontendSG.Ingress) != 2 || s.FrontendSG.Ingress[1].CIDR != "192.168.1.0/24" {
				t.Error(s.FrontendSG.Ingress)
			}
		}},
		{"source ranges from annotation", testInput(ann(AnnSourceRanges, "10.2.0.0/16")), func(t *testing.T, s *model.Stack) {
			if len(s.FrontendSG.Ingress) != 1 || s.FrontendSG.Ingress[0].CIDR != "10.2.0.0/16" {
				t.Error(s.FrontendSG.Ingress)
			}
		}},
		{"ip targets: ready endpoints only", testInput(ann(AnnTargetType, "ip")), func(t *testing.T, s *model.Stack) {
			tg := s.TargetGroups[0]
			want := []model.Target{{ID: "10.0.1.5", Port: 8080}, {ID: "10.0.1.7", Port: 8080}}
			if tg.TargetType != TargetIP || tg.Port != 8080 || !reflect.DeepEqual(tg.Targets, want) {
				t.Error(tg)
			}
			if want := []model.BackendRule{{NodeSG: "sg-node", Protocol: "tcp", Port: 8080}}; !reflect.DeepEqual(s.BackendRules, want) {
				t.Error(s.BackendRules)
			}
		}},
		{"legacy nlb-ip type", testInput(ann(AnnType, "nlb-ip")), func(t *testing.T, s *model.Stack) {
			if s.TargetGroups[0].TargetType != TargetIP {
				t.Error(s.TargetGroups[0].TargetType)
			}
		}},
		{"target node labels", testInput(ann(AnnTargetNodeLabels, "pool=edge")), func(t *testing.T, s *model.Stack) {
			if !reflect.DeepEqual(s.TargetGroups[0].Targets, []model.Target{{ID: "i-2", Port: 30080}}) {
				t.Error(s.TargetGroups[0].Targets)
			}
		}},
		{"TLS on named port", testInput(ann(AnnSSLCert, "arn:aws:acm:us-west-2:123456789012:certificate/x", AnnSSLPorts, "http",
			AnnALPNPolicy, "HTTP2Preferred", AnnBackendProtocol, "ssl")), func(t *testing.T, s *model.Stack) {
			l := s.Listeners[0]
			if l.Protocol != "TLS" || l.SSLPolicy != "ELBSecurityPolicy-2016-08" || l.ALPNPolicy != "HTTP2Preferred" ||
				len(l.Certificates) != 1 || s.TargetGroups[0].Protocol != "TLS" {
				t.Error(l, s.TargetGroups[0].Protocol)
			}
		}},
		{"ALPN only with TLS to the targets, as LBC", testInput(ann(AnnSSLCert, "arn:aws:acm:us-west-2:123456789012:certificate/x",
			AnnALPNPolicy, "HTTP2Preferred")), func(t *testing.T, s *model.Stack) {
			if l := s.Listeners[0]; l.Protocol != "TLS" || l.ALPNPolicy != "" {
				t.Error(l)
			}
		}},
		{"health check HTTP", testInput(ann(AnnHCProtocol, "http", AnnHCPort, "8081", AnnHCPath, "/ready",
			AnnHCInterval, "30", AnnHCTimeout, "6", AnnHCHealthyThreshold, "2", AnnHCUnhealthyThreshold, "4",
			AnnHCSuccessCodes, "200")), func(t *testing.T, s *model.Stack) {
			want := model.HealthCheck{Protocol: "HTTP", Port: "8081", Path: "/ready", Matcher: "200", IntervalSeconds: 30,
				TimeoutSeconds: 6, HealthyThreshold: 2, UnhealthyThreshold: 4}
			if s.TargetGroups[0].HealthCheck != want {
				t.Error(s.TargetGroups[0].HealthCheck)
			}
			if len(s.BackendRules) != 2 || s.BackendRules[1].Port != 30080 || s.BackendRules[0].Port != 8081 {
				t.Error("want traffic and health-check ports open to the backend group:", s.BackendRules)
			}
		}},
		{"externalTrafficPolicy Local checks kube-proxy's health port", testInput(func(in *Input) {
			in.Service.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			in.Service.Spec.HealthCheckNodePort = 32000
		}), func(t *testing.T, s *model.Stack) {
			hc := s.TargetGroups[0].HealthCheck
			want := model.HealthCheck{Protocol: "HTTP", Port: "32000", Path: "/healthz", Matcher: "200-399",
				IntervalSeconds: 10, TimeoutSeconds: 6, HealthyThreshold: 2, UnhealthyThreshold: 2}
			if diff := cmp.Diff(want, hc); diff != "" {
				t.Errorf("LBC's defaults for Local (-want +got):\n%s", diff)
			}
		}},
		{"TCP and UDP on one port become TCP_UDP when asked", testInput(ann(AnnEnableTCPUDPListener, "true"), func(in *Input) {
			in.Service.Spec.Ports = append(in.Service.Spec.Ports, corev1.ServicePort{Name: "u", Port: 80, NodePort: 30080,
				Protocol: corev1.ProtocolUDP})
		}), func(t *testing.T, s *model.Stack) {
			if len(s.Listeners) != 1 || s.Listeners[0].Protocol != "TCP_UDP" || s.TargetGroups[0].Protocol != "TCP_UDP" {
				t.Error(s.Listeners)
			}
			if len(s.FrontendSG.Ingress) != 2 || len(s.BackendRules) != 2 {
				t.Error("want tcp and udp rules", s.FrontendSG.Ingress, s.BackendRules)
			}
		}},
		{"user security groups: no managed frontend, no backend rules", testInput(ann(AnnSecurityGroups, "sg-1,sg-2")),
			func(t *testing.T, s *model.Stack) {
				if s.FrontendSG != nil || s.LoadBalancer.UseFrontendSG || s.LoadBalancer.UseBackendSG ||
					!reflect.DeepEqual(s.LoadBalancer.SecurityGroups, []string{"sg-1", "sg-2"}) || s.BackendRules != nil {
					t.Errorf("%+v", s.LoadBalancer)
				}
			}},
		{"user security groups with managed backend rules", testInput(ann(AnnSecurityGroups, "sg-1",
			AnnManageBackendSGRules, "true")), func(t *testing.T, s *model.Stack) {
			if !s.LoadBalancer.UseBackendSG || len(s.BackendRules) != 1 {
				t.Errorf("%+v", s.LoadBalancer)
			}
		}},
		{"no security groups", testInput(ann(AnnNLBDisableSG, "true")), func(t *testing.T, s *model.Stack) {
			if s.FrontendSG != nil || s.LoadBalancer.UseBackendSG || s.LoadBalancer.UseFrontendSG {
				t.Errorf("%+v", s.LoadBalancer)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testConfig, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         Input
		annotation string // the annotation the error must name; "" for ErrInvalid
		mentions   string
	}{
		{"unknown scheme", testInput(ann(AnnScheme, "public")), AnnScheme, "internal, internet-facing"},
		{"unknown target type", testInput(ann(AnnTargetType, "pod")), AnnTargetType, "instance, ip"},
		{"unknown ip address type", testInput(ann(AnnIPAddressType, "ipv6")), AnnIPAddressType, "ipv4, dualstack"},
		{"subnet that does not exist", testInput(ann(AnnSubnets, "subnet-nope")), AnnSubnets, "subnet-nope"},
		{"two subnets in one zone", testInput(ann(AnnSubnets, "subnet-a1,subnet-a2")), AnnSubnets, "us-west-2a"},
		{"no subnet to discover", testInput(func(in *Input) { in.Facts.Subnets = nil }), AnnSubnets, "kubernetes.io/role/internal-elb"},
		{"malformed attributes", testInput(ann(AnnAttributes, "cross_zone")), AnnAttributes, "key=value"},
		{"malformed target group attributes", testInput(ann(AnnTargetGroupAttributes, "=x")), AnnTargetGroupAttributes, "key=value"},
		{"tracking tag override", testInput(ann(AnnAdditionalTags, "elbv2.k8s.aws/cluster=other")), AnnAdditionalTags, "tracking"},
		{"identity tag override", testInput(ann(AnnAdditionalTags, "kelb.dev/cluster-uid=forged")), AnnAdditionalTags, "tracking"},
		{"another kind's stack tag", testInput(ann(AnnAdditionalTags, "ingress.k8s.aws/stack=shop/web")), AnnAdditionalTags, "tracking"},
		{"bad source range", testInput(ann(AnnSourceRanges, "10.0.0.0/33")), AnnSourceRanges, "CIDR"},
		{"bad health-check protocol", testInput(ann(AnnHCProtocol, "udp")), AnnHCProtocol, "TCP, HTTP, HTTPS"},
		{"bad health-check port", testInput(ann(AnnHCPort, "99999")), AnnHCPort, "traffic-port"},
		{"bad health-check interval", testInput(ann(AnnHCInterval, "1")), AnnHCInterval, "from 5 to 300"},
		{"bad health-check threshold", testInput(ann(AnnHCHealthyThreshold, "x")), AnnHCHealthyThreshold, "from 2 to 10"},
		{"bad health-check path", testInput(ann(AnnHCProtocol, "HTTP", AnnHCPath, "ready")), AnnHCPath, "starting with /"},
		{"certificate that is not an ARN", testInput(ann(AnnSSLCert, "mycert")), AnnSSLCert, "ARN"},
		{"ssl port that does not exist", testInput(ann(AnnSSLCert, "arn:aws:acm:us-west-2:123456789012:certificate/x", AnnSSLPorts, "https")), AnnSSLPorts, "https"},
		{"unknown ALPN policy", testInput(ann(AnnALPNPolicy, "h3")), AnnALPNPolicy, "HTTP2Preferred"},
		{"unknown backend protocol", testInput(ann(AnnBackendProtocol, "http")), AnnBackendProtocol, "tcp, ssl"},
		{"proxy protocol other than *", testInput(ann(AnnProxyProtocol, "80")), AnnProxyProtocol, "*"},
		{"bad boolean", testInput(ann(AnnNLBDisableSG, "yes please")), AnnNLBDisableSG, "true, false"},
		{"name too long", testInput(ann(AnnName, strings.Repeat("x", 33))), AnnName, "1-32"},
		{"name AWS reserves", testInput(ann(AnnName, "internal-web")), AnnName, "not starting with internal-"},
		{"multi-cluster not a boolean", testInput(ann(AnnMultiClusterTargetGroup, "yes")), AnnMultiClusterTargetGroup, "true, false"},
		{"bad node label selector", testInput(ann(AnnTargetNodeLabels, "pool")), AnnTargetNodeLabels, "key=value"},
		{"SCTP port", testInput(func(in *Input) { in.Service.Spec.Ports[0].Protocol = corev1.ProtocolSCTP }), "", "SCTP"},
		{"no node port for instance targets", testInput(func(in *Input) { in.Service.Spec.Ports[0].NodePort = 0 }), "", "nodePort"},
		{"no ports", testInput(func(in *Input) { in.Service.Spec.Ports = nil }), "", "no ports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(testConfig, tt.in)
			if err == nil {
				t.Fatal("want an error")
			}
			var annErr *AnnotationError
			if tt.annotation != "" && (!errors.As(err, &annErr) || annErr.Annotation != tt.annotation) {
				t.Errorf("error %q does not name annotation %s", err, tt.annotation)
			}
			if tt.annotation == "" && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("error %q does not mention %q", err, tt.mentions)
			}
		})
	}
}

func TestTargetTypeChangeRenamesTargetGroup(t *testing.T) {
	s1, _ := Build(testConfig, testInput())
	s2, _ := Build(testConfig, testInput(ann(AnnTargetType, "ip")))
	if s1.TargetGroups[0].Name == s2.TargetGroups[0].Name || s1.TargetGroups[0].ResourceID != s2.TargetGroups[0].ResourceID {
		t.Error("a target group AWS must replace needs a new name and the same resource id")
	}
}

func TestBackendRulesFollowThePolicy(t *testing.T) {
	managed := Config{ClusterName: "prod", DefaultTargetType: TargetInstance,
		SecurityGroups: sgpolicy.Flags{EnableBackendSG: true, ManageBackendRules: true}}
	s, err := Build(managed, testInput(ann(AnnSecurityGroups, "sg-1")))
	if err != nil || !s.LoadBalancer.UseBackendSG || len(s.BackendRules) == 0 {
		t.Errorf("flag on, user groups, no annotation: want backend rules: %+v %v", s.LoadBalancer, err)
	}
	s, err = Build(managed, testInput(ann(AnnSecurityGroups, "sg-1", AnnManageBackendSGRules, "false")))
	if err != nil || s.LoadBalancer.UseBackendSG || len(s.BackendRules) != 0 {
		t.Errorf("annotation false wins over the flag: %+v %v", s.LoadBalancer, err)
	}
	noBackend := Config{ClusterName: "prod", DefaultTargetType: TargetInstance}
	s, err = Build(noBackend, testInput())
	if err != nil || s.LoadBalancer.UseBackendSG || len(s.BackendRules) != 0 || !s.LoadBalancer.UseFrontendSG {
		t.Errorf("backend group disabled: %+v %v", s.LoadBalancer, err)
	}
}
