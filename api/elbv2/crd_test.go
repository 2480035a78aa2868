package elbv2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

func TestAddToSchemeRegistersEveryServedKind(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, gvk := range []schema.GroupVersionKind{
		{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "TargetGroupBinding"},
		{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "TargetGroupBindingList"},
		{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "IngressClassParams"},
		{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "IngressClassParamsList"},
		{Group: "elbv2.k8s.aws", Version: "v1alpha1", Kind: "TargetGroupBinding"},
		{Group: "elbv2.k8s.aws", Version: "v1alpha1", Kind: "TargetGroupBindingList"},
	} {
		if !s.Recognizes(gvk) {
			t.Errorf("%v is not registered", gvk)
		}
	}
}

func readCRD(t *testing.T, file string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", file))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(b, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

type servedVersion struct {
	Name            string
	Served, Storage bool
	Columns         []string
}

func versionsOf(crd *apiextensionsv1.CustomResourceDefinition) []servedVersion {
	var out []servedVersion
	for _, v := range crd.Spec.Versions {
		sv := servedVersion{Name: v.Name, Served: v.Served, Storage: v.Storage}
		for _, c := range v.AdditionalPrinterColumns {
			sv.Columns = append(sv.Columns, c.Name+" "+c.JSONPath)
		}
		out = append(out, sv)
	}
	return out
}

// The names, scope, versions and printer columns of LBC v3.5's CRDs: kubectl
// output and RBAC rules written for LBC keep working.
func TestCRDsMatchLBC(t *testing.T) {
	tgbColumns := []string{"SERVICE-NAME .spec.serviceRef.name", "SERVICE-PORT .spec.serviceRef.port",
		"TARGET-TYPE .spec.targetType", "ARN .spec.targetGroupARN", "NAME .spec.targetGroupName",
		"AGE .metadata.creationTimestamp"}
	for _, tc := range []struct {
		file     string
		names    apiextensionsv1.CustomResourceDefinitionNames
		scope    apiextensionsv1.ResourceScope
		versions []servedVersion
	}{
		{
			file: "elbv2.k8s.aws_targetgroupbindings.yaml",
			names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "TargetGroupBinding", ListKind: "TargetGroupBindingList",
				Plural: "targetgroupbindings", Singular: "targetgroupbinding"},
			scope: apiextensionsv1.NamespaceScoped,
			versions: []servedVersion{{Name: "v1alpha1", Served: true, Columns: tgbColumns},
				{Name: "v1beta1", Served: true, Storage: true, Columns: tgbColumns}},
		},
		{
			file: "elbv2.k8s.aws_ingressclassparams.yaml",
			names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "IngressClassParams", ListKind: "IngressClassParamsList",
				Plural: "ingressclassparams", Singular: "ingressclassparam"},
			scope: apiextensionsv1.ClusterScoped,
			versions: []servedVersion{{Name: "v1beta1", Served: true, Storage: true, Columns: []string{
				"GROUP-NAME .spec.group.name", "SCHEME .spec.scheme", "IP-ADDRESS-TYPE .spec.ipAddressType",
				"AGE .metadata.creationTimestamp"}}},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			crd := readCRD(t, tc.file)
			if crd.Spec.Group != "elbv2.k8s.aws" {
				t.Errorf("group %q", crd.Spec.Group)
			}
			if diff := cmp.Diff(tc.names, crd.Spec.Names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if crd.Spec.Scope != tc.scope {
				t.Errorf("scope %q, want %q", crd.Spec.Scope, tc.scope)
			}
			if diff := cmp.Diff(tc.versions, versionsOf(crd)); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}
}

// With no conversion webhook the API server only rewrites apiVersion between
// v1alpha1 and v1beta1, so the two schemas must be the same for an object to
// lose nothing when read and written back through either version.
func TestTargetGroupBindingVersionsShareOneSchema(t *testing.T) {
	crd := readCRD(t, "elbv2.k8s.aws_targetgroupbindings.yaml")
	if crd.Spec.Conversion != nil && crd.Spec.Conversion.Strategy != apiextensionsv1.NoneConverter {
		t.Errorf("conversion %q, want None", crd.Spec.Conversion.Strategy)
	}
	v := crd.Spec.Versions
	if len(v) != 2 {
		t.Fatalf("%d versions, want 2", len(v))
	}
	if diff := cmp.Diff(v[1].Schema, v[0].Schema); diff != "" {
		t.Errorf("v1alpha1 schema differs from v1beta1's (-v1beta1 +v1alpha1):\n%s", diff)
	}
	if diff := cmp.Diff(v[1].Subresources, v[0].Subresources); diff != "" {
		t.Errorf("v1alpha1 subresources differ from v1beta1's (-v1beta1 +v1alpha1):\n%s", diff)
	}
}
