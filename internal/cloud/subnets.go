package cloud

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"

	"github.com/kelb-dev/kelb/internal/service"
)

// Subnet tags LBC's discovery reads.
const (
	TagRoleELB         = "kubernetes.io/role/elb"
	TagRoleInternalELB = "kubernetes.io/role/internal-elb"
	tagClusterPrefix   = "kubernetes.io/cluster/"
)

// MinFreeAddresses is the least number of free IP addresses a discovered
// subnet needs: ELB needs 8 per subnet to scale. As in LBC v3.5 it holds for
// every discovery, also for an internal load balancer given
// private-ipv4-addresses (LBC waived it there before its subnet discovery
// was rewritten); named subnets and those a load balancer already has are
// not filtered.
const MinFreeAddresses = 8

// SubnetsAPI is the part of the EC2 API subnet discovery calls.
type SubnetsAPI interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
}

// subnetInfo is a subnet of the VPC as discovery sees it.
type subnetInfo struct {
	service.Subnet
	tags    map[string]string
	free    int32 // available IP addresses
	outpost bool  // on an Outpost
}

// Subnets answers subnet queries from one cached listing of the VPC (and of
// its route tables, read only when discovery falls back to them).
type Subnets struct {
	api     SubnetsAPI
	vpcID   string
	cluster string
	clock   clock.PassiveClock
	// ClusterTagCheck leaves out subnets tagged for other clusters only
	// (LBC's SubnetsClusterTagCheck feature gate, on by default).
	ClusterTagCheck bool
	// ByReachability: with no subnet role-tagged for the scheme, discovery
	// takes subnets by their route tables (LBC's SubnetDiscoveryByReachability
	// feature gate, on by default).
	ByReachability bool

	mu       sync.Mutex
	subnets  []subnetInfo
	loadedAt time.Time
	tables   []ec2types.RouteTable
	routesAt time.Time
	// zoneTypes maps zone names to AWS's zone type (availability-zone,
	// local-zone, wavelength-zone); read when a subnet is in a zone not
	// known yet, so in practice once.
	zoneTypes map[string]string
}

// NewSubnets returns a provider for the subnets of vpcID, with LBC's
// default discovery settings.
func NewSubnets(api SubnetsAPI, vpcID, cluster string, clk clock.PassiveClock) *Subnets {
	return &Subnets{api: api, vpcID: vpcID, cluster: cluster, clock: clk, ClusterTagCheck: true, ByReachability: true}
}

// Resolve returns the subnets a query asks for: the named ones (ids or Name
// tags), or the candidates of LBC's discovery, from which the builder takes
// one per zone (cluster-tagged first, then the lowest id):
//
//  1. the subnets tagged with the scheme's role tag (value 1 or empty);
//     only when none is: the subnets whose route table (their own, else the
//     VPC's main one) routes to an internet gateway, for internet-facing,
//     or does not, for internal;
//  2. without those tagged kubernetes.io/cluster/<other> and not for this
//     cluster;
//  3. without those with fewer than MinFreeAddresses free addresses.
func (s *Subnets) Resolve(ctx context.Context, q service.FactsQuery) ([]service.Subnet, error) {
	all, err := s.list(ctx, false)
	if err != nil {
		return nil, err
	}
	if len(q.Subnets) > 0 {
		found, missing, err := named(all, q.Subnets)
		if err == nil && missing { // maybe new: read again, at most every SubnetMissRefresh
			if all, err = s.list(ctx, true); err != nil {
				return nil, err
			}
			found, _, err = named(all, q.Subnets)
		}
		return found, err
	}
	role := roleTag(q.Scheme)
	candidates, how := withRoleTag(all, role), "tagged "+role
	if len(candidates) == 0 && s.ByReachability {
		tables, err := s.routeTables(ctx)
		if err != nil {
			return nil, err
		}
		public := publicSubnets(tables, all)
		candidates, how = byReachability(all, public, q.Scheme == service.SchemeInternetFacing), reachabilityName(q.Scheme)
	}
	out, left := s.eligible(candidates)
	if len(out) == 0 {
		return nil, s.noSubnet(q.Scheme, len(candidates), how, left)
	}
	return out, nil
}

