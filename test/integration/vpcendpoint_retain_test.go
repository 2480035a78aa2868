package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

func withTag(k, v string) endpointOption {
	return func(e *v1alpha1.VPCEndpoint) {
		e.Spec.Tags = append(e.Spec.Tags, &v1alpha1.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
}

// retainedTags are the tags of an endpoint the object name left in AWS
// with a spec tag team=data.
func (cl *cluster) retainedTags(name string) map[string]string {
	tags := vpcendpoint.RetainedTags(cl.ownerTags(name), "default", name)
	tags["team"] = "data"
	return tags
}

// TestVPCEndpointRetainReleasesOwnership: a retained endpoint loses its
// owner tag, so a new object of the same name (even under a new kelb,
// which looks the cluster's endpoints up by tag afresh) creates its own
// endpoint and leaves the retained one alone; an explicit adoption takes
// it again and removes the mark.
func TestVPCEndpointRetainReleasesOwnership(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()
	cl.createEndpoint("kept", s3Service, cl.interfaceEndpoint(s3Service), withTag("team", "data"),
		withAnnotation(vpcendpoint.AnnotationDeletionPolicy, "retain"))
	kept := aws.ToString(cl.waitSynced("kept").Status.VPCEndpointID)
	cl.deleteEndpoint("kept")
	cl.wantState(kept, "available")
	if diff := cmp.Diff(cl.retainedTags("kept"), cl.awsTags(kept)); diff != "" {
		t.Errorf("tags of the retained endpoint (-want +got):\n%s", diff)
	}
	cl.wantEvent("kept", corev1.EventTypeNormal, "Retained", kept)

	cl.stopKelb()
	cl.startKelb()
	t0 := time.Now()
	cl.createEndpoint("kept", s3Service, cl.interfaceEndpoint(s3Service), withTag("team", "data"))
	if got := aws.ToString(cl.waitSynced("kept").Status.VPCEndpointID); got == kept {
		t.Errorf("the new object took the retained endpoint %s", kept)
	}
	if n := len(cl.liveEndpoints()); n != 2 {
		t.Errorf("%d live endpoints, want the retained one and the new one", n)
	}
	if diff := cmp.Diff(cl.retainedTags("kept"), cl.awsTags(kept)); diff != "" {
		t.Errorf("tags of the retained endpoint after a new object of its name (-want +got):\n%s", diff)
	}
	if changes := cl.changesTo(t0, kept); len(changes) != 0 {
		t.Errorf("kelb changed the retained endpoint: %v", changes)
	}

	cl.createEndpoint("adopter", s3Service, withAnnotation(vpcendpoint.AnnotationAdoptionPolicy, "adopt"), adoptionFields(kept))
	if got := aws.ToString(cl.waitSynced("adopter").Status.VPCEndpointID); got != kept {
		t.Fatalf("adopter has %q, want %s", got, kept)
	}
	want := cl.ownerTags("adopter")
	want["team"] = "data"
	if diff := cmp.Diff(want, cl.awsTags(kept)); diff != "" {
		t.Errorf("tags of the adopted endpoint (-want +got):\n%s", diff)
	}
	cl.deleteEndpoint("adopter")
	cl.wantState(kept, "deleted")
}

// TestVPCEndpointRetainCrash: kelb stops between marking an endpoint
// retained and taking its owner tag off, or its untagging is answered with
// an error after it took effect; either way the next attempt finishes
// retaining (or sees it done) and releases the object, deleting nothing.
func TestVPCEndpointRetainCrash(t *testing.T) {
	cl := newCluster(t, 1)
	t.Cleanup(func() { env.Proxy.Faults.Set() })
	cl.startKelb()
	for _, name := range []string{"half", "lost"} {
		cl.createEndpoint(name, s3Service, cl.interfaceEndpoint(s3Service), withTag("team", "data"),
			withAnnotation(vpcendpoint.AnnotationDeletionPolicy, "retain"))
	}
	half := aws.ToString(cl.waitSynced("half").Status.VPCEndpointID)
	lost := aws.ToString(cl.waitSynced("lost").Status.VPCEndpointID)

	// Every untagging refused, then kelb stops.
	refuse := awsproxy.FaultRule{Caller: cl.world.Account, Service: "ec2", Action: "DeleteTags", Rate: 1, Code: "IncorrectState"}
	env.Proxy.Faults.Set(refuse)
	t0 := time.Now()
	cl.startDeleting("half")
	eventually(t, 15*time.Second, "untagging refused", func() (bool, string) {
		n := cl.refusals(t0, "DeleteTags", "IncorrectState")
		return n >= 2, ""
	})
	cl.stopKelb()
	if e := cl.endpoint("half"); len(e.Finalizers) == 0 {
		t.Fatalf("released although the endpoint still has its owner tag: %s", describeEndpoint(e))
	}
	crashed := cl.retainedTags("half")
	crashed[vpcendpoint.TagName] = "half"
	if diff := cmp.Diff(crashed, cl.awsTags(half)); diff != "" {
		t.Errorf("tags at the crash (-want +got):\n%s", diff)
	}
	env.Proxy.Faults.Set()
	restart := time.Now()
	cl.startKelb()
	cl.waitDeleted("half")
	cl.wantState(half, "available")
	if diff := cmp.Diff(cl.retainedTags("half"), cl.awsTags(half)); diff != "" {
		t.Errorf("tags after the restart (-want +got):\n%s", diff)
	}
	if n := cl.kelbCalls(restart, "DeleteVpcEndpoints"); n != 0 {
		t.Errorf("%d deletes after the restart", n)
	}

	// The untagging takes effect but its answer is lost.
	lose := refuse
	lose.Lost = true
	env.Proxy.Faults.Set(lose)
	t1 := time.Now()
	cl.deleteEndpoint("lost")
	cl.wantState(lost, "available")
	if diff := cmp.Diff(cl.retainedTags("lost"), cl.awsTags(lost)); diff != "" {
		t.Errorf("tags after a lost untagging (-want +got):\n%s", diff)
	}
	calls := map[string]int{}
	for _, action := range []string{"CreateTags", "DeleteTags", "DeleteVpcEndpoints"} {
		calls[action] = cl.kelbCalls(t1, action)
	}
	if diff := cmp.Diff(map[string]int{"CreateTags": 1, "DeleteTags": 1, "DeleteVpcEndpoints": 0}, calls); diff != "" {
		t.Errorf("calls after a lost untagging (-want +got):\n%s", diff)
	}
}
