package integration

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// endpointCrashFlows are the VPCEndpoint flows of the crash matrix.
var endpointCrashFlows = []crashFlow{
	{
		name:  "endpoint-create",
		setup: func(*cluster, string) {},
		act: func(cl *cluster, name string) {
			cl.createEndpoint(name, s3Service, cl.interfaceEndpoint(s3Service))
		},
		converged: func(cl *cluster, name string) {
			cl.waitSynced(name)
			if n := len(cl.endpointsOf(name)); n != 1 {
				cl.t.Errorf("%s: %d endpoints, want 1", name, n)
			}
		},
		cleanup: deleteEndpoints,
	},
	{
		name: "endpoint-update",
		setup: func(cl *cluster, name string) {
			cl.createEndpoint(name, s3Service, cl.interfaceEndpoint(s3Service))
			cl.waitSynced(name)
		},
		act: func(cl *cluster, name string) {
			cl.updateEndpoint(name, func(e *v1alpha1.VPCEndpoint) {
				e.Spec.SubnetIDs = append(e.Spec.SubnetIDs, aws.String(cl.world.PrivateSubnets[1]))
				e.Spec.Tags = append(e.Spec.Tags, &v1alpha1.Tag{Key: aws.String("team"), Value: aws.String("blue")})
			})
		},
		converged: func(cl *cluster, name string) {
			eventually(cl.t, 30*time.Second, name+" updated in AWS", func() (bool, string) {
				eps := cl.endpointsOf(name)
				if len(eps) != 1 {
					return false, fmt.Sprintf("%d endpoints", len(eps))
				}
				e := eps[0]
				return len(e.SubnetIds) == 2 && hasTag(e.Tags, "team", "blue"), fmt.Sprint(e.SubnetIds, e.Tags)
			})
			cl.waitSynced(name)
		},
		cleanup: deleteEndpoints,
	},
	{
		name: "endpoint-delete",
		setup: func(cl *cluster, name string) {
			cl.createEndpoint(name, s3Service, cl.interfaceEndpoint(s3Service))
			cl.waitSynced(name)
		},
		act: func(cl *cluster, name string) {
			if err := cl.c.Delete(cl.t.Context(), cl.endpoint(name)); err != nil {
				cl.t.Fatal(err)
			}
		},
		converged: func(cl *cluster, name string) {
			eventually(cl.t, 30*time.Second, name+" gone", func() (bool, string) {
				err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, &v1alpha1.VPCEndpoint{})
				return apierrors.IsNotFound(err) && len(cl.endpointsOf(name)) == 0, fmt.Sprint(err)
			})
		},
		cleanup: deleteEndpoints,
	},
	{
		name: "endpoint-retain",
		setup: func(cl *cluster, name string) {
			cl.createEndpoint(name, s3Service, cl.interfaceEndpoint(s3Service),
				withAnnotation(vpcendpoint.AnnotationDeletionPolicy, vpcendpoint.DeletionRetain))
			cl.waitSynced(name)
		},
		act: func(cl *cluster, name string) {
			if err := cl.c.Delete(cl.t.Context(), cl.endpoint(name)); err != nil {
				cl.t.Fatal(err)
			}
		},
		converged: func(cl *cluster, name string) {
			eventually(cl.t, 30*time.Second, name+" gone, its endpoint retained", func() (bool, string) {
				err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, &v1alpha1.VPCEndpoint{})
				owned, retained := len(cl.endpointsOf(name)), len(cl.retainedFrom(name))
				return apierrors.IsNotFound(err) && owned == 0 && retained == 1,
					fmt.Sprintf("%v; %d endpoints with the owner tag, %d marked retained", err, owned, retained)
			})
		},
		cleanup: func(cl *cluster) {
			for _, e := range cl.liveEndpoints() {
				if _, retained := awsclient.EC2TagMap(e.Tags)[vpcendpoint.TagRetainedFrom]; retained {
					if _, err := cl.world.Clients.EC2.DeleteVpcEndpoints(cl.t.Context(),
						&ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{aws.ToString(e.VpcEndpointId)}}); err != nil {
						cl.t.Fatal(err)
					}
				}
			}
			deleteEndpoints(cl)
		},
	},
}

// retainedFrom returns the live endpoints the object left in AWS.
func (cl *cluster) retainedFrom(name string) []ec2types.VpcEndpoint {
	var out []ec2types.VpcEndpoint
	for _, e := range cl.liveEndpoints() {
		if e.State != "deleting" && hasTag(e.Tags, vpcendpoint.TagRetainedFrom, "default/"+name) {
			out = append(out, e)
		}
	}
	return out
}

// endpointsOf returns the live endpoints tagged for the object.
func (cl *cluster) endpointsOf(name string) []ec2types.VpcEndpoint {
	var out []ec2types.VpcEndpoint
	for _, e := range cl.liveEndpoints() {
		if e.State != "deleting" && ownedBy(awsclient.EC2TagMap(e.Tags), name) {
			out = append(out, e)
		}
	}
	return out
}

func hasTag(tags []ec2types.Tag, k, v string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == k && aws.ToString(t.Value) == v {
			return true
		}
	}
	return false
}

// deleteEndpoints deletes every VPCEndpoint object and waits until AWS has
// no endpoint left.
func deleteEndpoints(cl *cluster) {
	cl.t.Helper()
	var list v1alpha1.VPCEndpointList
	if err := cl.c.List(cl.t.Context(), &list); err != nil {
		cl.t.Fatal(err)
	}
	for i := range list.Items {
		if err := cl.c.Delete(cl.t.Context(), &list.Items[i]); err != nil && !apierrors.IsNotFound(err) {
			cl.t.Fatal(err)
		}
	}
	eventually(cl.t, 60*time.Second, "no endpoint left", func() (bool, string) {
		live := cl.liveEndpoints()
		return len(live) == 0, fmt.Sprint(len(live), " live")
	})
}
