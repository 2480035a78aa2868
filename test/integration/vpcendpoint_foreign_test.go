package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// TestVPCEndpointReadOnlyThenManaged: a read-only object observes an
// endpoint made by someone else; its read-only annotation is removed. kelb
// refuses to take the endpoint (it is not the object's, and nothing adopts
// it explicitly), and deleting the object leaves it as it was.
func TestVPCEndpointReadOnlyThenManaged(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()
	foreign := cl.handMade()
	tags := cl.awsTags(foreign)
	t0 := time.Now()
	cl.createEndpoint("watched", s3Service, cl.interfaceEndpoint(s3Service),
		withAnnotation(vpcendpoint.AnnotationReadOnly, "true"), adoptionFields(foreign))
	cl.waitEndpoint("watched", 10*time.Second, "observed", stateIs("available"))

	cl.updateEndpoint("watched", func(e *v1alpha1.VPCEndpoint) { delete(e.Annotations, vpcendpoint.AnnotationReadOnly) })
	e, _ := cl.waitEndpoint("watched", 10*time.Second, "refused", func(e *v1alpha1.VPCEndpoint) bool {
		return conditionOf(e, vpcendpoint.ConditionTerminal) == "True/"+vpcendpoint.ReasonNotOwned
	})
	if msg := aws.ToString(vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionTerminal).Message); !strings.Contains(msg, foreign) ||
		!strings.Contains(msg, vpcendpoint.AnnotationAdoptionPolicy) {
		t.Errorf("refusal does not name the endpoint and how to adopt it: %q", msg)
	}

	cl.deleteEndpoint("watched")
	cl.wantState(foreign, "available")
	if diff := cmp.Diff(tags, cl.awsTags(foreign)); diff != "" {
		t.Errorf("the foreign endpoint's tags changed (-before +after):\n%s", diff)
	}
	if changes := cl.changesTo(t0, foreign); len(changes) != 0 {
		t.Errorf("kelb changed the foreign endpoint: %v", changes)
	}
	cl.wantEvent("watched", corev1.EventTypeWarning, "NotOwned", "left VPC endpoint "+foreign+" in AWS")
}

// TestVPCEndpointStaleStatusID: deleting an object whose status names an
// endpoint that is not its own (a stale or corrupted status: here patched
// to another object's endpoint, and to one made by hand) deletes neither;
// the object goes with a Warning naming the endpoint and why it was left.
func TestVPCEndpointStaleStatusID(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()
	cl.createEndpoint("other", s3Service, cl.interfaceEndpoint(s3Service))
	others := aws.ToString(cl.waitSynced("other").Status.VPCEndpointID)
	handmade := cl.handMade()
	cl.createEndpoint("holder-a", s3Service, cl.interfaceEndpoint(s3Service))
	cl.createEndpoint("holder-b", s3Service, cl.interfaceEndpoint(s3Service))
	cl.waitSynced("holder-a")
	cl.waitSynced("holder-b")

	// With kelb stopped, so that no reconcile writes the status back.
	cl.stopKelb()
	foreign := map[string]string{"holder-a": others, "holder-b": handmade}
	tags := map[string]map[string]string{}
	for name, id := range foreign {
		e := cl.endpoint(name)
		before := e.DeepCopy()
		e.Status.VPCEndpointID = aws.String(id)
		if err := cl.c.Status().Patch(t.Context(), e, client.MergeFrom(before)); err != nil {
			t.Fatal(err)
		}
		tags[id] = cl.awsTags(id)
		cl.startDeleting(name)
	}
	t0 := time.Now()
	cl.startKelb()
	for name, id := range foreign {
		cl.waitDeleted(name)
		cl.wantState(id, "available")
		if diff := cmp.Diff(tags[id], cl.awsTags(id)); diff != "" {
			t.Errorf("%s: the tags of %s changed (-before +after):\n%s", name, id, diff)
		}
		if changes := cl.changesTo(t0, id); len(changes) != 0 {
			t.Errorf("%s: kelb changed %s: %v", name, id, changes)
		}
	}
	cl.wantEvent("holder-a", corev1.EventTypeWarning, "NotOwned", "left VPC endpoint "+others+" in AWS: its tags "+
		vpcendpoint.TagNamespace+"=default and "+vpcendpoint.TagName+"=other say it is another object's, default/other")
	cl.wantEvent("holder-b", corev1.EventTypeWarning, "NotOwned", "left VPC endpoint "+handmade+" in AWS: it has no")
	if got := conditionOf(cl.endpoint("other"), vpcendpoint.ConditionReady); got != "True/Available" {
		t.Errorf("the other object: Ready %s", got)
	}
}

