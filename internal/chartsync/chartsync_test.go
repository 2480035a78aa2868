package chartsync

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestSplitSecrets(t *testing.T) {
	read := []string{"get", "list", "watch"}
	for _, tc := range []struct {
		name              string
		in                []rbacv1.PolicyRule
		wantRest, wantSec []rbacv1.PolicyRule
	}{
		{
			name:     "merged with other core resources",
			in:       []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces", "secrets"}, Verbs: read}},
			wantRest: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: read}},
			wantSec:  []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: read}},
		},
		{
			name:    "alone",
			in:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: read}},
			wantSec: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: read}},
		},
		{
			name:     "another group's secrets stay",
			in:       []rbacv1.PolicyRule{{APIGroups: []string{"example.com"}, Resources: []string{"secrets"}, Verbs: read}},
			wantRest: []rbacv1.PolicyRule{{APIGroups: []string{"example.com"}, Resources: []string{"secrets"}, Verbs: read}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rest, sec := splitSecrets(tc.in)
			if diff := cmp.Diff(tc.wantRest, rest); diff != "" {
				t.Errorf("rest (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSec, sec); diff != "" {
				t.Errorf("secrets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []rbacv1.PolicyRule
		want []rbacv1.PolicyRule
	}{
		{
			name: "create stays unnamed",
			in:   []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create", "get", "update"}}},
			want: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"N"}, Verbs: []string{"get", "update"}},
			},
		},
		{
			name: "split out of a shared rule",
			in:   []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"get"}}},
			want: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"N"}, Verbs: []string{"get"}},
			},
		},
		{
			name: "other resources untouched",
			in:   []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}},
			want: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, named(tc.in, "", "secrets", "N")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeepAnnotated(t *testing.T) {
	in := "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    controller-gen.kubebuilder.io/version: v0.23.0\n  name: x\n"
	want := "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    helm.sh/resource-policy: keep\n    controller-gen.kubebuilder.io/version: v0.23.0\n  name: x\n"
	got, err := keepAnnotated(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := keepAnnotated("metadata:\n  name: x\n"); err == nil {
		t.Error("want an error without controller-gen's annotations")
	}
}

// The committed chart is what the generator makes from the committed
// controller-gen output (make verify checks the same after regenerating).
func TestChartInSync(t *testing.T) {
	files, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join("../..", f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(f.Content), string(got)); diff != "" {
			t.Errorf("%s drifts from controller-gen's output; run make generate (-want +got):\n%s", f.Path, diff)
		}
	}
}
