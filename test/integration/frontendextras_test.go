package integration

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestPrefixListsPathMTUAndCapacity: a Service lets clients in from a
// source range and a managed prefix list, asks for the Path MTU Discovery
// ICMP rule and reserves capacity: the managed frontend group holds the
// listener port from both sources and ICMP 3/4 from the range, and the
// load balancer the reservation. An edit dropping the prefix list and
// resetting the reservation revokes that rule alone with no gap for the
// range's, and resets the reservation; a prefix list that does not exist
// then changes nothing in AWS and is named in the condition.
func TestPrefixListsPathMTUAndCapacity(t *testing.T) {
	cl := newCluster(t, 2)
	ctx := t.Context()
	pl, err := cl.world.Clients.EC2.CreateManagedPrefixList(ctx, &ec2.CreateManagedPrefixListInput{
		PrefixListName: aws.String("offices"), AddressFamily: aws.String("IPv4"), MaxEntries: aws.Int32(5),
		Entries: []ec2types.AddPrefixListEntry{{Cidr: aws.String("192.0.2.0/24")}}})
	if err != nil {
		t.Fatal(err)
	}
	plID := aws.ToString(pl.PrefixList.PrefixListId)
	cl.startKelb()
	cl.createService("extras", annotate(service.AnnSGPrefixLists, plID), annotate(service.AnnICMPPathMTUDiscovery, "on"),
		annotate(service.AnnMinimumCapacity, "CapacityUnits=1500"), func(s *corev1.Service) {
			s.Spec.LoadBalancerSourceRanges = []string{"10.1.0.0/16"}
		})
	cl.waitReady("extras")

	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("load balancers: %v %v", lbs, err)
	}
	lbARN := aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)
	frontend := ""
	for _, sg := range lbs.LoadBalancers[0].SecurityGroups {
		out, _ := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
		if len(out.SecurityGroups) == 1 && strings.HasPrefix(aws.ToString(out.SecurityGroups[0].GroupName), "k8s-default-extras") {
			frontend = sg
		}
	}
	rules := func() string {
		out, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{frontend}})
		if err != nil || len(out.SecurityGroups) != 1 {
			return "unreadable"
		}
		var got []string
		for _, p := range out.SecurityGroups[0].IpPermissions {
			ports := aws.ToString(p.IpProtocol) + " " + strconv.Itoa(int(aws.ToInt32(p.FromPort))) + "/" +
				strconv.Itoa(int(aws.ToInt32(p.ToPort))) + " from "
			for _, r := range p.IpRanges {
				got = append(got, ports+aws.ToString(r.CidrIp))
			}
			for _, r := range p.PrefixListIds {
				got = append(got, ports+aws.ToString(r.PrefixListId))
			}
		}
		slices.Sort(got)
		return strings.Join(got, ", ")
	}
	want := "icmp 3/4 from 10.1.0.0/16, tcp 80/80 from 10.1.0.0/16, tcp 80/80 from " + plID
	if got := rules(); got != want {
		t.Errorf("frontend rules:\n got %s\nwant %s", got, want)
	}
	if got := env.Proxy.Capacity.Units(lbARN); got != 1500 {
		t.Errorf("reserved %d capacity units, want 1500", got)
	}

	t0 := time.Now()
	cl.update("extras", func(s *corev1.Service) {
		delete(s.Annotations, service.AnnSGPrefixLists)
		s.Annotations[service.AnnMinimumCapacity] = "CapacityUnits=0"
	})
	want = "icmp 3/4 from 10.1.0.0/16, tcp 80/80 from 10.1.0.0/16"
	eventually(t, 20*time.Second, "the prefix-list rule revoked", func() (bool, string) {
		got := rules()
		return got == want, got
	})
	eventually(t, 20*time.Second, "the reservation reset", func() (bool, string) {
		got := env.Proxy.Capacity.Units(lbARN)
		return got == 0, strconv.Itoa(int(got))
	})
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}

	t1 := time.Now()
	const missing = "pl-00000000000000000"
	cl.update("extras", func(s *corev1.Service) { s.Annotations[service.AnnSGPrefixLists] = plID + "," + missing })
	c := cl.waitCondition("extras", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
	if !strings.Contains(c.Message, service.AnnSGPrefixLists) || !strings.Contains(c.Message, missing) {
		t.Errorf("message %q does not name the annotation and the missing list", c.Message)
	}
	if calls := cl.mutatingCalls(t1); len(calls) != 0 {
		t.Errorf("kelb changed AWS for a prefix list that does not exist: %v", calls)
	}
	if got := rules(); got != want {
		t.Errorf("frontend rules after bad input:\n got %s\nwant %s", got, want)
	}
}
