package cloud

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/internal/service"
)

// fakeSubnetsAPI holds one VPC's subnets and route tables and counts calls.
type fakeSubnetsAPI struct {
	subnets        []ec2types.Subnet
	tables         []ec2types.RouteTable
	subnetReads    int
	routeReads     int
	routeTablesErr error
	zones          []ec2types.AvailabilityZone
	zoneReads      int
}

func (f *fakeSubnetsAPI) DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error) {
	f.zoneReads++
	return &ec2.DescribeAvailabilityZonesOutput{AvailabilityZones: f.zones}, nil
}

func (f *fakeSubnetsAPI) DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.subnetReads++
	return &ec2.DescribeSubnetsOutput{Subnets: f.subnets}, nil
}

func (f *fakeSubnetsAPI) DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	f.routeReads++
	return &ec2.DescribeRouteTablesOutput{RouteTables: f.tables}, f.routeTablesErr
}

// sn is a subnet in zone az with free addresses and tags k, v, k, v...
func sn(id, az string, free int32, kv ...string) ec2types.Subnet {
	s := ec2types.Subnet{SubnetId: aws.String(id), AvailabilityZone: aws.String(az), AvailableIpAddressCount: aws.Int32(free),
		CidrBlock: aws.String("10.0.0.0/24")}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Tags = append(s.Tags, ec2types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return s
}

// table is a route table associated with subnets (main when main is true),
// routing to gateway ("" for none).
func table(main bool, gateway string, subnets ...string) ec2types.RouteTable {
	t := ec2types.RouteTable{Routes: []ec2types.Route{{DestinationCidrBlock: aws.String("10.0.0.0/16"),
		GatewayId: aws.String("local")}}}
	if gateway != "" {
		t.Routes = append(t.Routes, ec2types.Route{DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(gateway)})
	}
	if main {
		t.Associations = append(t.Associations, ec2types.RouteTableAssociation{Main: aws.Bool(true)})
	}
	for _, id := range subnets {
		t.Associations = append(t.Associations, ec2types.RouteTableAssociation{SubnetId: aws.String(id), Main: aws.Bool(false)})
	}
	return t
}

const (
	internal = service.SchemeInternal
	public   = service.SchemeInternetFacing
	mine     = "kubernetes.io/cluster/prod"
	other    = "kubernetes.io/cluster/staging"
)

func TestSubnetDiscovery(t *testing.T) {
	// a VPC with public subnets a1, b1 (own route table to an internet
	// gateway) and private subnets a2, b2, c2 (the main table, NAT only).
	routes := []ec2types.RouteTable{table(true, "nat-1"), table(false, "igw-1", "subnet-a1", "subnet-b1")}
	untagged := []ec2types.Subnet{sn("subnet-a1", "a", 100), sn("subnet-b1", "b", 100), sn("subnet-a2", "a", 100),
		sn("subnet-b2", "b", 100), sn("subnet-c2", "c", 100)}
	for _, tc := range []struct {
		name           string
		subnets        []ec2types.Subnet
		tables         []ec2types.RouteTable
		scheme         string
		noReachability bool
		noClusterCheck bool
		want           []string // subnet ids, or the error
		routeReads     int
	}{
		{name: "role tag for internal", scheme: internal, subnets: []ec2types.Subnet{
			sn("subnet-a1", "a", 100, TagRoleELB, "1"), sn("subnet-a2", "a", 100, TagRoleInternalELB, "1"),
			sn("subnet-b2", "b", 100, TagRoleInternalELB, "")},
			want: []string{"subnet-a2", "subnet-b2"}},
		{name: "role tag for internet-facing", scheme: public, subnets: []ec2types.Subnet{
			sn("subnet-a1", "a", 100, TagRoleELB, "1"), sn("subnet-a2", "a", 100, TagRoleInternalELB, "1")},
			want: []string{"subnet-a1"}},
		{name: "role tag with another value is not a role tag", scheme: internal, tables: routes, subnets: []ec2types.Subnet{
			sn("subnet-a1", "a", 100), sn("subnet-a2", "a", 100, TagRoleInternalELB, "true")},
			want: []string{"subnet-a2"}, routeReads: 1},
		{name: "no role tag: private by route tables", scheme: internal, subnets: untagged, tables: routes,
			want: []string{"subnet-a2", "subnet-b2", "subnet-c2"}, routeReads: 1},
		{name: "no role tag: public by route tables", scheme: public, subnets: untagged, tables: routes,
			want: []string{"subnet-a1", "subnet-b1"}, routeReads: 1},
		{name: "role tag only for the other scheme still falls back", scheme: internal, tables: routes,
			subnets: []ec2types.Subnet{sn("subnet-a1", "a", 100, TagRoleELB, "1"), sn("subnet-a2", "a", 100)},
			want:    []string{"subnet-a2"}, routeReads: 1},
		{name: "a subnet without own table uses the main one, which may be public", scheme: public,
			tables:  []ec2types.RouteTable{table(true, "igw-9"), table(false, "", "subnet-a2")},
			subnets: []ec2types.Subnet{sn("subnet-a1", "a", 100), sn("subnet-a2", "a", 100)}, want: []string{"subnet-a1"}, routeReads: 1},
		{name: "fallback off", scheme: internal, subnets: untagged, tables: routes, noReachability: true,
			want: []string{`annotation service.beta.kubernetes.io/aws-load-balancer-subnets: invalid value ""; allowed: subnet ids or ` +
				"Name tags; or, for discovery, subnets of the VPC tagged kubernetes.io/role/internal-elb=1, not tagged for " +
				"another cluster, with 8 free addresses or more (found 0 subnets tagged kubernetes.io/role/internal-elb)"}},
		{name: "role-tagged subnets of another cluster do not fall back", scheme: internal, tables: routes, subnets: []ec2types.Subnet{
			sn("subnet-a2", "a", 100, TagRoleInternalELB, "1", other, "owned"), sn("subnet-b2", "b", 100)},
			want: []string{`annotation service.beta.kubernetes.io/aws-load-balancer-subnets: invalid value ""; allowed: subnet ids or ` +
				"Name tags; or, for discovery, subnets of the VPC tagged kubernetes.io/role/internal-elb=1 (with none so tagged: " +
				"private by their route tables), not tagged for another cluster, with 8 free addresses or more (found 1 subnets " +
				"tagged kubernetes.io/role/internal-elb, 1 of them tagged for another cluster)"}},
		{name: "tagged for this and another cluster is this cluster's", scheme: internal, subnets: []ec2types.Subnet{
			sn("subnet-a2", "a", 100, TagRoleInternalELB, "1", other, "shared", mine, "shared"),
			sn("subnet-b2", "b", 100, TagRoleInternalELB, "1", other, "shared")},
			want: []string{"subnet-a2"}},
		{name: "cluster tag check off", scheme: internal, noClusterCheck: true, subnets: []ec2types.Subnet{
			sn("subnet-b2", "b", 100, TagRoleInternalELB, "1", other, "shared")},
			want: []string{"subnet-b2"}},
		{name: "cluster tag check and fallback off: the message names neither", scheme: internal, noClusterCheck: true,
			noReachability: true, subnets: untagged, tables: routes,
			want: []string{`annotation service.beta.kubernetes.io/aws-load-balancer-subnets: invalid value ""; allowed: subnet ids or ` +
				"Name tags; or, for discovery, subnets of the VPC tagged kubernetes.io/role/internal-elb=1, with 8 free addresses " +
				"or more (found 0 subnets tagged kubernetes.io/role/internal-elb)"}},
		{name: "untagged for any cluster is eligible", scheme: internal, subnets: []ec2types.Subnet{
			sn("subnet-b2", "b", 100, TagRoleInternalELB, "1")},
			want: []string{"subnet-b2"}},
		{name: "fewer than 8 free addresses", scheme: internal, tables: routes, subnets: []ec2types.Subnet{
			sn("subnet-a2", "a", 7, TagRoleInternalELB, "1"), sn("subnet-b2", "b", 8, TagRoleInternalELB, "1")},
			want: []string{"subnet-b2"}},
		{name: "every candidate full", scheme: public, tables: routes, subnets: []ec2types.Subnet{
			sn("subnet-a1", "a", 7), sn("subnet-b1", "b", 0), sn("subnet-a2", "a", 100)},
			want: []string{`annotation service.beta.kubernetes.io/aws-load-balancer-subnets: invalid value ""; allowed: subnet ids or ` +
				"Name tags; or, for discovery, subnets of the VPC tagged kubernetes.io/role/elb=1 (with none so tagged: " +
				"public by their route tables), not tagged for another cluster, with 8 free addresses or more (found 2 subnets " +
				"public by their route tables, 2 with fewer than 8 free addresses)"}, routeReads: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeSubnetsAPI{subnets: tc.subnets, tables: tc.tables}
			s := NewSubnets(api, "vpc-1", "prod", clocktesting.NewFakeClock(time.Now()))
			s.ByReachability, s.ClusterTagCheck = !tc.noReachability, !tc.noClusterCheck
			got, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: tc.scheme})
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			if err != nil {
				ids = []string{err.Error()}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("subnets (-want +got):\n%s", diff)
			}
			if api.routeReads != tc.routeReads {
				t.Errorf("route table reads: %d, want %d", api.routeReads, tc.routeReads)
			}
		})
	}
}

