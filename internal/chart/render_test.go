package chart

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kelb-dev/kelb/internal/manager"
)

const chartDir = "../../charts/kelb"

func render(t *testing.T, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	out, err := Render(chartDir, DefaultRelease, values)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := out.Objects()
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

func kindsAndNames(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	return out
}

func containerOf(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	var d *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			d = o
		}
	}
	if d == nil {
		t.Fatal("no Deployment rendered")
	}
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("want one container, got %d", len(cs))
	}
	return cs[0].(map[string]any)
}

func argsOf(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var out []string
	for _, a := range containerOf(t, objs)["args"].([]any) {
		out = append(out, a.(string))
	}
	return out
}

// The fixed flags: the names kelb is told so that it and the chart agree.
var fixedArgs = []string{
	"--metrics-bind-addr=:8080", "--health-probe-bind-addr=:61779", "--enable-leader-election=true",
	"--leader-election-id=kelb-leader", "--leader-election-namespace=kube-system", "--webhook-bind-port=9443",
	"--webhook-service-name=kelb-webhook-service", "--webhook-service-namespace=kube-system",
	"--webhook-secret-name=kelb-webhook-tls", "--webhook-config-name=kelb-webhook",
}

func TestRenderDefaults(t *testing.T) {
	objs := render(t, map[string]any{"clusterName": "demo"})
	want := []string{
		"PodDisruptionBudget kube-system/kelb",
		"ServiceAccount kube-system/kelb",
		"CustomResourceDefinition /vpcendpoints.ec2.services.k8s.aws",
		"CustomResourceDefinition /ingressclassparams.elbv2.k8s.aws",
		"CustomResourceDefinition /targetgroupbindings.elbv2.k8s.aws",
		"ClusterRole /kelb",
		"ClusterRoleBinding /kelb",
		"Role kube-system/kelb",
		"RoleBinding kube-system/kelb",
		"Service kube-system/kelb-metrics",
		"Service kube-system/kelb-webhook-service",
		"Deployment kube-system/kelb",
		"IngressClass /alb",
		"MutatingWebhookConfiguration /kelb-webhook",
	}
	if diff := cmp.Diff(want, kindsAndNames(objs)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	wantArgs := append([]string{"--cluster-name=demo", "--ingress-class=alb",
		"--load-balancer-class=service.k8s.aws/nlb", "--default-target-type=instance", "--log-level=info",
		"--enable-ingress=true"}, fixedArgs...)
	if diff := cmp.Diff(wantArgs, argsOf(t, objs)); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	wantSC := map[string]any{"runAsNonRoot": true, "runAsUser": int64(65532), "readOnlyRootFilesystem": true,
		"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}},
		"seccompProfile": map[string]any{"type": "RuntimeDefault"}}
	if diff := cmp.Diff(wantSC, containerOf(t, objs)["securityContext"]); diff != "" {
		t.Errorf("securityContext (-want +got):\n%s", diff)
	}
	// kelb names its own Pod in events about missing IAM permissions.
	wantEnv := []any{
		map[string]any{"name": "POD_NAME", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}},
		map[string]any{"name": "POD_NAMESPACE", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.namespace"}}},
	}
	if diff := cmp.Diff(wantEnv, containerOf(t, objs)["env"]); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	d := find(t, objs, "Deployment", "kelb")
	if got, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "priorityClassName"); got != "system-cluster-critical" {
		t.Errorf("priorityClassName %q", got)
	}
	if got, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); got != 2 {
		t.Errorf("replicas %d", got)
	}
	// Probes on kelb's real endpoints.
	c := containerOf(t, objs)
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		got, _, _ := unstructured.NestedString(c, probe, "httpGet", "path")
		port, _, _ := unstructured.NestedString(c, probe, "httpGet", "port")
		if got != path || port != "health" {
			t.Errorf("%s: %s on %s", probe, got, port)
		}
	}
	// The pod webhook never blocks: Ignore, scoped to namespaces that ask.
	hook := find(t, objs, "MutatingWebhookConfiguration", "kelb-webhook")
	hooks, _, _ := unstructured.NestedSlice(hook.Object, "webhooks")
	h := hooks[0].(map[string]any)
	if h["failurePolicy"] != "Ignore" {
		t.Errorf("failurePolicy %v", h["failurePolicy"])
	}
	if _, ok := hook.GetAnnotations()["cert-manager.io/inject-ca-from"]; ok {
		t.Error("cert-manager annotation without enableCertManager")
	}
	exprs, _, _ := unstructured.NestedSlice(h, "namespaceSelector", "matchExpressions")
	if diff := cmp.Diff([]any{
		map[string]any{"key": "elbv2.k8s.aws/pod-readiness-gate-inject", "operator": "In", "values": []any{"enabled"}},
		map[string]any{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
			"values": []any{"kube-system", "kube-public", "kube-node-lease"}},
	}, exprs); diff != "" {
		t.Errorf("namespaceSelector (-want +got):\n%s", diff)
	}
	// Cluster-wide Secret reads only with allowAllSecrets (as LBC).
	if rulesFor(find(t, objs, "ClusterRole", "kelb"), "secrets") != nil {
		t.Error("ClusterRole grants Secrets without clusterSecretsPermissions.allowAllSecrets")
	}
	if diff := cmp.Diff([]string{"create", "get", "update"}, rulesFor(find(t, objs, "Role", "kelb"), "secrets")); diff != "" {
		t.Errorf("Role's Secret verbs (-want +got):\n%s", diff)
	}
	// kelb writes its own webhook configuration and Secret only.
	if diff := cmp.Diff([]string{"kelb-webhook"}, namesFor(find(t, objs, "ClusterRole", "kelb"), "mutatingwebhookconfigurations")); diff != "" {
		t.Errorf("webhook configuration names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"kelb-webhook-tls"}, namesFor(find(t, objs, "Role", "kelb"), "secrets")); diff != "" {
		t.Errorf("Secret names (-want +got):\n%s", diff)
	}
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" && o.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s is not kept", o.GetName())
		}
	}
}

