package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2"
	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// LBC-style manifests, as users have them in their repositories.
const (
	tgbByARN = `
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata:
  name: by-arn
  namespace: default
spec:
  serviceRef:
    name: web
    port: 80
  targetGroupARN: arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/73e2d6bc24d8a067
  targetType: ip
`
	tgbByName = `
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata:
  name: by-name
  namespace: default
spec:
  serviceRef:
    name: web
    port: http
  targetGroupName: web-tg
  targetType: instance
  ipAddressType: ipv4
  vpcID: vpc-0123456789abcdef0
  multiClusterTargetGroup: true
  targetGroupProtocol: TCP
  nodeSelector:
    matchLabels:
      pool: web
    matchExpressions:
    - key: zone
      operator: In
      values: [a, b]
  networking:
    ingress:
    - from:
      - securityGroup:
          groupID: sg-0123456789abcdef0
      - ipBlock:
          cidr: 10.0.0.0/16
      ports:
      - protocol: TCP
        port: 8080
      - protocol: UDP
`
	tgbAlpha = `
apiVersion: elbv2.k8s.aws/v1alpha1
kind: TargetGroupBinding
metadata:
  name: alpha
  namespace: default
spec:
  serviceRef:
    name: web
    port: 443
  targetGroupARN: arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/alpha/0123456789abcdef
  targetType: ip
  iamRoleArnToAssume: arn:aws:iam::210987654321:role/tgb
  assumeRoleExternalId: ext-1
  networking:
    ingress:
    - from:
      - ipBlock:
          cidr: ::/0
      ports:
      - port: https
`
	icpFull = `
apiVersion: elbv2.k8s.aws/v1beta1
kind: IngressClassParams
metadata:
  name: full
spec:
  namespaceSelector:
    matchLabels:
      team: web
  group:
    name: shared
  scheme: internal
  ipAddressType: dualstack
  inboundCIDRs: [10.0.0.0/8, "2001:db8::/32"]
  certificateArn: [arn:aws:acm:us-west-2:123456789012:certificate/abc]
  sslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
  sslRedirectPort: "443"
  subnets:
    tags:
      kubernetes.io/role/internal-elb: ["1"]
  tags:
  - key: team
    value: web
  targetType: ip
  loadBalancerName: shared-alb
  loadBalancerAttributes:
  - key: idle_timeout.timeout_seconds
    value: "120"
  listeners:
  - protocol: HTTPS
    port: 443
    listenerAttributes:
    - key: routing.http.response.server.enabled
      value: "false"
  minimumLoadBalancerCapacity:
    capacityUnits: 100
  ipamConfiguration:
    ipv4IPAMPoolId: ipam-pool-0123456789abcdef0
  prefixListsIDs: [pl-0123456789abcdef0]
  wafv2AclArn: arn:aws:wafv2:us-west-2:123456789012:regional/webacl/web/abc
`
)

var (
	betaTGB  = schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "TargetGroupBinding"}
	alphaTGB = schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1alpha1", Kind: "TargetGroupBinding"}
)

