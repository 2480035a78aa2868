package integration

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

func init() { utilruntime.Must(v1alpha1.AddToScheme(clientgoscheme.Scheme)) }

// Service names the tests use: an AWS service moto lists, and an endpoint
// service of another account that the proxy makes exist.
const (
	s3Service      = "com.amazonaws.us-west-2.s3"
	partnerService = "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60718"
)

type endpointOption func(*v1alpha1.VPCEndpoint)

func withAnnotation(k, v string) endpointOption {
	return func(e *v1alpha1.VPCEndpoint) {
		if e.Annotations == nil {
			e.Annotations = map[string]string{}
		}
		e.Annotations[k] = v
	}
}

// interfaceEndpoint is an Interface endpoint in the first private subnet.
func (cl *cluster) interfaceEndpoint(service string) endpointOption {
	return func(e *v1alpha1.VPCEndpoint) {
		e.Spec.VPCEndpointType = aws.String("Interface")
		e.Spec.VPCID = aws.String(cl.world.VPCID)
		e.Spec.SubnetIDs = []*string{aws.String(cl.world.PrivateSubnets[0])}
		e.Spec.ServiceName = aws.String(service)
	}
}

func (cl *cluster) createEndpoint(name, service string, opts ...endpointOption) *v1alpha1.VPCEndpoint {
	cl.t.Helper()
	e := &v1alpha1.VPCEndpoint{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: v1alpha1.VPCEndpointSpec{ServiceName: aws.String(service)}}
	for _, o := range opts {
		o(e)
	}
	if err := cl.c.Create(cl.t.Context(), e); err != nil {
		cl.t.Fatal(err)
	}
	return e
}

func (cl *cluster) endpoint(name string) *v1alpha1.VPCEndpoint {
	return load(cl, name, &v1alpha1.VPCEndpoint{})
}

// updateEndpoint re-reads the object, applies mutate and writes it.
func (cl *cluster) updateEndpoint(name string, mutate func(*v1alpha1.VPCEndpoint)) {
	cl.t.Helper()
	updateRetrying(cl, cl.endpoint, name, mutate)
}

// conditionOf returns "Status/Reason" of the condition, "" when absent.
func conditionOf(e *v1alpha1.VPCEndpoint, t string) string {
	c := vpcendpoint.Find(e.Status.Conditions, t)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + aws.ToString(c.Reason)
}

func describeEndpoint(e *v1alpha1.VPCEndpoint) string {
	var conds []string
	for _, c := range e.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s/%s(%s)", c.Type, c.Status, aws.ToString(c.Reason), aws.ToString(c.Message)))
	}
	return fmt.Sprintf("id %s state %s gen %d conditions %v", aws.ToString(e.Status.VPCEndpointID),
		aws.ToString(e.Status.State), e.Generation, conds)
}

// waitEndpoint polls the object every 50 ms until cond holds and returns
// it with the time it was first seen so.
func (cl *cluster) waitEndpoint(name string, timeout time.Duration, what string, cond func(*v1alpha1.VPCEndpoint) bool) (*v1alpha1.VPCEndpoint, time.Time) {
	cl.t.Helper()
	deadline := time.Now().Add(timeout)
	var e *v1alpha1.VPCEndpoint
	for time.Now().Before(deadline) {
		e = cl.endpoint(name)
		if cond(e) {
			return e, time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	cl.t.Fatalf("timed out after %s waiting for %s of %s: %s", timeout, what, name, describeEndpoint(e))
	return nil, time.Time{}
}

// waitSynced waits until the object's current generation is applied.
func (cl *cluster) waitSynced(name string) *v1alpha1.VPCEndpoint {
	cl.t.Helper()
	e, _ := cl.waitEndpoint(name, 30*time.Second, "synced", func(e *v1alpha1.VPCEndpoint) bool {
		c := vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionSynced)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == e.Generation
	})
	return e
}

func stateIs(state string) func(*v1alpha1.VPCEndpoint) bool {
	return func(e *v1alpha1.VPCEndpoint) bool { return aws.ToString(e.Status.State) == state }
}

// awsEndpoint reads the endpoint as the test (not kelb).
func (cl *cluster) awsEndpoint(id string) ec2types.VpcEndpoint {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.DescribeVpcEndpoints(cl.t.Context(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil || len(out.VpcEndpoints) != 1 {
		cl.t.Fatalf("describing %s: %v", id, err)
	}
	return out.VpcEndpoints[0]
}

// liveEndpoints lists the account's endpoints that are not deleted.
func (cl *cluster) liveEndpoints() []ec2types.VpcEndpoint {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.DescribeVpcEndpoints(cl.t.Context(), &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	var live []ec2types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		if e.State != "deleted" {
			live = append(live, e)
		}
	}
	return live
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// kelbCalls counts kelb's calls of action since t0.
func (cl *cluster) kelbCalls(t0 time.Time, action string) int {
	return awsproxy.CountByAction(cl.calls(t0))[action]
}

// endpointDelays makes endpoints pending and deleting for a while for the
// test's duration.
func endpointDelays(t *testing.T, pending, deleting time.Duration) {
	env.Proxy.VPCEndpoints.SetDelays(pending, deleting)
	t.Cleanup(func() { env.Proxy.VPCEndpoints.SetDelays(0, 0) })
}

// awsTags reads the endpoint's tags as the test.
func (cl *cluster) awsTags(id string) map[string]string {
	cl.t.Helper()
	return awsclient.EC2TagMap(cl.awsEndpoint(id).Tags)
}

// changesTo lists kelb's calls since t0 that change the endpoint id.
func (cl *cluster) changesTo(t0 time.Time, id string) []string {
	var out []string
	for _, c := range cl.calls(t0) {
		if !c.Mutating() {
			continue
		}
		for _, v := range c.Params {
			if v == id {
				out = append(out, c.Action)
				break
			}
		}
	}
	return out
}

// ownerTags are the tags kelb puts on the endpoint of object name.
func (cl *cluster) ownerTags(name string) map[string]string {
	return vpcendpoint.OwnerTags("default", name, vpcendpoint.Cluster{Name: cl.world.Cluster, UID: cl.uid()})
}

// ownedBy reports whether the tags name object default/name.
func ownedBy(tags map[string]string, name string) bool {
	return tags[vpcendpoint.TagNamespace] == "default" && tags[vpcendpoint.TagName] == name
}

// startDeleting deletes the object without waiting for kelb.
func (cl *cluster) startDeleting(name string) {
	cl.t.Helper()
	if err := cl.c.Delete(cl.t.Context(), cl.endpoint(name)); err != nil {
		cl.t.Fatal(err)
	}
}

// waitDeleted waits until the object is gone.
func (cl *cluster) waitDeleted(name string) {
	cl.t.Helper()
	eventually(cl.t, 15*time.Second, name+" gone", func() (bool, string) {
		err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, &v1alpha1.VPCEndpoint{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}
