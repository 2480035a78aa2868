package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// TestVPCEndpointGoneAfterRelease: the object goes once AWS accepts the
// delete (as with ACK), and kelb still sees the endpoint gone: one that AWS
// brings back from deleting is deleted again, and one whose object went
// while kelb was down (its finalizer removed by hand) is deleted by the
// orphan sweep after the grace period. An endpoint tagged for another
// cluster of the same name is never touched.
func TestVPCEndpointGoneAfterRelease(t *testing.T) {
	endpointDelays(t, 0, 2*time.Second)
	cl := newCluster(t, 1)
	foreign := cl.createForeignEndpoint("gone", "another-cluster-uid")
	cl.startKelb()
	cl.createEndpoint("back", s3Service, cl.interfaceEndpoint(s3Service))
	cl.createEndpoint("orphan", s3Service, cl.interfaceEndpoint(s3Service))
	back := aws.ToString(cl.waitSynced("back").Status.VPCEndpointID)
	orphan := aws.ToString(cl.waitSynced("orphan").Status.VPCEndpointID)

	// AWS accepts the delete, then brings the endpoint back available.
	env.Proxy.VPCEndpoints.FailNextDeletion("available")
	t.Cleanup(func() { env.Proxy.VPCEndpoints.FailNextDeletion("") })
	t0 := time.Now()
	cl.startDeleting("back")
	cl.waitDeleted("back")
	t.Logf("released after %s", time.Since(t0))
	eventually(t, 20*time.Second, "the endpoint that came back deleted again", func() (bool, string) {
		return string(cl.awsEndpoint(back).State) == "deleted", string(cl.awsEndpoint(back).State)
	})
	if got := cl.changesTo(t0, back); fmt.Sprint(got) != "[DeleteVpcEndpoints DeleteVpcEndpoints]" {
		t.Errorf("kelb's changes to the endpoint that came back: %v, want two deletes", got)
	}

	t.Logf("deleted again after %s", time.Since(t0))
	// The object goes while kelb is down.
	cl.stopKelb()
	e := cl.endpoint("orphan")
	e.Finalizers = nil
	if err := cl.c.Update(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if err := cl.c.Delete(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	cl.waitDeleted("orphan")
	restart := time.Now()
	cl.startKelb()
	eventually(t, 20*time.Second, "the orphan deleted", func() (bool, string) {
		return string(cl.awsEndpoint(orphan).State) == "deleted", string(cl.awsEndpoint(orphan).State)
	})
	t.Logf("orphan deleted %s after the restart", time.Since(restart))
	if took := time.Since(restart); took < cl.opts.OrphanGracePeriod {
		t.Errorf("orphan deleted %s after the restart, before the grace period %s", took, cl.opts.OrphanGracePeriod)
	}
	if got := cl.changesTo(restart, foreign); len(got) != 0 {
		t.Errorf("kelb changed the endpoint of another cluster of the same name: %v", got)
	}
	cl.wantState(foreign, "available")
	if err := cl.c.Get(t.Context(), client.ObjectKey{Namespace: "default", Name: "gone"}, &v1alpha1.VPCEndpoint{}); err == nil {
		t.Error("an object named gone exists")
	}
	if _, err := cl.world.Clients.EC2.DeleteVpcEndpoints(t.Context(), &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{foreign}}); err != nil {
		t.Fatal(err)
	}
}

// createForeignEndpoint makes an endpoint tagged as kelb tags the object
// default/name, but for the cluster of the same name with another UID.
func (cl *cluster) createForeignEndpoint(name, uid string) string {
	cl.t.Helper()
	tags := cl.ownerTags(name)
	tags[vpcendpoint.TagClusterUID] = uid
	out, err := cl.world.Clients.EC2.CreateVpcEndpoint(cl.t.Context(), &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(cl.world.VPCID), ServiceName: aws.String(s3Service), VpcEndpointType: "Interface",
		SubnetIds: cl.world.PrivateSubnets[:1], TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeVpcEndpoint, Tags: awsclient.EC2Tags(tags)}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}