// TestTargetGroupBindingAPI: LBC's elbv2.k8s.aws manifests apply unchanged
// through both served versions and read back as written; the API server
// refuses, with LBC's wording, what LBC's webhook refuses and a schema can
// express. One apiserver for all subtests.
func TestTargetGroupBindingAPI(t *testing.T) {
	kube, c := startKube(t)
	ctx := t.Context()

	t.Run("LBC manifests read back unchanged", func(t *testing.T) {
		for _, manifest := range []string{tgbByARN, tgbByName, tgbAlpha, icpFull} {
			in := fromYAML(t, manifest)
			if err := c.Create(ctx, in.DeepCopy()); err != nil {
				t.Fatalf("%s %s is refused: %v", in.GetKind(), in.GetName(), err)
			}
			out := &unstructured.Unstructured{}
			out.SetGroupVersionKind(in.GroupVersionKind())
			if err := c.Get(ctx, client.ObjectKeyFromObject(in), out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in.Object["spec"], out.Object["spec"]); diff != "" {
				t.Errorf("%s %s spec read back (-written +read):\n%s", in.GetKind(), in.GetName(), diff)
			}
		}
	})

	t.Run("Go types decode LBC's JSON", func(t *testing.T) {
		scheme := runtime.NewScheme()
		if err := elbv2api.AddToScheme(scheme); err != nil {
			t.Fatal(err)
		}
		typed, err := client.New(kube.Config, client.Options{Scheme: scheme})
		if err != nil {
			t.Fatal(err)
		}
		tgb := &v1beta1.TargetGroupBinding{}
		if err := typed.Get(ctx, client.ObjectKey{Namespace: "default", Name: "by-name"}, tgb); err != nil {
			t.Fatal(err)
		}
		tcp, udp := v1beta1.NetworkingProtocolTCP, v1beta1.NetworkingProtocolUDP
		want := v1beta1.TargetGroupBindingSpec{
			TargetGroupName: "web-tg", TargetType: ptr.To(v1beta1.TargetTypeInstance),
			ServiceRef:    v1beta1.ServiceReference{Name: "web", Port: intstr.FromString("http")},
			IPAddressType: ptr.To(v1beta1.TargetGroupIPAddressTypeIPv4), VpcID: "vpc-0123456789abcdef0",
			MultiClusterTargetGroup: true, TargetGroupProtocol: ptr.To(v1beta1.TargetGroupProtocolTCP),
			NodeSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"pool": "web"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "zone", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}}},
			Networking: &v1beta1.TargetGroupBindingNetworking{Ingress: []v1beta1.NetworkingIngressRule{{
				From: []v1beta1.NetworkingPeer{{SecurityGroup: &v1beta1.SecurityGroup{GroupID: "sg-0123456789abcdef0"}},
					{IPBlock: &v1beta1.IPBlock{CIDR: "10.0.0.0/16"}}},
				Ports: []v1beta1.NetworkingPort{{Protocol: &tcp, Port: ptr.To(intstr.FromInt32(8080))}, {Protocol: &udp}},
			}}},
		}
		if diff := cmp.Diff(want, tgb.Spec); diff != "" {
			t.Errorf("typed spec (-want +got):\n%s", diff)
		}
		// kelb's status: LBC's observedGeneration plus conditions.
		tgb.Status = v1beta1.TargetGroupBindingStatus{ObservedGeneration: ptr.To(tgb.Generation), Conditions: []metav1.Condition{{
			Type: "Ready", Status: metav1.ConditionTrue, Reason: "Reconciled", LastTransitionTime: metav1.Now()}}}
		if err := typed.Status().Update(ctx, tgb); err != nil {
			t.Fatalf("status update: %v", err)
		}
		got := &v1beta1.TargetGroupBinding{}
		if err := typed.Get(ctx, client.ObjectKeyFromObject(tgb), got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tgb.Status, got.Status); diff != "" {
			t.Errorf("status read back (-written +read):\n%s", diff)
		}
		icp := &v1beta1.IngressClassParams{}
		if err := typed.Get(ctx, client.ObjectKey{Name: "full"}, icp); err != nil {
			t.Fatal(err)
		}
		wantICP := v1beta1.IngressClassParamsSpec{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}},
			Group:             &v1beta1.IngressGroup{Name: "shared"}, Scheme: ptr.To(v1beta1.LoadBalancerSchemeInternal),
			IPAddressType: ptr.To(v1beta1.IPAddressTypeDualStack), InboundCIDRs: []string{"10.0.0.0/8", "2001:db8::/32"},
			CertificateArn: []string{"arn:aws:acm:us-west-2:123456789012:certificate/abc"},
			SSLPolicy:      "ELBSecurityPolicy-TLS13-1-2-2021-06", SSLRedirectPort: "443",
			Subnets:    &v1beta1.SubnetSelector{Tags: map[string]v1beta1.SubnetTagValues{"kubernetes.io/role/internal-elb": {"1"}}},
			Tags:       []v1beta1.Tag{{Key: "team", Value: "web"}},
			TargetType: v1beta1.TargetTypeIP, LoadBalancerName: "shared-alb",
			LoadBalancerAttributes: []v1beta1.Attribute{{Key: "idle_timeout.timeout_seconds", Value: "120"}},
			Listeners: []v1beta1.Listener{{Protocol: "HTTPS", Port: 443,
				ListenerAttributes: []v1beta1.Attribute{{Key: "routing.http.response.server.enabled", Value: "false"}}}},
			MinimumLoadBalancerCapacity: &v1beta1.MinimumLoadBalancerCapacity{CapacityUnits: 100},
			IPAMConfiguration:           &v1beta1.IPAMConfiguration{IPv4IPAMPoolId: ptr.To("ipam-pool-0123456789abcdef0")},
			PrefixListsIDs:              []string{"pl-0123456789abcdef0"},
			WAFv2ACLArn:                 "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/web/abc",
		}
		if diff := cmp.Diff(wantICP, icp.Spec); diff != "" {
			t.Errorf("typed IngressClassParams spec (-want +got):\n%s", diff)
		}
	})

	t.Run("both versions show the same object", func(t *testing.T) {
		// Written through v1beta1 with fields LBC's v1alpha1 lacks, updated
		// through v1alpha1: nothing is lost.
		alpha := get(t, c, alphaTGB, "default", "by-name")
		labels := map[string]any{"edited": "through-v1alpha1"}
		_ = unstructured.SetNestedMap(alpha.Object, labels, "spec", "nodeSelector", "matchLabels")
		if err := c.Update(ctx, alpha); err != nil {
			t.Fatal(err)
		}
		want := fromYAML(t, tgbByName)
		_ = unstructured.SetNestedMap(want.Object, labels, "spec", "nodeSelector", "matchLabels")
		beta := get(t, c, betaTGB, "default", "by-name")
		if diff := cmp.Diff(want.Object["spec"], beta.Object["spec"]); diff != "" {
			t.Errorf("spec through v1beta1 after a v1alpha1 update (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(fromYAML(t, tgbAlpha).Object["spec"], get(t, c, betaTGB, "default", "alpha").Object["spec"]); diff != "" {
			t.Errorf("v1alpha1 object through v1beta1 (-want +got):\n%s", diff)
		}
	})

	t.Run("refused at creation", func(t *testing.T) {
		for _, tc := range createRefusals {
			t.Run(tc.name, func(t *testing.T) {
				u := fromYAML(t, tc.manifest)
				tc.edit(u.Object["spec"].(map[string]any))
				u.SetName(shortName(tc.name))
				err := c.Create(ctx, u)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want it refused with %q", err, tc.want)
				}
			})
		}
	})

	t.Run("updates", func(t *testing.T) {
		for i, tc := range updateCases {
			t.Run(tc.name, func(t *testing.T) {
				u := &unstructured.Unstructured{Object: map[string]any{"spec": tc.old()}}
				u.SetGroupVersionKind(betaTGB)
				u.SetNamespace("default")
				u.SetName(fmt.Sprintf("update-%d", i))
				if err := c.Create(ctx, u); err != nil {
					t.Fatalf("the object before the update is refused: %v", err)
				}
				tc.edit(u.Object["spec"].(map[string]any))
				err := c.Update(ctx, u)
				switch {
				case tc.want == "" && err != nil:
					t.Errorf("got %v, want the update accepted", err)
				case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("got %v, want it refused with %q", err, tc.want)
				}
			})
		}
	})
}

