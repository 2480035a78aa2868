package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/chart"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// kelb runs in the suite as the chart's ServiceAccount, bound only to the
// chart's roles (the apiserver authorizes with RBAC), so a permission the
// code needs and its markers lack fails a test here.
const (
	chartNamespace      = "kube-system" // the release namespace: kelb's default own namespace
	chartServiceAccount = "kelb"
)

// chartValues are the values the suite installs the chart with: OIDC
// Ingress tests read Secrets in their own namespaces, which LBC's and the
// chart's allowAllSecrets grants.
var chartValues = map[string]any{"clusterName": "integration",
	"clusterSecretsPermissions": map[string]any{"allowAllSecrets": true}}

// rbacKinds are the chart's objects that make kelb's identity and rights.
var rbacKinds = []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}

var chartRBAC = sync.OnceValues(func() ([]*unstructured.Unstructured, error) {
	objs, err := renderChart(chartValues)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool {
		return !slices.Contains(rbacKinds, o.GetKind())
	}), nil
})

func renderChart(values map[string]any) ([]*unstructured.Unstructured, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	out, err := chart.Render(filepath.Join(root, chart.Dir), chart.Release{Name: "kelb", Namespace: chartNamespace},
		values)
	if err != nil {
		return nil, err
	}
	return out.Objects()
}

// applyObjects applies objects server-side as the test's admin.
func applyObjects(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()),
			client.FieldOwner("kelb-integration"), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// chartUser is the ServiceAccount's user and groups, as the apiserver
// authenticates its token.
func chartUser() (string, []string) {
	return fmt.Sprintf("system:serviceaccount:%s:%s", chartNamespace, chartServiceAccount),
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + chartNamespace, "system:authenticated"}
}

// kelbConfig installs the chart's RBAC on the test's apiserver and returns
// a rest config that impersonates the chart's ServiceAccount, once the
// apiserver's authorizer has seen the bindings.
func (cl *cluster) kelbConfig() *rest.Config {
	cl.t.Helper()
	objs, err := chartRBAC()
	if err != nil {
		cl.t.Fatal(err)
	}
	ctx := cl.t.Context()
	if err := applyObjects(ctx, cl.c, objs); err != nil {
		cl.t.Fatal(err)
	}
	user, groups := chartUser()
	// One cluster-wide and one namespaced permission: both bindings seen.
	for _, attrs := range []authorizationv1.ResourceAttributes{
		{Verb: "list", Resource: "services"},
		{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: chartNamespace},
	} {
		eventually(cl.t, 10*time.Second, "the chart's RBAC in force for "+attrs.Resource, func() (bool, string) {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: user, Groups: groups, ResourceAttributes: &attrs}}
			if err := cl.c.Create(ctx, sar); err != nil {
				return false, err.Error()
			}
			return sar.Status.Allowed, sar.Status.Reason
		})
	}
	cfg := rest.CopyConfig(cl.kube.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}