// rulesFor returns the verbs of the rules naming resource.
func rulesFor(role *unstructured.Unstructured, resource string) []string {
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	var verbs []string
	for _, r := range rules {
		rm := r.(map[string]any)
		for _, res := range rm["resources"].([]any) {
			if res == resource {
				for _, v := range rm["verbs"].([]any) {
					verbs = append(verbs, v.(string))
				}
			}
		}
	}
	sort.Strings(verbs)
	return verbs
}

// namesFor returns the resource names of the rules naming resource.
func namesFor(role *unstructured.Unstructured, resource string) []string {
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	var names []string
	for _, r := range rules {
		rm := r.(map[string]any)
		for _, res := range rm["resources"].([]any) {
			if res == resource {
				ns, _ := rm["resourceNames"].([]any)
				for _, n := range ns {
					names = append(names, n.(string))
				}
			}
		}
	}
	return names
}

// allValues sets every documented value to something other than its
// default.
var allValues = map[string]any{
	"clusterName": "demo", "region": "eu-west-1", "vpcId": "vpc-1", "awsApiEndpoints": "EC2=http://ec2.local",
	"awsApiThrottle": "EC2:.*=10:20", "awsMaxRetries": 5, "replicaCount": 3, "revisionHistoryLimit": 4,
	"image":            map[string]any{"repository": "registry.local/kelb", "tag": "v9", "pullPolicy": "Always"},
	"imagePullSecrets": []any{map[string]any{"name": "pull"}},
	"fullnameOverride": "lb",
	"serviceAccount": map[string]any{"create": true, "name": "lb-sa", "automountServiceAccountToken": false,
		"annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/lb"}},
	"clusterSecretsPermissions": map[string]any{"allowAllSecrets": true},
	"crds":                      map[string]any{"create": false},
	"resources":                 map[string]any{"requests": map[string]any{"cpu": "50m"}},
	"priorityClassName":         "high",
	"nodeSelector":              map[string]any{"role": "infra"},
	"tolerations":               []any{map[string]any{"key": "infra", "operator": "Exists"}},
	"affinity":                  map[string]any{"nodeAffinity": map[string]any{}},
	"topologySpreadConstraints": []any{map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}},
	"updateStrategy":            map[string]any{"type": "Recreate"},
	"deploymentAnnotations":     map[string]any{"a": "b"}, "podAnnotations": map[string]any{"c": "d"},
	"podLabels": map[string]any{"team": "net"}, "additionalLabels": map[string]any{"owner": "net"},
	"enableCertManager": true, "cluster": map[string]any{"dnsDomain": "corp.local"},
	"ingressClass": "internal-alb", "createIngressClassResource": true,
	"ingressClassConfig": map[string]any{"default": true},
	"ingressClassParams": map[string]any{"create": true, "name": "params", "spec": map[string]any{"scheme": "internal"}},
	"loadBalancerClass":  "kelb.dev/nlb", "defaultTargetType": "ip", "defaultSSLPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
	"defaultTags":         map[string]any{"team": "net", "env": "prod"},
	"externalManagedTags": []any{"cost", "owner"},
	"enableBackendSG":     false, "backendSecurityGroup": "sg-1", "disableRestrictedSecurityGroupRules": true,
	"enablePodReadinessGateInject": false, "enableShield": false, "enableWaf": false, "enableWafv2": false,
	"ingressMaxConcurrentReconciles": 4, "serviceMaxConcurrentReconciles": 5,
	"targetgroupbindingMaxConcurrentReconciles": 6, "targetgroupbindingMaxExponentialBackoffDelay": "5m",
	"syncPeriod": "1h", "watchNamespace": "apps", "disableIngressClassAnnotation": true,
	"disableIngressGroupNameAnnotation": true, "logLevel": "debug", "metricsBindPort": 9090,
	"healthProbeBindPort": 9091, "webhookBindPort": 9092,
	"webhookNamespaceSelectors": []any{map[string]any{"key": "lb", "operator": "Exists"}},
	"objectSelector":            map[string]any{"matchLabels": map[string]any{"gate": "yes"}},
	"webhookTimeoutSeconds":     3, "serviceAnnotations": map[string]any{"e": "f"},
	"controllerConfig": map[string]any{"featureGates": map[string]any{"SubnetsClusterTagCheck": false}},
	"driftPeriod":      "2m", "orphanSweep": "report", "orphanSweepInterval": "1m", "orphanGracePeriod": "20m",
	"deletionPolicy": "retain", "enableIngress": false, "leaderElectionId": "lb-leader",
	"extraArgs":           []any{"--aws-vpc-tag-key=Name"},
	"env":                 map[string]any{"AWS_STS_REGIONAL_ENDPOINTS": "regional"},
	"podDisruptionBudget": map[string]any{"minAvailable": 1},
	"serviceMonitor": map[string]any{"enabled": true, "interval": "30s", "namespace": "monitoring",
		"additionalLabels": map[string]any{"release": "prom"}},
	"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet",
	"extraVolumes":      []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
	"extraVolumeMounts": []any{map[string]any{"name": "x", "mountPath": "/x"}},
}

