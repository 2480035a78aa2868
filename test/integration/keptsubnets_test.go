package integration

import (
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
)

// TestTakeoverKeepsSubnets: a load balancer LBC made in two subnets, in a
// VPC changed since (one of them lost its role tag, so discovery would now
// pick others), is taken over in the subnets it has, as LBC itself keeps
// them: no SetSubnets, no new load balancer.
func TestTakeoverKeepsSubnets(t *testing.T) {
	cl := newCluster(t, 3)
	ctx := t.Context()
	private := cl.world.PrivateSubnets
	lb, err := cl.world.Clients.ELBV2.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String("k8s-default-kept-0123456789"), Type: elbtypes.LoadBalancerTypeEnumNetwork,
		Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: private[:2], Tags: []elbtypes.Tag{
			{Key: aws.String(model.TagCluster), Value: aws.String(cl.world.Cluster)},
			{Key: aws.String(model.TagServiceStack), Value: aws.String("default/kept")},
			{Key: aws.String(model.TagServiceResource), Value: aws.String(model.ResourceLoadBalancer)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.world.Clients.EC2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: private[:1],
		Tags: []ec2types.Tag{{Key: aws.String("kubernetes.io/role/internal-elb")}}}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cl.startKelb()
	cl.createService("kept", withPort(80, 31610, corev1.ProtocolTCP))
	s := cl.waitReady("kept")
	if s.Status.LoadBalancer.Ingress[0].Hostname != aws.ToString(lb.LoadBalancers[0].DNSName) {
		t.Errorf("not taken over: %s", s.Status.LoadBalancer.Ingress[0].Hostname)
	}
	counts := awsproxy.CountByAction(cl.calls(t0))
	for _, needless := range []string{"SetSubnets", "CreateLoadBalancer"} {
		if counts[needless] != 0 {
			t.Errorf("%s called %d times", needless, counts[needless])
		}
	}
	out, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{
		LoadBalancerArns: []string{aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, az := range out.LoadBalancers[0].AvailabilityZones {
		got = append(got, aws.ToString(az.SubnetId))
	}
	sort.Strings(got)
	want := append([]string(nil), private[:2]...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subnets (-want +got):\n%s", diff)
	}
}