// TestVPCEndpointTakesOverACKEndpoint: an object ACK managed names in its
// status an endpoint ACK made (tagged with ACK's controller version and
// the object's namespace, no kelb tags). kelb, replacing ACK, takes it
// over without any adoption annotation, tags it as the object's, and
// deletes it with the object. (A guard for the migration path the
// ownership rules keep open; it passes before them too.)
func TestVPCEndpointTakesOverACKEndpoint(t *testing.T) {
	cl := newCluster(t, 1)
	out, err := cl.world.Clients.EC2.CreateVpcEndpoint(t.Context(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(cl.world.VPCID), ServiceName: aws.String(s3Service), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		SubnetIds: cl.world.PrivateSubnets[:1], TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: awsclient.EC2Tags(map[string]string{vpcendpoint.TagController: "ec2-v1.3.0", vpcendpoint.TagNamespace: "default"})}}})
	if err != nil {
		t.Fatal(err)
	}
	ack := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	cl.createEndpoint("migrated", s3Service, cl.interfaceEndpoint(s3Service), func(e *v1alpha1.VPCEndpoint) {
		e.Finalizers = []string{vpcendpoint.Finalizer}
	})
	e := cl.endpoint("migrated")
	before := e.DeepCopy()
	e.Status.VPCEndpointID, e.Status.State = aws.String(ack), aws.String("available")
	if err := cl.c.Status().Patch(t.Context(), e, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	cl.startKelb()
	if got := aws.ToString(cl.waitSynced("migrated").Status.VPCEndpointID); got != ack {
		t.Fatalf("the object has %s, want ACK's %s", got, ack)
	}
	want := cl.ownerTags("migrated")
	if diff := cmp.Diff(want, cl.awsTags(ack)); diff != "" {
		t.Errorf("tags of the endpoint taken over (-want +got):\n%s", diff)
	}
	if n := len(cl.liveEndpoints()); n != 1 {
		t.Errorf("%d live endpoints, want ACK's only", n)
	}
	cl.deleteEndpoint("migrated")
	cl.wantState(ack, "deleted")
}

// TestVPCEndpointMigratesEarlierTags: an endpoint an earlier kelb made
// (owner tags ec2.services.k8s.aws/vpcendpoint and elbv2.k8s.aws/cluster)
// is still its object's: kelb finds it by its old cluster tag after a
// restart, takes it without a second endpoint, and moves it to the
// current tags (all under services.k8s.aws/) in one tag update.
func TestVPCEndpointMigratesEarlierTags(t *testing.T) {
	cl := newCluster(t, 1)
	legacy := map[string]string{vpcendpoint.TagController: vpcendpoint.ControllerName, vpcendpoint.TagNamespace: "default",
		vpcendpoint.LegacyTagResource: "default/old", vpcendpoint.LegacyTagCluster: cl.world.Cluster, "team": "data"}
	out, err := cl.world.Clients.EC2.CreateVpcEndpoint(t.Context(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(cl.world.VPCID), ServiceName: aws.String(s3Service), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		SubnetIds: cl.world.PrivateSubnets[:1], TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: awsclient.EC2Tags(legacy)}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	// The object as the earlier kelb left it, crashed before writing the
	// endpoint's id into the status.
	cl.createEndpoint("old", s3Service, cl.interfaceEndpoint(s3Service), func(e *v1alpha1.VPCEndpoint) {
		e.Finalizers = []string{vpcendpoint.Finalizer}
		e.Spec.Tags = []*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("data")}}
	})
	t0 := time.Now()
	cl.startKelb()
	if got := aws.ToString(cl.waitSynced("old").Status.VPCEndpointID); got != id {
		t.Fatalf("the object has %q, want the earlier kelb's %s", got, id)
	}
	want := cl.ownerTags("old")
	want["team"] = "data"
	if diff := cmp.Diff(want, cl.awsTags(id)); diff != "" {
		t.Errorf("tags after the migration (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CreateTags", "DeleteTags"}, cl.changesTo(t0, id)); diff != "" {
		t.Errorf("kelb's changes to the endpoint (-want +got):\n%s", diff)
	}
	if n := cl.kelbCalls(t0, "CreateVpcEndpoint"); n != 0 {
		t.Errorf("%d creates: the earlier kelb's endpoint was not found", n)
	}
	deleteEndpoints(cl)
}
