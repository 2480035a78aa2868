package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSubnetsOfOneLocale: as LBC, a load balancer's subnets are all in
// availability zones, all in local zones, all in Wavelength zones or all on
// Outposts; a mix is refused before anything changes in AWS, whether the
// subnets are named, discovered or kept.
func TestSubnetsOfOneLocale(t *testing.T) {
	subnets := []Subnet{
		{ID: "subnet-a", AZ: "us-west-2a", Locale: LocaleAvailabilityZone},
		{ID: "subnet-b", AZ: "us-west-2b"}, // no locale known: an availability zone
		{ID: "subnet-l", AZ: "us-west-2-lax-1a", Locale: LocaleLocalZone},
		{ID: "subnet-l2", AZ: "us-west-2-lax-1b", Locale: LocaleLocalZone},
		{ID: "subnet-o", AZ: "us-west-2c", Locale: LocaleOutpost},
	}
	type result struct {
		Subnets        []string
		Annotation     string
		Value, Allowed string
		External       bool
	}
	mixed := "subnets all in availability zones, all in local zones, all in Wavelength zones or all on Outposts (found "
	tests := []struct {
		name  string
		q     FactsQuery
		found []Subnet
		want  result
	}{
		{"availability zones", FactsQuery{Subnets: []string{"subnet-a", "subnet-b"}}, subnets,
			result{Subnets: []string{"subnet-a", "subnet-b"}}},
		{"local zones", FactsQuery{Subnets: []string{"subnet-l", "subnet-l2"}}, subnets,
			result{Subnets: []string{"subnet-l", "subnet-l2"}}},
		{"one Outpost subnet", FactsQuery{Subnets: []string{"subnet-o"}}, subnets, result{Subnets: []string{"subnet-o"}}},
		{"named: a zone and a local zone wait for an edit", FactsQuery{Subnets: []string{"subnet-a", "subnet-l"}}, subnets,
			result{Annotation: AnnSubnets, Value: "subnet-a,subnet-l",
				Allowed: mixed + "subnet-a in availability zone, subnet-l in local zone)"}},
		{"discovered: a mix waits for AWS", FactsQuery{}, []Subnet{subnets[0], subnets[2], subnets[4]},
			result{Annotation: AnnSubnets, External: true,
				Allowed: mixed + "subnet-a in availability zone, subnet-l in local zone, subnet-o in outpost)"}},
		{"kept: a mix waits for AWS", FactsQuery{Subnets: []string{"subnet-b", "subnet-o"}, KeptSubnets: true}, subnets,
			result{Annotation: AnnSubnets, External: true, Allowed: mixed + "subnet-b in availability zone, subnet-o in outpost)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := chooseSubnets(tt.q, tt.found)
			got := result{Subnets: ids}
			if err != nil {
				ae, ok := err.(*AnnotationError)
				if !ok {
					t.Fatalf("error %v", err)
				}
				got = result{Annotation: ae.Annotation, Value: ae.Value, Allowed: ae.Allowed, External: ae.External}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