// TestSubnetDiscoveryCandidates: every eligible subnet is a candidate, in id
// order; the builder takes one per zone (cluster-tagged first, then the
// lowest id: internal/service's tests).
func TestSubnetDiscoveryCandidates(t *testing.T) {
	api := &fakeSubnetsAPI{tables: []ec2types.RouteTable{table(true, "")}, subnets: []ec2types.Subnet{
		sn("subnet-a3", "a", 100, mine, "owned"), sn("subnet-a1", "a", 100), sn("subnet-b2", "b", 100), sn("subnet-b1", "b", 100)}}
	s := NewSubnets(api, "vpc-1", "prod", clocktesting.NewFakeClock(time.Now()))
	got, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: internal})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	if diff := cmp.Diff([]string{"subnet-a1", "subnet-a3", "subnet-b1", "subnet-b2"}, ids); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
}

func TestNamedSubnets(t *testing.T) {
	subnets := []ec2types.Subnet{sn("subnet-a1", "a", 100, "Name", "web-a"), sn("subnet-b1", "b", 100, "Name", "subnet-a1"),
		sn("subnet-c1", "c", 3, "Name", "twin"), sn("subnet-c2", "c", 100, "Name", "twin")}
	for _, tc := range []struct {
		name  string
		names []string
		want  []string
		reads int
	}{
		{name: "by id and Name tag, full subnets too", names: []string{"subnet-a1", "web-a"}, want: []string{"subnet-a1", "subnet-a1"}, reads: 1},
		{name: "an id is never read as a Name tag", names: []string{"subnet-a1"}, want: []string{"subnet-a1"}, reads: 1},
		{name: "a Name tag on two subnets", names: []string{"twin"}, want: []string{`annotation ` +
			`service.beta.kubernetes.io/aws-load-balancer-subnets: invalid value "twin"; allowed: subnet ids, or Name tags ` +
			`that one subnet carries ("twin" names subnet-c1, subnet-c2)`}, reads: 1},
		{name: "missing: read again once", names: []string{"subnet-zz", "web-a"}, want: []string{"subnet-a1"}, reads: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeSubnetsAPI{subnets: subnets}
			clk := clocktesting.NewFakeClock(time.Now())
			s := NewSubnets(api, "vpc-1", "prod", clk)
			if _, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: internal, Subnets: []string{"web-a"}}); err != nil {
				t.Fatal(err)
			}
			clk.Step(SubnetMissRefresh)
			got, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: internal, Subnets: tc.names})
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			if err != nil {
				ids = []string{err.Error()}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("subnets (-want +got):\n%s", diff)
			}
			if api.subnetReads != tc.reads {
				t.Errorf("subnet reads %d, want %d", api.subnetReads, tc.reads)
			}
		})
	}
}