func TestRenderEveryValue(t *testing.T) {
	objs := render(t, allValues)
	want := []string{
		"PodDisruptionBudget kube-system/lb",
		"ServiceAccount kube-system/lb-sa",
		"ClusterRole /lb",
		"ClusterRoleBinding /lb",
		"Role kube-system/lb",
		"RoleBinding kube-system/lb",
		"Service kube-system/lb-metrics",
		"Service kube-system/lb-webhook-service",
		"Deployment kube-system/lb",
		"IngressClass /internal-alb",
		"Certificate kube-system/lb-serving-cert",
		"IngressClassParams /params",
		"Issuer kube-system/lb-selfsigned-issuer",
		"MutatingWebhookConfiguration /lb-webhook",
		"ServiceMonitor monitoring/lb",
	}
	if diff := cmp.Diff(want, kindsAndNames(objs)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	d := find(t, objs, "Deployment", "lb")
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	var args []string
	for _, a := range cs[0].(map[string]any)["args"].([]any) {
		args = append(args, a.(string))
	}
	wantArgs := []string{
		"--cluster-name=demo", "--aws-region=eu-west-1", "--aws-vpc-id=vpc-1",
		"--aws-api-endpoints=EC2=http://ec2.local", "--aws-api-throttle=EC2:.*=10:20", "--aws-max-retries=5",
		"--ingress-class=internal-alb", "--load-balancer-class=kelb.dev/nlb", "--default-target-type=ip",
		"--default-ssl-policy=ELBSecurityPolicy-TLS13-1-2-2021-06", "--default-tags=env=prod,team=net",
		"--external-managed-tags=cost,owner", "--enable-backend-security-group=false",
		"--backend-security-group=sg-1", "--disable-restricted-sg-rules=true",
		"--enable-pod-readiness-gate-inject=false", "--enable-shield=false", "--enable-waf=false",
		"--enable-wafv2=false", "--ingress-max-concurrent-reconciles=4", "--service-max-concurrent-reconciles=5",
		"--targetgroupbinding-max-concurrent-reconciles=6", "--targetgroupbinding-max-exponential-backoff-delay=5m",
		"--sync-period=1h", "--watch-namespace=apps", "--disable-ingress-class-annotation=true",
		"--disable-ingress-group-name-annotation=true", "--log-level=debug",
		"--feature-gates=SubnetsClusterTagCheck=false", "--drift-period=2m", "--orphan-sweep=report",
		"--orphan-sweep-interval=1m", "--orphan-grace-period=20m", "--deletion-policy=retain",
		"--enable-ingress=false",
		"--metrics-bind-addr=:9090", "--health-probe-bind-addr=:9091", "--enable-leader-election=true",
		"--leader-election-id=lb-leader", "--leader-election-namespace=kube-system", "--webhook-bind-port=9092",
		"--webhook-service-name=lb-webhook-service", "--webhook-service-namespace=kube-system",
		"--webhook-secret-name=lb-webhook-tls", "--webhook-config-name=lb-webhook",
		"--webhook-cert-dir=/etc/kelb/webhook-certs", "--aws-vpc-tag-key=Name",
	}
	if diff := cmp.Diff(wantArgs, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	hook := find(t, objs, "MutatingWebhookConfiguration", "lb-webhook")
	if got := hook.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != "kube-system/lb-serving-cert" {
		t.Errorf("inject-ca-from %q", got)
	}
	hooks, _, _ := unstructured.NestedSlice(hook.Object, "webhooks")
	h := hooks[0].(map[string]any)
	wantHook := map[string]any{
		"namespaceSelector": map[string]any{"matchExpressions": []any{
			map[string]any{"key": "lb", "operator": "Exists"},
			map[string]any{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
				"values": []any{"kube-system", "kube-public", "kube-node-lease"}}}},
		"objectSelector": map[string]any{"matchLabels": map[string]any{"gate": "yes"}},
		"timeoutSeconds": int64(3),
	}
	gotHook := map[string]any{"namespaceSelector": h["namespaceSelector"], "objectSelector": h["objectSelector"],
		"timeoutSeconds": h["timeoutSeconds"]}
	if diff := cmp.Diff(wantHook, gotHook); diff != "" {
		t.Errorf("webhook (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"get", "list", "watch"}, rulesFor(find(t, objs, "ClusterRole", "lb"), "secrets")); diff != "" {
		t.Errorf("allowAllSecrets (-want +got):\n%s", diff)
	}
	pdb := find(t, objs, "PodDisruptionBudget", "lb")
	budget, _, _ := unstructured.NestedMap(pdb.Object, "spec")
	delete(budget, "selector")
	if diff := cmp.Diff(map[string]any{"minAvailable": int64(1)}, budget); diff != "" {
		t.Errorf("PodDisruptionBudget (-want +got):\n%s", diff)
	}
	sa := find(t, objs, "ServiceAccount", "lb-sa")
	if sa.GetAnnotations()["eks.amazonaws.com/role-arn"] == "" || sa.Object["automountServiceAccountToken"] != false {
		t.Errorf("ServiceAccount %v", sa.Object)
	}
	ic := find(t, objs, "IngressClass", "internal-alb")
	if ic.GetAnnotations()["ingressclass.kubernetes.io/is-default-class"] != "true" {
		t.Error("IngressClass is not the default")
	}
	if got, _, _ := unstructured.NestedString(ic.Object, "spec", "parameters", "name"); got != "params" {
		t.Errorf("IngressClass parameters %q", got)
	}
	spec, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
	for _, field := range []string{"nodeSelector", "tolerations", "affinity", "topologySpreadConstraints",
		"imagePullSecrets", "hostNetwork", "dnsPolicy"} {
		if spec[field] == nil {
			t.Errorf("pod spec has no %s", field)
		}
	}
	if spec["priorityClassName"] != "high" {
		t.Errorf("priorityClassName %v", spec["priorityClassName"])
	}
	if image := cs[0].(map[string]any)["image"]; image != "registry.local/kelb:v9" {
		t.Errorf("image %v", image)
	}
}

// The chart passes only flags kelb has, with values kelb accepts.
func TestChartFlagsAreKelbs(t *testing.T) {
	for name, values := range map[string]map[string]any{"defaults": {"clusterName": "demo"}, "every value": allValues} {
		t.Run(name, func(t *testing.T) {
			args := argsOf(t, render(t, values))
			fs := flag.NewFlagSet("kelb", flag.ContinueOnError)
			var o manager.Options
			o.BindFlags(fs)
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			if err := o.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRenderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"no cluster name", map[string]any{}, "clusterName is required"},
		{"service mutator", map[string]any{"clusterName": "demo", "enableServiceMutatorWebhook": true},
			"enableServiceMutatorWebhook: kelb has no Service mutator webhook yet"},
		{"no service account name", map[string]any{"clusterName": "demo",
			"serviceAccount": map[string]any{"create": false}}, "serviceAccount.name is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(chartDir, DefaultRelease, tc.values)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
}

// Every value in values.yaml is read by a template, and every documented
// value is set by TestRenderEveryValue.
func TestEveryValueIsUsedAndTested(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	var templates strings.Builder
	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		templates.Write(b)
	}
	// Read by the chart's own logic, not a flag or field of its own.
	notInAllValues := map[string]bool{"nameOverride": true, "rbac": true, "enableServiceMutatorWebhook": true,
		"enableBackendSecurityGroup": true, "podSecurityContext": true, "securityContext": true,
		"terminationGracePeriodSeconds": true, "configureDefaultAffinity": true, "livenessProbe": true,
		"readinessProbe": true}
	for key := range values {
		used := regexp.MustCompile(`\.Values\.` + key + `\b|\$v\.` + key + `\b`)
		if !used.MatchString(templates.String()) {
			t.Errorf("value %s is read by no template", key)
		}
		if _, ok := allValues[key]; !ok && !notInAllValues[key] {
			t.Errorf("value %s is not set by TestRenderEveryValue", key)
		}
	}
}
