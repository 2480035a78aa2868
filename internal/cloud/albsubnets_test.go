package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/internal/ingress"
)

const subnetsAnn = `annotation alb.ingress.kubernetes.io/subnets: invalid value `

func TestResolveALBSubnets(t *testing.T) {
	routes := []ec2types.RouteTable{table(true, "nat-1"), table(false, "igw-1", "subnet-a1", "subnet-b1")}
	local := sn("subnet-l1", "us-west-2-lax-1a", 100, TagRoleInternalELB, "1")
	outpost := sn("subnet-o1", "a", 100, TagRoleInternalELB, "1")
	outpost.OutpostArn = aws.String("arn:aws:outposts:us-west-2:123456789012:outpost/op-1")
	for _, tc := range []struct {
		name    string
		subnets []ec2types.Subnet
		q       ingress.FactsQuery
		want    []string // subnet ids, or the error
	}{
		{name: "discovery by role tag: one per zone, cluster-tagged first, then lowest id",
			q: ingress.FactsQuery{Scheme: internal}, subnets: []ec2types.Subnet{
				sn("subnet-a2", "a", 100, TagRoleInternalELB, "1"), sn("subnet-a3", "a", 100, TagRoleInternalELB, "1", mine, "shared"),
				sn("subnet-b3", "b", 100, TagRoleInternalELB, ""), sn("subnet-b2", "b", 100, TagRoleInternalELB, "1"),
				sn("subnet-c1", "c", 100, TagRoleELB, "1")},
			want: []string{"subnet-a3", "subnet-b2"}},
		{name: "internet-facing by role tag", q: ingress.FactsQuery{Scheme: public}, subnets: []ec2types.Subnet{
			sn("subnet-a1", "a", 100, TagRoleELB, "1"), sn("subnet-b1", "b", 100, TagRoleELB, "1"),
			sn("subnet-a2", "a", 100, TagRoleInternalELB, "1")},
			want: []string{"subnet-a1", "subnet-b1"}},
		{name: "by route tables when nothing is role-tagged", q: ingress.FactsQuery{Scheme: public}, subnets: []ec2types.Subnet{
			sn("subnet-a1", "a", 100), sn("subnet-b1", "b", 100), sn("subnet-a2", "a", 100)},
			want: []string{"subnet-a1", "subnet-b1"}},
		{name: "one zone is not enough", q: ingress.FactsQuery{Scheme: internal}, subnets: []ec2types.Subnet{
			sn("subnet-a2", "a", 100, TagRoleInternalELB, "1"), sn("subnet-a3", "a", 100, TagRoleInternalELB, "1")},
			want: []string{subnetsAnn + `""; allowed: subnets in at least 2 availability zones for an application load ` +
				`balancer (found subnet-a2 in a)`}},
		{name: "the other zone's subnet is another cluster's", q: ingress.FactsQuery{Scheme: internal}, subnets: []ec2types.Subnet{
			sn("subnet-a2", "a", 100, TagRoleInternalELB, "1"), sn("subnet-b2", "b", 100, TagRoleInternalELB, "1", other, "owned")},
			want: []string{subnetsAnn + `""; allowed: subnets in at least 2 availability zones for an application load ` +
				`balancer (found subnet-a2 in a)`}},
		{name: "nothing discovered names the Ingress annotation", q: ingress.FactsQuery{Scheme: internal},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 4, TagRoleInternalELB, "1")},
			want: []string{subnetsAnn + `""; allowed: subnet ids or Name tags; or, for discovery, subnets of the VPC tagged ` +
				`kubernetes.io/role/internal-elb=1 (with none so tagged: private by their route tables), not tagged for ` +
				`another cluster, with 8 free addresses or more (found 1 subnets tagged kubernetes.io/role/internal-elb, ` +
				`1 with fewer than 8 free addresses)`}},
		{name: "one local-zone subnet is enough", q: ingress.FactsQuery{Scheme: internal}, subnets: []ec2types.Subnet{local},
			want: []string{"subnet-l1"}},
		{name: "one Outpost subnet is enough", q: ingress.FactsQuery{Scheme: internal}, subnets: []ec2types.Subnet{outpost},
			want: []string{"subnet-o1"}},
		{name: "named by id and Name tag", q: ingress.FactsQuery{Subnets: []string{"subnet-b2", "private-a"}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100, "Name", "private-a"), sn("subnet-b2", "b", 3)},
			want:    []string{"subnet-a2", "subnet-b2"}},
		{name: "named: two in one zone", q: ingress.FactsQuery{Subnets: []string{"subnet-a2", "subnet-a3"}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100), sn("subnet-a3", "a", 100)},
			want: []string{subnetsAnn + `"subnet-a2,subnet-a3"; allowed: at most one subnet per availability zone ` +
				`(a has subnet-a2 and subnet-a3)`}},
		{name: "named: one is not enough", q: ingress.FactsQuery{Subnets: []string{"subnet-a2"}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100)},
			want: []string{subnetsAnn + `"subnet-a2"; allowed: subnets in at least 2 availability zones for an ` +
				`application load balancer (found subnet-a2 in a)`}},
		{name: "named: unknown", q: ingress.FactsQuery{Subnets: []string{"subnet-a2", "subnet-zz"}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100)},
			want: []string{subnetsAnn + `"subnet-a2,subnet-zz"; allowed: ids or Name tags of existing subnets in the ` +
				`cluster's VPC`}},
		{name: "named: availability and local zones mixed", q: ingress.FactsQuery{Subnets: []string{"subnet-a2", "subnet-l1"}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100), local},
			want: []string{subnetsAnn + `"subnet-a2,subnet-l1"; allowed: subnets all in availability zones, all in local ` +
				`zones, all in Wavelength zones or all on Outposts (found subnet-a2 in availability zone, subnet-l1 in local zone)`}},
		{name: "params tags: every key, one of its values, eligible, one per zone",
			q: ingress.FactsQuery{SubnetTags: map[string][]string{"tier": {"web", "edge"}, "env": {"prod"}}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100, "tier", "web", "env", "prod"),
				sn("subnet-a3", "a", 100, "tier", "edge", "env", "prod"), sn("subnet-b2", "b", 100, "tier", "edge", "env", "prod"),
				sn("subnet-c2", "c", 100, "tier", "web"), sn("subnet-d2", "d", 100, "tier", "web", "env", "prod", other, "owned"),
				sn("subnet-e2", "e", 2, "tier", "web", "env", "prod")},
			want: []string{"subnet-a2", "subnet-b2"}},
		{name: "params tags: none eligible", q: ingress.FactsQuery{SubnetTags: map[string][]string{"tier": {"web"}}},
			subnets: []ec2types.Subnet{sn("subnet-a2", "a", 2, "tier", "web")},
			want: []string{subnetsAnn + `""; allowed: subnets of the VPC tagged tier in [web], not tagged for another ` +
				`cluster, with 8 free addresses or more (found 1 so tagged, 0 of them tagged for another cluster, 1 with ` +
				`fewer free addresses)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeSubnetsAPI{subnets: tc.subnets, tables: routes, zones: []ec2types.AvailabilityZone{
				{ZoneName: aws.String("a"), ZoneType: aws.String("availability-zone")},
				{ZoneName: aws.String("b"), ZoneType: aws.String("availability-zone")},
				{ZoneName: aws.String("us-west-2-lax-1a"), ZoneType: aws.String("local-zone")}}}
			p := NewSubnets(api, "vpc-1", "prod", clocktesting.NewFakeClock(time.Now()))
			got, err := p.ResolveALB(context.Background(), tc.q)
			if err != nil {
				got = []string{err.Error()}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