// TestRouteTablesCached: the fallback reads route tables once per SubnetTTL,
// and a failed read is returned, not taken for "no route".
func TestRouteTablesCached(t *testing.T) {
	api := &fakeSubnetsAPI{subnets: []ec2types.Subnet{sn("subnet-a2", "a", 100)}, tables: []ec2types.RouteTable{table(true, "")}}
	clk := clocktesting.NewFakeClock(time.Now())
	s := NewSubnets(api, "vpc-1", "prod", clk)
	for i := 0; i < 3; i++ {
		if _, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: internal}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Step(SubnetTTL)
	api.routeTablesErr = errors.New("UnauthorizedOperation")
	if _, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: internal}); err == nil ||
		err.Error() != "listing route tables of VPC vpc-1: UnauthorizedOperation" {
		t.Errorf("error %v", err)
	}
	if api.routeReads != 2 || api.subnetReads != 2 {
		t.Errorf("reads: route tables %d, subnets %d; want 2, 2", api.routeReads, api.subnetReads)
	}
}

// TestSubnetLocales: each subnet says where it is, as LBC tells them apart
// (an Outpost ARN first, else its zone's type), from one read of the zones.
func TestSubnetLocales(t *testing.T) {
	outpost := sn("subnet-o", "us-west-2a", 100)
	outpost.OutpostArn = aws.String("arn:aws:outposts:us-west-2:123456789012:outpost/op-1")
	api := &fakeSubnetsAPI{subnets: []ec2types.Subnet{sn("subnet-a", "us-west-2a", 100), outpost,
		sn("subnet-l", "us-west-2-lax-1a", 100), sn("subnet-w", "us-west-2-wl1-las-wlz-1", 100)},
		zones: []ec2types.AvailabilityZone{
			{ZoneName: aws.String("us-west-2a"), ZoneType: aws.String("availability-zone")},
			{ZoneName: aws.String("us-west-2-lax-1a"), ZoneType: aws.String("local-zone")},
			{ZoneName: aws.String("us-west-2-wl1-las-wlz-1"), ZoneType: aws.String("wavelength-zone")}}}
	clk := clocktesting.NewFakeClock(time.Now())
	s := NewSubnets(api, "vpc-1", "prod", clk)
	var got []string
	for range 2 {
		clk.Step(SubnetTTL) // read the subnets again; the zones are known
		found, err := s.Resolve(t.Context(), service.FactsQuery{Scheme: internal,
			Subnets: []string{"subnet-a", "subnet-o", "subnet-l", "subnet-w"}})
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, f := range found {
			got = append(got, f.ID+" "+f.Locale)
		}
	}
	want := []string{"subnet-a availability-zone", "subnet-o outpost", "subnet-l local-zone", "subnet-w wavelength-zone"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("locales (-want +got):\n%s", diff)
	}
	if api.zoneReads != 1 || api.subnetReads != 2 {
		t.Errorf("reads: zones %d, subnets %d; want 1, 2", api.zoneReads, api.subnetReads)
	}
}