func roleTag(scheme string) string {
	if scheme == service.SchemeInternetFacing {
		return TagRoleELB
	}
	return TagRoleInternalELB
}

func reachabilityName(scheme string) string {
	if scheme == service.SchemeInternetFacing {
		return "public by their route tables"
	}
	return "private by their route tables"
}

func withRoleTag(all []subnetInfo, role string) []subnetInfo {
	var out []subnetInfo
	for _, sn := range all {
		if v, ok := sn.tags[role]; ok && (v == "" || v == "1") {
			out = append(out, sn)
		}
	}
	return out
}

func byReachability(all []subnetInfo, public map[string]bool, wantPublic bool) []subnetInfo {
	var out []subnetInfo
	for _, sn := range all {
		if public[sn.ID] == wantPublic {
			out = append(out, sn)
		}
	}
	return out
}

// leftOut counts candidates the filters took away, for the message.
type leftOut struct{ otherCluster, fewAddresses int }

func (s *Subnets) eligible(candidates []subnetInfo) ([]service.Subnet, leftOut) {
	var out []service.Subnet
	var left leftOut
	for _, sn := range candidates {
		switch {
		case s.ClusterTagCheck && !sn.ClusterTagged && taggedForOtherCluster(sn.tags):
			left.otherCluster++
		case sn.free < MinFreeAddresses:
			left.fewAddresses++
		default:
			out = append(out, sn.Subnet)
		}
	}
	return out, left
}

// noSubnet says why discovery found nothing and how to fix it; AWS may come
// to have such a subnet, so the Service is retried. It names only the rules
// the feature gates leave on.
func (s *Subnets) noSubnet(scheme string, candidates int, how string, left leftOut) error {
	found := fmt.Sprintf("%d subnets %s", candidates, how)
	if left.otherCluster > 0 {
		found += fmt.Sprintf(", %d of them tagged for another cluster", left.otherCluster)
	}
	if left.fewAddresses > 0 {
		found += fmt.Sprintf(", %d with fewer than %d free addresses", left.fewAddresses, MinFreeAddresses)
	}
	rules := fmt.Sprintf("subnets of the VPC tagged %s=1", roleTag(scheme))
	if s.ByReachability {
		rules += fmt.Sprintf(" (with none so tagged: %s)", reachabilityName(scheme))
	}
	if s.ClusterTagCheck {
		rules += ", not tagged for another cluster"
	}
	return &service.AnnotationError{Annotation: service.AnnSubnets, Value: "", External: true,
		Allowed: fmt.Sprintf("subnet ids or Name tags; or, for discovery, %s, with %d free addresses or more (found %s)",
			rules, MinFreeAddresses, found)}
}

// named finds each name as LBC does: "subnet-..." is an id, anything else a
// Name tag. A Name tag that several subnets carry is refused, as in LBC.
func named(all []subnetInfo, names []string) (found []service.Subnet, missing bool, err error) {
	for _, n := range names {
		var matches []string
		for _, sn := range all {
			if (strings.HasPrefix(n, "subnet-") && sn.ID == n) || (!strings.HasPrefix(n, "subnet-") && sn.Name == n) {
				if len(matches) == 0 {
					found = append(found, sn.Subnet)
				}
				matches = append(matches, sn.ID)
			}
		}
		switch {
		case len(matches) == 0:
			missing = true
		case len(matches) > 1:
			return nil, false, &service.AnnotationError{Annotation: service.AnnSubnets, Value: n,
				Allowed: fmt.Sprintf("subnet ids, or Name tags that one subnet carries (%q names %s)", n,
					strings.Join(matches, ", "))}
		}
	}
	return found, missing, nil
}

func taggedForOtherCluster(tags map[string]string) bool {
	for k := range tags {
		if strings.HasPrefix(k, tagClusterPrefix) {
			return true
		}
	}
	return false
}

