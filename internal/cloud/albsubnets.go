package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/service"
)

// MinALBZones is the least number of availability zones an application load
// balancer in availability zones needs (AWS, and LBC without its
// single-subnet allowlist); in local zones, Wavelength zones or on an
// Outpost one subnet is enough.
const MinALBZones = 2

// ResolveALB returns the subnet ids of an Ingress's application load
// balancer, sorted, as LBC v3.5 resolves them:
//   - named subnets (ids or Name tags, from the annotation or the
//     IngressClassParams ids): every one, at most one per zone;
//   - tag filters of the IngressClassParams: the subnets carrying every
//     tag key with one of its values, then, as discovery, the eligible ones
//     (not tagged for another cluster, MinFreeAddresses free) one per zone;
//   - otherwise LBC's discovery by role tag (kubernetes.io/role/elb for
//     internet-facing, kubernetes.io/role/internal-elb for internal, with
//     the route-table fallback), one subnet per zone, tagged for this
//     cluster first, then the lowest id.
//
// The subnets must all be in one kind of zone, and in availability zones
// span at least MinALBZones of them. Errors name the subnets annotation;
// those AWS may come to fix (discovery, tags) are External.
func (s *Subnets) ResolveALB(ctx context.Context, q ingress.FactsQuery) ([]string, error) {
	var chosen []service.Subnet
	var err error
	switch {
	case len(q.Subnets) > 0:
		chosen, err = s.namedALB(ctx, q.Subnets)
	case len(q.SubnetTags) > 0:
		chosen, err = s.taggedALB(ctx, q.SubnetTags)
	default:
		var found []service.Subnet
		found, err = s.Resolve(ctx, service.FactsQuery{Scheme: q.Scheme})
		chosen = onePerZone(found)
	}
	if err != nil {
		return nil, asIngressError(err)
	}
	named := len(q.Subnets) > 0
	if err := albPlacement(chosen, named, q.Subnets); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(chosen))
	for _, sn := range chosen {
		ids = append(ids, sn.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// asIngressError renames the Service annotation in a subnet error to the
// Ingress's.
func asIngressError(err error) error {
	var ae *service.AnnotationError
	if errors.As(err, &ae) {
		c := *ae
		c.Annotation = ingress.AnnSubnets
		return &c
	}
	return err
}

func (s *Subnets) namedALB(ctx context.Context, names []string) ([]service.Subnet, error) {
	found, err := s.Resolve(ctx, service.FactsQuery{Subnets: names})
	if err != nil {
		return nil, err
	}
	if len(found) < len(slices.Compact(slices.Sorted(slices.Values(names)))) {
		return nil, &service.AnnotationError{Annotation: ingress.AnnSubnets, Value: strings.Join(names, ","),
			External: true, Allowed: "ids or Name tags of existing subnets in the cluster's VPC"}
	}
	byZone := map[string]string{}
	var out []service.Subnet
	for _, sn := range found {
		if other, dup := byZone[sn.AZ]; dup && other != sn.ID {
			return nil, &service.AnnotationError{Annotation: ingress.AnnSubnets, Value: strings.Join(names, ","),
				Allowed: fmt.Sprintf("at most one subnet per availability zone (%s has %s and %s)", sn.AZ, other, sn.ID)}
		}
		if _, dup := byZone[sn.AZ]; !dup {
			byZone[sn.AZ] = sn.ID
			out = append(out, sn)
		}
	}
	return out, nil
}

func (s *Subnets) taggedALB(ctx context.Context, tags map[string][]string) ([]service.Subnet, error) {
	all, err := s.list(ctx, false)
	if err != nil {
		return nil, err
	}
	var candidates []subnetInfo
	for _, sn := range all {
		if matchesTags(sn.tags, tags) {
			candidates = append(candidates, sn)
		}
	}
	eligible, left := s.eligible(candidates)
	if len(eligible) == 0 {
		keys := make([]string, 0, len(tags))
		for k, v := range tags {
			keys = append(keys, k+" in ["+strings.Join(v, ",")+"]")
		}
		sort.Strings(keys)
		return nil, &service.AnnotationError{Annotation: ingress.AnnSubnets, External: true,
			Allowed: fmt.Sprintf("subnets of the VPC tagged %s, not tagged for another cluster, with %d free addresses "+
				"or more (found %d so tagged, %d of them tagged for another cluster, %d with fewer free addresses)",
				strings.Join(keys, " and "), MinFreeAddresses, len(candidates), left.otherCluster, left.fewAddresses)}
	}
	return onePerZone(eligible), nil
}

// matchesTags reports whether tags carry every key of filters with one of
// its values, as EC2's tag:<key> filters match.
func matchesTags(tags map[string]string, filters map[string][]string) bool {
	for k, values := range filters {
		v, ok := tags[k]
		if !ok || !slices.Contains(values, v) {
			return false
		}
	}
	return true
}

// onePerZone picks one subnet per zone: tagged for this cluster first, then
// the lowest id.
func onePerZone(found []service.Subnet) []service.Subnet {
	sorted := slices.Clone(found)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].ClusterTagged != sorted[j].ClusterTagged {
			return sorted[i].ClusterTagged
		}
		return sorted[i].ID < sorted[j].ID
	})
	seen := map[string]bool{}
	var out []service.Subnet
	for _, sn := range sorted {
		if !seen[sn.AZ] {
			seen[sn.AZ] = true
			out = append(out, sn)
		}
	}
	return out
}

// albPlacement refuses subnets of several kinds of zone, and fewer than
// MinALBZones availability zones.
func albPlacement(chosen []service.Subnet, named bool, names []string) error {
	value := ""
	if named {
		value = strings.Join(names, ",")
	}
	locales := map[string]bool{}
	var where []string
	for _, sn := range chosen {
		l := sn.Locale
		if l == "" {
			l = service.LocaleAvailabilityZone
		}
		if !locales[l] {
			locales[l] = true
			where = append(where, sn.ID+" in "+strings.ReplaceAll(l, "-", " "))
		}
	}
	if len(locales) > 1 {
		return &service.AnnotationError{Annotation: ingress.AnnSubnets, Value: value, External: !named,
			Allowed: "subnets all in availability zones, all in local zones, all in Wavelength zones or all on Outposts " +
				"(found " + strings.Join(where, ", ") + ")"}
	}
	if locales[service.LocaleAvailabilityZone] && len(chosen) < MinALBZones {
		ids := make([]string, 0, len(chosen))
		for _, sn := range chosen {
			ids = append(ids, sn.ID+" in "+sn.AZ)
		}
		return &service.AnnotationError{Annotation: ingress.AnnSubnets, Value: value, External: !named,
			Allowed: fmt.Sprintf("subnets in at least %d availability zones for an application load balancer (found %s)",
				MinALBZones, strings.Join(ids, ", "))}
	}
	return nil
}
