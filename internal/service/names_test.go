package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// builtNames are the names the builder gives a Service's resources.
type builtNames struct {
	LoadBalancer, TargetGroup, FrontendSG, FrontendSGDescription string
}

// TestNamesAreLBCs: names are LBC's (v3.5) character for character. The
// expected values were worked out apart from this code, from LBC's
// algorithm: SHA-256 over the parts written back to back, the first 10 hex
// digits, "k8s-<namespace, 8>-<name, 8>-<hash>" with everything but ASCII
// letters and digits stripped. Load balancer: cluster + UID + scheme.
// Target group: cluster + UID + target group port + Service port + target
// type + protocol + health-check protocol + health-check interval. Managed
// group: cluster + name + namespace + UID.
func TestNamesAreLBCs(t *testing.T) {
	const uid = "4c4b6f0e-8d2a-4f7e-9a57-2f1d3c0b9e11"
	service := func(namespace, name string) func(*Input) {
		return func(in *Input) {
			in.Service.Namespace, in.Service.Name, in.Service.UID = namespace, name, uid
		}
	}
	tests := []struct {
		name    string
		cluster string
		in      Input
		want    builtNames
	}{
		{"defaults: internal, instance targets on the node port, TCP health check every 10 s", "prod",
			testInput(service("default", "web")),
			builtNames{"k8s-default-web-c59ff9aa04", "k8s-default-web-9cf5ab0e24", "k8s-default-web-64a3e98a13",
				"[k8s] Managed SecurityGroup for LoadBalancer"}},
		{"internet-facing: another load balancer name, the same target group and group", "prod",
			testInput(service("default", "web"), ann(AnnScheme, SchemeInternetFacing)),
			builtNames{"k8s-default-web-de666c8868", "k8s-default-web-9cf5ab0e24", "k8s-default-web-64a3e98a13",
				"[k8s] Managed SecurityGroup for LoadBalancer"}},
		{"ip targets: the target port is the target group's", "prod",
			testInput(service("default", "web"), ann(AnnTargetType, TargetIP)),
			builtNames{"k8s-default-web-c59ff9aa04", "k8s-default-web-2f2da3dafa", "k8s-default-web-64a3e98a13",
				"[k8s] Managed SecurityGroup for LoadBalancer"}},
		{"externalTrafficPolicy Local: the HTTP health check is in the hash", "prod",
			testInput(service("default", "web"), func(in *Input) {
				in.Service.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				in.Service.Spec.HealthCheckNodePort = 32000
			}),
			builtNames{"k8s-default-web-c59ff9aa04", "k8s-default-web-0e66e8cb8e", "k8s-default-web-64a3e98a13",
				"[k8s] Managed SecurityGroup for LoadBalancer"}},
		{"long names are cut to 8 characters after hyphens are stripped", "prod-eu-1",
			testInput(service("team-payments", "checkout-frontend")),
			builtNames{"k8s-teampaym-checkout-f58df5cea8", "", "k8s-teampaym-checkout-848c8aff91",
				"[k8s] Managed SecurityGroup for LoadBalancer"}},
		{"the name annotation names the load balancer only", "prod",
			testInput(service("default", "web"), ann(AnnName, "my-nlb")),
			builtNames{"my-nlb", "k8s-default-web-9cf5ab0e24", "k8s-default-web-64a3e98a13",
				"[k8s] Managed SecurityGroup for LoadBalancer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig
			cfg.ClusterName = tt.cluster
			stack, err := Build(cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := builtNames{LoadBalancer: stack.LoadBalancer.Name, TargetGroup: stack.TargetGroups[0].Name,
				FrontendSG: stack.FrontendSG.Name, FrontendSGDescription: stack.FrontendSG.Description}
			if tt.want.TargetGroup == "" {
				got.TargetGroup = ""
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecreatedServiceGetsNewNames: a Service deleted and created again has
// a new UID, so none of its names collides with resources of the old one
// that AWS may still be deleting.
func TestRecreatedServiceGetsNewNames(t *testing.T) {
	names := func(uid string) []string {
		stack, err := Build(testConfig, testInput(func(in *Input) { in.Service.UID = types.UID("uid-" + uid) }))
		if err != nil {
			t.Fatal(err)
		}
		return []string{stack.LoadBalancer.Name, stack.TargetGroups[0].Name, stack.FrontendSG.Name}
	}
	before, after := names("1"), names("2")
	for i := range before {
		if before[i] == after[i] || len(before[i]) > 32 || !validLBName.MatchString(before[i]) {
			t.Errorf("name %d: before %q, after %q", i, before[i], after[i])
		}
	}
}

// TestListenerTagsAreLBCs: each listener carries the cluster, stack and
// resource (its port) tags and the user's tags, as LBC tags listeners.
func TestListenerTagsAreLBCs(t *testing.T) {
	in := testInput(ann(AnnAdditionalTags, "cost=42"), func(in *Input) {
		in.Service.Spec.Ports = append(in.Service.Spec.Ports,
			corev1.ServicePort{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP})
	})
	stack, err := Build(testConfig, in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]map[string]string{}
	for _, l := range stack.Listeners {
		got[l.Port] = l.Tags
	}
	tags := func(port string) map[string]string {
		return map[string]string{"team": "net", "cost": "42", model.TagCluster: "prod",
			model.TagServiceStack: "shop/web", model.TagServiceResource: port}
	}
	if diff := cmp.Diff(map[int32]map[string]string{53: tags("53"), 80: tags("80")}, got); diff != "" {
		t.Errorf("listener tags (-want +got):\n%s", diff)
	}
}