type refusal struct {
	name     string
	manifest string
	edit     func(spec map[string]any)
	want     string
}

// Each case breaks one rule of an otherwise valid manifest.
var createRefusals = []refusal{
	{"no target group", tgbByARN, func(s map[string]any) { delete(s, "targetGroupARN") },
		"TargetGroupBinding must specify these fields: either TargetGroupARN or TargetGroupName"},
	{"empty target group ARN", tgbByARN, func(s map[string]any) { s["targetGroupARN"] = "" },
		"TargetGroupBinding must specify these fields: either TargetGroupARN or TargetGroupName"},
	{"no target group through v1alpha1", tgbAlpha, func(s map[string]any) { delete(s, "targetGroupARN") },
		"TargetGroupBinding must specify these fields: either TargetGroupARN or TargetGroupName"},
	{"node selector on ip targets", tgbByARN, func(s map[string]any) { s["nodeSelector"] = map[string]any{} },
		"TargetGroupBinding cannot set NodeSelector when TargetType is ip"},
	{"assume role with instance targets", tgbByName, func(s map[string]any) { s["iamRoleArnToAssume"] = "arn:aws:iam::1:role/r" },
		"Unable to use instance target type while using assume role"},
	{"QUIC with instance targets", tgbByName, func(s map[string]any) { s["targetGroupProtocol"] = "QUIC" },
		"QUIC protocol is not supported for Instance target types."},
	{"malformed VPC ID", tgbByName, func(s map[string]any) { s["vpcID"] = "vpc-xyz" },
		"VPC Id must begin with 'vpc-' followed by 8, 17 or 32 lowercase letters (a-f) or numbers."},
	{"unknown target type", tgbByARN, func(s map[string]any) { s["targetType"] = "pod" }, `Unsupported value: "pod"`},
	{"unknown target group address type", tgbByARN, func(s map[string]any) { s["ipAddressType"] = "dualstack" },
		`Unsupported value: "dualstack"`},
	{"unknown networking protocol", tgbByName, func(s map[string]any) {
		s["networking"] = map[string]any{"ingress": []any{map[string]any{"from": []any{}, "ports": []any{map[string]any{"protocol": "ICMP"}}}}}
	}, `Unsupported value: "ICMP"`},
	{"no service", tgbByARN, func(s map[string]any) { delete(s, "serviceRef") }, "spec.serviceRef: Required value"},
	{"inbound CIDR without prefix", icpFull, func(s map[string]any) { s["inboundCIDRs"] = []any{"10.0.0.1"} },
		"Could not be parsed as a CIDR"},
	{"inbound CIDR with host bits", icpFull, func(s map[string]any) { s["inboundCIDRs"] = []any{"10.0.0.1/8"} },
		"Network contains bits outside prefix"},
	{"subnets without ids or tags", icpFull, func(s map[string]any) { s["subnets"] = map[string]any{} },
		"must have either `ids` or `tags`"},
	{"subnets with ids and tags", icpFull, func(s map[string]any) {
		s["subnets"] = map[string]any{"ids": []any{"subnet-1"}, "tags": map[string]any{"k": []any{"v"}}}
	}, "may not have both `ids` and `tags` set"},
	{"duplicate subnet IDs", icpFull, func(s map[string]any) { s["subnets"] = map[string]any{"ids": []any{"subnet-1", "subnet-1"}} },
		"Duplicate value"},
	{"no subnet tag key", icpFull, func(s map[string]any) { s["subnets"] = map[string]any{"tags": map[string]any{}} },
		"must have at least one tag key"},
	{"duplicate subnet tag values", icpFull, func(s map[string]any) { s["subnets"] = map[string]any{"tags": map[string]any{"k": []any{"v", "v"}}} },
		"Duplicate value"},
	{"malformed subnet ID", icpFull, func(s map[string]any) { s["subnets"] = map[string]any{"ids": []any{"sn-1"}} },
		"should match 'subnet-[0-9a-f]+'"},
	{"both prefix list spellings", icpFull, func(s map[string]any) { s["PrefixListsIDs"] = []any{"pl-1"} },
		"cannot specify both 'prefixListsIDs' and 'PrefixListsIDs' fields"},
	{"unknown scheme", icpFull, func(s map[string]any) { s["scheme"] = "public" }, `Unsupported value: "public"`},
	{"unknown load balancer address type", icpFull, func(s map[string]any) { s["ipAddressType"] = "ipv6" },
		`Unsupported value: "ipv6"`},
}

