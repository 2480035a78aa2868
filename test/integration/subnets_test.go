package integration

import (
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/service"
)

// TestSubnetsByRouteTables: with no subnet carrying a role tag, kelb finds
// subnets as LBC does, by their route tables: an internal load balancer in
// the private subnets (no route to an internet gateway), an internet-facing
// one in the public subnets. The same cluster checks that kelb reaches AWS
// through the SDK's own setting: no --aws-api-endpoints, AWS_ENDPOINT_URL
// pointing at the emulator.
func TestSubnetsByRouteTables(t *testing.T) {
	cl := newCluster(t, 1)
	all := append(append([]string(nil), cl.world.PublicSubnets...), cl.world.PrivateSubnets...)
	if _, err := cl.world.Clients.EC2.DeleteTags(t.Context(), &ec2.DeleteTagsInput{Resources: all,
		Tags: []ec2types.Tag{{Key: aws.String("kubernetes.io/role/elb")}, {Key: aws.String("kubernetes.io/role/internal-elb")}},
	}); err != nil {
		t.Fatal(err)
	}
	cl.opts.AWSAPIEndpoints = ""
	t.Setenv("AWS_ENDPOINT_URL", env.ProxyURL)
	t0 := time.Now()
	cl.startKelb()

	cl.createService("inside")
	cl.createService("outside", annotate(service.AnnScheme, service.SchemeInternetFacing))
	for name, want := range map[string][]string{"inside": cl.world.PrivateSubnets, "outside": cl.world.PublicSubnets} {
		hostname := cl.waitReady(name).Status.LoadBalancer.Ingress[0].Hostname
		out, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(), &elbv2.DescribeLoadBalancersInput{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, lb := range out.LoadBalancers {
			if aws.ToString(lb.DNSName) == hostname {
				for _, az := range lb.AvailabilityZones {
					got = append(got, aws.ToString(az.SubnetId))
				}
			}
		}
		sort.Strings(got)
		want = append([]string(nil), want...)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: subnets (-want +got):\n%s", name, diff)
		}
	}
	reads := 0
	for _, c := range cl.calls(t0) {
		if c.Action == "DescribeRouteTables" {
			reads++
		}
	}
	if reads != 1 { // both Services from one cached read
		t.Errorf("kelb read the route tables %d times, want 1", reads)
	}
}
