package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

func (cl *cluster) deleteEndpoint(name string) {
	cl.t.Helper()
	cl.startDeleting(name)
	cl.waitDeleted(name)
}

// handMade creates an endpoint the way someone outside kelb would.
func (cl *cluster) handMade() string {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.CreateVpcEndpoint(cl.t.Context(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(cl.world.VPCID), ServiceName: aws.String(s3Service), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		SubnetIds: cl.world.PrivateSubnets[:2], TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint,
			Tags: []ec2types.Tag{{Key: aws.String("owner"), Value: aws.String("terraform")}}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}

func (cl *cluster) wantState(id, state string) {
	cl.t.Helper()
	if got := string(cl.awsEndpoint(id).State); got != state {
		cl.t.Errorf("%s is %s in AWS, want %s", id, got, state)
	}
}

func adoptionFields(id string) endpointOption {
	return withAnnotation(vpcendpoint.AnnotationAdoptionFields, fmt.Sprintf(`{"vpcEndpointID": %q}`, id))
}

// TestVPCEndpointOwnership: retain (object, namespace), adopt, adopt-or-
// create and read-only.
func TestVPCEndpointOwnership(t *testing.T) {
	cl := newCluster(t, 1)
	cl.startKelb()

	// retain on the object: the endpoint stays.
	cl.createEndpoint("kept", s3Service, cl.interfaceEndpoint(s3Service), withAnnotation(vpcendpoint.AnnotationDeletionPolicy, "retain"))
	kept := aws.ToString(cl.waitSynced("kept").Status.VPCEndpointID)
	cl.deleteEndpoint("kept")
	cl.wantState(kept, "available")

	// retain from the Namespace.
	ns := &corev1.Namespace{}
	if err := cl.c.Get(t.Context(), client.ObjectKey{Name: "default"}, ns); err != nil {
		t.Fatal(err)
	}
	ns.Annotations = map[string]string{vpcendpoint.NamespaceDeletionPolicy: "retain"}
	if err := cl.c.Update(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	cl.createEndpoint("ns-kept", s3Service, cl.interfaceEndpoint(s3Service))
	nsKept := aws.ToString(cl.waitSynced("ns-kept").Status.VPCEndpointID)
	cl.deleteEndpoint("ns-kept")
	cl.wantState(nsKept, "available")
	ns.Annotations = nil
	if err := cl.c.Update(t.Context(), ns); err != nil {
		t.Fatal(err)
	}

	// adopt: the spec is taken from AWS, kelb's tags are added, and the
	// endpoint is kelb's to delete.
	handmade := cl.handMade()
	cl.createEndpoint("adopted", s3Service, withAnnotation(vpcendpoint.AnnotationAdoptionPolicy, "adopt"), adoptionFields(handmade))
	a := cl.waitSynced("adopted")
	if aws.ToString(a.Status.VPCEndpointID) != handmade || len(a.Spec.SubnetIDs) != 2 || aws.ToString(a.Spec.VPCEndpointType) != "" && aws.ToString(a.Spec.VPCEndpointType) != "Interface" {
		t.Errorf("adopted: %s spec %+v", describeEndpoint(a), a.Spec)
	}
	tags := awsclient.EC2TagMap(cl.awsEndpoint(handmade).Tags)
	if tags["owner"] != "terraform" || !ownedBy(tags, "adopted") {
		t.Errorf("adopted endpoint's tags: %v", tags)
	}
	cl.deleteEndpoint("adopted")
	cl.wantState(handmade, "deleted")

	// adopt-or-create: the spec wins over the adopted endpoint; a missing
	// one is created.
	other := cl.handMade()
	cl.createEndpoint("aoc", s3Service, cl.interfaceEndpoint(s3Service), withAnnotation(vpcendpoint.AnnotationAdoptionPolicy, "adopt-or-create"), adoptionFields(other))
	if e := cl.waitSynced("aoc"); aws.ToString(e.Status.VPCEndpointID) != other {
		t.Errorf("adopt-or-create took %s, want %s", aws.ToString(e.Status.VPCEndpointID), other)
	}
	if got := cl.awsEndpoint(other).SubnetIds; len(got) != 1 || got[0] != cl.world.PrivateSubnets[0] {
		t.Errorf("adopt-or-create left subnets %v, want the spec's", got)
	}
	// Another object cannot take an endpoint that is aoc's.
	cl.createEndpoint("thief", s3Service, withAnnotation(vpcendpoint.AnnotationAdoptionPolicy, "adopt"), adoptionFields(other))
	thief, _ := cl.waitEndpoint("thief", 10*time.Second, "terminal", func(e *v1alpha1.VPCEndpoint) bool {
		return conditionOf(e, vpcendpoint.ConditionTerminal) == "True/InvalidConfiguration"
	})
	if msg := aws.ToString(vpcendpoint.Find(thief.Status.Conditions, vpcendpoint.ConditionTerminal).Message); !strings.Contains(msg, "default/aoc") {
		t.Errorf("refusal does not name the owner: %q", msg)
	}
	if thief.Status.VPCEndpointID != nil || !ownedBy(awsclient.EC2TagMap(cl.awsEndpoint(other).Tags), "aoc") {
		t.Errorf("the thief got it: %s", describeEndpoint(thief))
	}
	cl.deleteEndpoint("thief")
	cl.wantState(other, "available")
	cl.createEndpoint("aoc-new", s3Service, cl.interfaceEndpoint(s3Service), withAnnotation(vpcendpoint.AnnotationAdoptionPolicy, "adopt-or-create"),
		adoptionFields("vpce-0000000000000000a"))
	if e := cl.waitSynced("aoc-new"); aws.ToString(e.Status.VPCEndpointID) == "vpce-0000000000000000a" {
		t.Error("adopt-or-create of a missing endpoint did not create one")
	}

	// Adoption fields naming an endpoint to another service: refused, and
	// deleting the object leaves that endpoint alone.
	stranger := cl.handMade()
	cl.createEndpoint("wrong-service", "com.amazonaws.us-west-2.dynamodb", withAnnotation(vpcendpoint.AnnotationAdoptionPolicy, "adopt"),
		adoptionFields(stranger))
	wrong, _ := cl.waitEndpoint("wrong-service", 10*time.Second, "terminal", func(e *v1alpha1.VPCEndpoint) bool {
		return conditionOf(e, vpcendpoint.ConditionTerminal) == "True/InvalidConfiguration"
	})
	if wrong.Status.VPCEndpointID != nil {
		t.Errorf("the refused endpoint reached the status: %s", describeEndpoint(wrong))
	}
	cl.deleteEndpoint("wrong-service")
	cl.wantState(stranger, "available")

	// read-only: observed, never changed, never deleted.
	watched := cl.handMade()
	t0 := time.Now()
	cl.createEndpoint("watched", s3Service, cl.interfaceEndpoint(s3Service), withAnnotation(vpcendpoint.AnnotationReadOnly, "true"), adoptionFields(watched))
	w, _ := cl.waitEndpoint("watched", 10*time.Second, "observed", stateIs("available"))
	if aws.ToString(w.Status.VPCEndpointID) != watched || len(w.Finalizers) != 0 {
		t.Errorf("read-only: %s finalizers %v", describeEndpoint(w), w.Finalizers)
	}
	cl.deleteEndpoint("watched")
	cl.wantState(watched, "available")
	for _, c := range cl.calls(t0) {
		for _, v := range c.Params {
			if c.Mutating() && v == watched {
				t.Errorf("read-only endpoint changed: %s %v", c.Action, c.Params)
			}
		}
	}
	if n := awsproxy.CountByAction(cl.calls(t0))["DeleteVpcEndpoints"]; n != 0 {
		t.Errorf("%d deletes after a read-only object went", n)
	}
}