type update struct {
	name string
	old  func() map[string]any
	edit func(spec map[string]any)
	want string // "" when the update is accepted
}

// fullSpec has every field the immutability rules look at; nameOnlySpec
// has none of them (kelb fills what it finds out later).
func fullSpec() map[string]any {
	return map[string]any{"serviceRef": map[string]any{"name": "web", "port": int64(80)}, "targetGroupARN": "arn:tg/1",
		"targetGroupName": "tg", "targetType": "instance", "ipAddressType": "ipv4", "vpcID": "vpc-0123456789abcdef0"}
}

func nameOnlySpec() map[string]any {
	return map[string]any{"serviceRef": map[string]any{"name": "web", "port": int64(80)}, "targetGroupName": "tg"}
}

func set(field string, v any) func(map[string]any) { return func(s map[string]any) { s[field] = v } }
func unset(field string) func(map[string]any)      { return func(s map[string]any) { delete(s, field) } }

const immutable = "TargetGroupBinding update may not change these immutable fields: spec."

var updateCases = []update{
	{"change target group ARN", fullSpec, set("targetGroupARN", "arn:tg/2"), immutable + "targetGroupARN"},
	{"remove target group ARN", fullSpec, unset("targetGroupARN"), immutable + "targetGroupARN"},
	{"set target group ARN found by name", nameOnlySpec, set("targetGroupARN", "arn:tg/1"), ""},
	{"change target type", fullSpec, set("targetType", "ip"), immutable + "targetType"},
	{"remove target type", fullSpec, unset("targetType"), immutable + "targetType"},
	{"set target type found out", nameOnlySpec, set("targetType", "ip"), ""},
	{"change address type", fullSpec, set("ipAddressType", "ipv6"), immutable + "ipAddressType"},
	{"remove address type", fullSpec, unset("ipAddressType"), immutable + "ipAddressType"},
	{"set address type ipv4", nameOnlySpec, set("ipAddressType", "ipv4"), ""},
	{"set address type ipv6", nameOnlySpec, set("ipAddressType", "ipv6"), immutable + "ipAddressType"},
	{"change VPC", fullSpec, set("vpcID", "vpc-0123456789abcdef1"), immutable + "vpcID"},
	{"remove VPC", fullSpec, unset("vpcID"), immutable + "vpcID"},
	{"set VPC found out", nameOnlySpec, set("vpcID", "vpc-01234567"), ""},
	{"change service port", fullSpec, set("serviceRef", map[string]any{"name": "web", "port": "http"}), ""},
	{"change node selector", fullSpec, set("nodeSelector", map[string]any{"matchLabels": map[string]any{"a": "b"}}), ""},
	{"change networking", fullSpec, set("networking", map[string]any{"ingress": []any{}}), ""},
	{"node selector on ip targets", func() map[string]any { s := nameOnlySpec(); s["targetType"] = "ip"; return s },
		set("nodeSelector", map[string]any{}), "TargetGroupBinding cannot set NodeSelector when TargetType is ip"},
}

func fromYAML(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	// Through JSON, so that numbers decode as int64 like the API server's.
	j, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func get(t *testing.T, c client.Client, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}
