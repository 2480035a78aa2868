package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// installACKKind installs a minimal CRD for one of ACK's EC2 kinds
// (schema-less spec and status, no status subresource) and waits until the
// API server serves it.
func (cl *cluster) installACKKind(kind, plural string) {
	cl.t.Helper()
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": plural + ".ec2.services.k8s.aws"},
		"spec": map[string]any{"group": "ec2.services.k8s.aws", "scope": "Namespaced",
			"names": map[string]any{"kind": kind, "plural": plural, "listKind": kind + "List"},
			"versions": []any{map[string]any{"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object",
					"x-kubernetes-preserve-unknown-fields": true}}}}}}}
	if err := cl.c.Create(cl.t.Context(), crd); err != nil {
		cl.t.Fatal(err)
	}
	eventually(cl.t, 20*time.Second, kind+" served", func() (bool, string) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind + "List"))
		err := cl.c.List(cl.t.Context(), list)
		return err == nil, fmt.Sprint(err)
	})
}

// createACKObject creates an ACK object of kind with the status ACK would
// write: synced or not, and the id in field.
func (cl *cluster) createACKObject(kind, name string, synced bool, field, id string) {
	cl.t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{}, "status": ackStatus(synced, field, id)}}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind))
	u.SetNamespace("default")
	u.SetName(name)
	if err := cl.c.Create(cl.t.Context(), u); err != nil {
		cl.t.Fatal(err)
	}
}

// syncACKObject writes a synced status with the id, as ACK does once AWS
// has the resource.
func (cl *cluster) syncACKObject(kind, name, field, id string) {
	cl.t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind))
	if err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, u); err != nil {
		cl.t.Fatal(err)
	}
	u.Object["status"] = ackStatus(true, field, id)
	if err := cl.c.Update(cl.t.Context(), u); err != nil {
		cl.t.Fatal(err)
	}
}

func ackStatus(synced bool, field, id string) map[string]any {
	status := "False"
	if synced {
		status = "True"
	}
	st := map[string]any{"conditions": []any{map[string]any{"type": "ACK.ResourceSynced", "status": status}}}
	if id != "" {
		st[field] = id
	}
	return st
}

func refTo(name string) *v1alpha1.AWSResourceReferenceWrapper {
	return &v1alpha1.AWSResourceReferenceWrapper{From: &v1alpha1.AWSResourceReference{Name: aws.String(name)}}
}

// TestVPCEndpointReferences: references to ACK's objects resolve as ACK
// resolves them. A kind the cluster does not serve is terminal and makes
// nothing; objects not synced yet are waited for (ACK.ReferencesResolved
// Unknown, no AWS call); once synced, the endpoint is made in the VPC and
// subnet they name, the spec keeps its references only, and
// ACK.ReferencesResolved is True.
func TestVPCEndpointReferences(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()
	t0 := time.Now()
	cl.createEndpoint("no-kind", s3Service, func(e *v1alpha1.VPCEndpoint) {
		e.Spec.VPCEndpointType = aws.String("Gateway")
		e.Spec.VPCID = aws.String(cl.world.VPCID)
		e.Spec.RouteTableRefs = []*v1alpha1.AWSResourceReferenceWrapper{refTo("main")}
	})
	e, _ := cl.waitEndpoint("no-kind", 10*time.Second, "terminal", func(e *v1alpha1.VPCEndpoint) bool {
		return conditionOf(e, vpcendpoint.ConditionTerminal) == "True/InvalidConfiguration"
	})
	if got := aws.ToString(vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionTerminal).Message); got !=
		"routeTableRefs names RouteTable default/main, but this cluster does not serve kind RouteTable "+
			"(ec2.services.k8s.aws/v1alpha1): install ACK's RouteTable CRD or set routeTableIDs" {
		t.Errorf("terminal message: %q", got)
	}
	if got := conditionOf(e, vpcendpoint.ConditionReferencesResolved); got != "False/"+
		"routeTableRefs names RouteTable default/main, but this cluster does not serve kind RouteTable "+
		"(ec2.services.k8s.aws/v1alpha1): install ACK's RouteTable CRD or set routeTableIDs" {
		t.Errorf("ACK.ReferencesResolved: %s", got)
	}

	cl.installACKKind("VPC", "vpcs")
	cl.installACKKind("Subnet", "subnets")
	cl.createACKObject("VPC", "net", false, "vpcID", "")
	cl.createACKObject("Subnet", "private-b", false, "subnetID", "")
	cl.createEndpoint("by-ref", s3Service, func(e *v1alpha1.VPCEndpoint) {
		e.Spec.VPCEndpointType = aws.String("Interface")
		e.Spec.VPCRef = refTo("net")
		e.Spec.SubnetRefs = []*v1alpha1.AWSResourceReferenceWrapper{refTo("private-b")}
	})
	cl.waitEndpoint("by-ref", 10*time.Second, "references waited for", func(e *v1alpha1.VPCEndpoint) bool {
		return conditionOf(e, vpcendpoint.ConditionReferencesResolved) ==
			"Unknown/the referenced resource is not synced yet. resource:VPC, namespace:default, name:net"
	})
	if n := cl.kelbCalls(t0, "CreateVpcEndpoint"); n != 0 {
		t.Fatalf("%d creates before the references resolved", n)
	}
	cl.syncACKObject("VPC", "net", "vpcID", cl.world.VPCID)
	cl.syncACKObject("Subnet", "private-b", "subnetID", cl.world.PrivateSubnets[1])
	e = cl.waitSynced("by-ref")
	if got := conditionOf(e, vpcendpoint.ConditionReferencesResolved); got != "True/" {
		t.Errorf("ACK.ReferencesResolved once resolved: %q", got)
	}
	a := cl.awsEndpoint(aws.ToString(e.Status.VPCEndpointID))
	if aws.ToString(a.VpcId) != cl.world.VPCID || fmt.Sprint(a.SubnetIds) != fmt.Sprint([]string{cl.world.PrivateSubnets[1]}) {
		t.Errorf("made in %s %v, want the referenced %s %s", aws.ToString(a.VpcId), a.SubnetIds, cl.world.VPCID, cl.world.PrivateSubnets[1])
	}
	if e.Spec.VPCID != nil || e.Spec.SubnetIDs != nil {
		t.Errorf("the resolved ids were written into the spec: %v %v", e.Spec.VPCID, e.Spec.SubnetIDs)
	}
	if n := cl.kelbCalls(t0, "CreateVpcEndpoint"); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	deleteEndpoints(cl)
}
