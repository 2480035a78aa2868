package integration

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

// TestVPCEndpointAPI: the CRD takes an ACK manifest as it is, and the API
// server refuses changes to fields AWS cannot change after creation.
func TestVPCEndpointAPI(t *testing.T) {
	_, c := startKube(t)
	ctx := t.Context()
	// An ACK manifest, as users have them.
	ep := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "ec2.services.k8s.aws/v1alpha1", "kind": "VPCEndpoint",
		"metadata": map[string]any{"name": "s3", "namespace": "default"},
		"spec": map[string]any{"serviceName": "com.amazonaws.us-west-2.s3", "vpcID": "vpc-1", "vpcEndpointType": "Gateway",
			"routeTableIDs": []any{"rtb-1"}, "tags": []any{map[string]any{"key": "team", "value": "data"}}},
	}}
	if err := c.Create(ctx, ep); err != nil {
		t.Fatalf("an ACK manifest is refused: %v", err)
	}
	gvk := schema.GroupVersionKind{Group: v1alpha1.GroupVersion.Group, Version: v1alpha1.GroupVersion.Version, Kind: "VPCEndpoint"}
	get := func() *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "s3"}, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	for field, value := range map[string]any{"serviceName": "com.amazonaws.us-west-2.dynamodb", "vpcID": "vpc-2",
		"vpcEndpointType": "Interface"} {
		u := get()
		_ = unstructured.SetNestedField(u.Object, value, "spec", field)
		err := c.Update(ctx, u)
		if err == nil || !strings.Contains(err.Error(), field+" is immutable") {
			t.Errorf("changing %s: got %v, want it refused as immutable", field, err)
		}
	}
	u := get()
	_ = unstructured.SetNestedSlice(u.Object, []any{"rtb-1", "rtb-2"}, "spec", "routeTableIDs")
	if err := c.Update(ctx, u); err != nil {
		t.Errorf("changing route tables (mutable): %v", err)
	}
	u = get()
	unstructured.RemoveNestedField(u.Object, "spec", "vpcID")
	if err := c.Update(ctx, u); err == nil || !strings.Contains(err.Error(), "vpcID is immutable") {
		t.Errorf("removing vpcID: got %v, want it refused", err)
	}
}
