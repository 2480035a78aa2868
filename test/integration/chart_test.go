package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestChartAppliesToAPIServer: the chart's objects, with default values and
// with the documented values set, pass the apiserver's validation when
// applied server-side (the webhook's Service points at no pod: fine), and
// the apiserver enforces RBAC, so the suite's impersonation of the chart's
// ServiceAccount really limits kelb to the chart's rules.
func TestChartAppliesToAPIServer(t *testing.T) {
	kube, _ := startKube(t)
	ctx := t.Context()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(kube.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}

	// RBAC is enforced: a ServiceAccount bound to nothing may not list
	// Services, the chart's may once its RBAC is applied.
	allowed := func(user string) bool {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:serviceaccounts", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "services"}}}
		if err := c.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		return sar.Status.Allowed
	}
	if allowed("system:serviceaccount:kube-system:nobody") {
		t.Fatal("the apiserver lets an unbound ServiceAccount list Services: RBAC is not enforced")
	}

	// Kinds whose CRDs belong to other projects (cert-manager, Prometheus
	// Operator) are not installed here.
	foreign := []string{"Certificate", "Issuer", "ServiceMonitor"}
	everyValue := map[string]any{
		"clusterName": "demo", "region": "eu-west-1", "vpcId": "vpc-1", "replicaCount": 3,
		"serviceAccount": map[string]any{"name": "kelb-sa",
			"annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/kelb"}},
		"clusterSecretsPermissions": map[string]any{"allowAllSecrets": true},
		"ingressClass":              "internal-alb", "ingressClassConfig": map[string]any{"default": true},
		"ingressClassParams": map[string]any{"create": true, "spec": map[string]any{"scheme": "internal"}},
		"defaultTags":        map[string]any{"team": "net"}, "enableCertManager": true,
		"serviceMonitor": map[string]any{"enabled": true},
		"nodeSelector":   map[string]any{"role": "infra"},
		"tolerations":    []any{map[string]any{"key": "infra", "operator": "Exists"}},
		"topologySpreadConstraints": []any{map[string]any{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
			"whenUnsatisfiable": "ScheduleAnyway"}},
		"webhookNamespaceSelectors": []any{map[string]any{"key": "lb", "operator": "Exists"}},
		"objectSelector":            map[string]any{"matchLabels": map[string]any{"gate": "yes"}},
		"podDisruptionBudget":       map[string]any{"minAvailable": 1},
		"extraVolumes":              []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
		"extraVolumeMounts":         []any{map[string]any{"name": "x", "mountPath": "/x"}},
	}
	for _, tc := range []struct {
		name   string
		values map[string]any
	}{
		{"defaults", map[string]any{"clusterName": "demo"}},
		{"every value", everyValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := renderChart(tc.values)
			if err != nil {
				t.Fatal(err)
			}
			objs = slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool {
				return slices.Contains(foreign, o.GetKind())
			})
			// Install order: the CRDs first, established before the
			// objects of their kinds.
			crds := slices.DeleteFunc(slices.Clone(objs), func(o *unstructured.Unstructured) bool {
				return o.GetKind() != "CustomResourceDefinition"
			})
			if err := applyObjects(ctx, c, crds); err != nil {
				t.Fatal(err)
			}
			for _, crd := range crds {
				eventually(t, 30*time.Second, "CRD "+crd.GetName()+" established", func() (bool, string) {
					var got apiextensionsv1.CustomResourceDefinition
					if err := c.Get(ctx, types.NamespacedName{Name: crd.GetName()}, &got); err != nil {
						return false, err.Error()
					}
					for _, cond := range got.Status.Conditions {
						if cond.Type == apiextensionsv1.Established {
							return cond.Status == apiextensionsv1.ConditionTrue, string(cond.Status)
						}
					}
					return false, "no Established condition"
				})
			}
			rest := slices.DeleteFunc(slices.Clone(objs), func(o *unstructured.Unstructured) bool {
				return o.GetKind() == "CustomResourceDefinition"
			})
			if err := applyObjects(ctx, c, rest); err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				got := &unstructured.Unstructured{}
				got.SetGroupVersionKind(o.GroupVersionKind())
				if err := c.Get(ctx, client.ObjectKeyFromObject(o), got); err != nil {
					t.Errorf("%s %s not stored: %v", o.GetKind(), o.GetName(), err)
				}
			}
			sa, _ := chartSubject(objs)
			eventually(t, 10*time.Second, "the chart's ServiceAccount may list Services", func() (bool, string) {
				return allowed(sa), sa
			})
		})
	}
}

// chartSubject is the ServiceAccount user the chart's ClusterRoleBinding
// binds.
func chartSubject(objs []*unstructured.Unstructured) (string, bool) {
	for _, o := range objs {
		if o.GetKind() != "ClusterRoleBinding" {
			continue
		}
		subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
		for _, s := range subjects {
			sm := s.(map[string]any)
			return fmt.Sprintf("system:serviceaccount:%s:%s", sm["namespace"], sm["name"]), true
		}
	}
	return "", false
}