func (s *Subnets) list(ctx context.Context, miss bool) ([]subnetInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	age := s.clock.Since(s.loadedAt)
	if s.subnets != nil && age < SubnetTTL && (!miss || age < SubnetMissRefresh) {
		return s.subnets, nil
	}
	var out []subnetInfo
	p := ec2.NewDescribeSubnetsPaginator(s.api, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{s.vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing subnets of VPC %s: %w", s.vpcID, err)
		}
		for _, sn := range page.Subnets {
			info := subnetInfo{tags: map[string]string{}, free: aws.ToInt32(sn.AvailableIpAddressCount),
				outpost: aws.ToString(sn.OutpostArn) != ""}
			for _, t := range sn.Tags {
				info.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			_, tagged := info.tags[tagClusterPrefix+s.cluster]
			info.Subnet = service.Subnet{ID: aws.ToString(sn.SubnetId), Name: info.tags["Name"],
				AZ: aws.ToString(sn.AvailabilityZone), CIDR: aws.ToString(sn.CidrBlock), ClusterTagged: tagged}
			for _, a := range sn.Ipv6CidrBlockAssociationSet {
				if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == ec2types.SubnetCidrBlockStateCodeAssociated {
					info.IPv6CIDRs = append(info.IPv6CIDRs, aws.ToString(a.Ipv6CidrBlock))
				}
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err := s.setLocales(ctx, out); err != nil {
		return nil, err
	}
	s.subnets, s.loadedAt = out, s.clock.Now()
	return out, nil
}

// setLocales says where each subnet is, as LBC tells them apart: on an
// Outpost (an Outpost ARN), else by its zone's type. Called with s.mu held.
func (s *Subnets) setLocales(ctx context.Context, subnets []subnetInfo) error {
	for _, sn := range subnets {
		if _, known := s.zoneTypes[sn.AZ]; !known && !sn.outpost {
			if err := s.readZoneTypes(ctx); err != nil {
				return err
			}
			break
		}
	}
	for i := range subnets {
		switch t := s.zoneTypes[subnets[i].AZ]; {
		case subnets[i].outpost:
			subnets[i].Locale = service.LocaleOutpost
		case t == "":
			subnets[i].Locale = service.LocaleAvailabilityZone // a zone AWS did not list: the common case
		default:
			subnets[i].Locale = t
		}
	}
	return nil
}

func (s *Subnets) readZoneTypes(ctx context.Context) error {
	out, err := s.api.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{AllAvailabilityZones: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("listing availability zones: %w", err)
	}
	types := map[string]string{}
	for _, z := range out.AvailabilityZones {
		types[aws.ToString(z.ZoneName)] = aws.ToString(z.ZoneType)
	}
	s.zoneTypes = types
	return nil
}

// routeTables reads the VPC's route tables, cached like the subnets.
func (s *Subnets) routeTables(ctx context.Context) ([]ec2types.RouteTable, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables != nil && s.clock.Since(s.routesAt) < SubnetTTL {
		return s.tables, nil
	}
	var tables []ec2types.RouteTable
	p := ec2.NewDescribeRouteTablesPaginator(s.api, &ec2.DescribeRouteTablesInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{s.vpcID}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing route tables of VPC %s: %w", s.vpcID, err)
		}
		tables = append(tables, page.RouteTables...)
	}
	if tables == nil {
		tables = []ec2types.RouteTable{}
	}
	s.tables, s.routesAt = tables, s.clock.Now()
	return tables, nil
}

// publicSubnets maps each subnet to whether its route table has a route to
// an internet gateway (igw-...): what makes a subnet public. A subnet uses
// the table associated with it, else the VPC's main table.
func publicSubnets(tables []ec2types.RouteTable, subnets []subnetInfo) map[string]bool {
	explicit, mainPublic := map[string]bool{}, false
	for _, t := range tables {
		internet := false
		for _, r := range t.Routes {
			if strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") {
				internet = true
			}
		}
		for _, a := range t.Associations {
			if aws.ToBool(a.Main) {
				mainPublic = internet
			}
			if id := aws.ToString(a.SubnetId); id != "" {
				explicit[id] = internet
			}
		}
	}
	out := map[string]bool{}
	for _, sn := range subnets {
		public, ok := explicit[sn.ID]
		if !ok {
			public = mainPublic
		}
		out[sn.ID] = public
	}
	return out
}
