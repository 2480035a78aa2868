package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadBalancerKeepsItsSubnets: as in LBC, a Service that names no
// subnets keeps those its load balancer has while the scheme stays; only a
// new load balancer, a new scheme or the annotation chooses again.
func TestLoadBalancerKeepsItsSubnets(t *testing.T) {
	type result struct {
		Query    []string // the subnets asked for
		Kept     bool
		Subnets  []string // of the load balancer
		Error    string
		External bool
	}
	tests := []struct {
		name            string
		defaultScheme   string
		existingScheme  string
		existingSubnets []string
		kv              []string
		want            result
	}{
		{name: "no load balancer: discovery, one per zone", want: result{
			Subnets: []string{"subnet-a1", "subnet-b", "subnet-c"}}},
		{name: "the load balancer's subnets, though discovery would pick others", existingScheme: SchemeInternal,
			existingSubnets: []string{"subnet-a2", "subnet-b"},
			want:            result{Query: []string{"subnet-a2", "subnet-b"}, Kept: true, Subnets: []string{"subnet-a2", "subnet-b"}}},
		{name: "kept also when the default scheme changed", defaultScheme: SchemeInternetFacing,
			existingScheme: SchemeInternal, existingSubnets: []string{"subnet-c"},
			want: result{Query: []string{"subnet-c"}, Kept: true, Subnets: []string{"subnet-c"}}},
		{name: "the scheme annotation names the same scheme", existingScheme: SchemeInternetFacing,
			existingSubnets: []string{"subnet-a2"}, kv: []string{AnnScheme, SchemeInternetFacing},
			want: result{Query: []string{"subnet-a2"}, Kept: true, Subnets: []string{"subnet-a2"}}},
		{name: "a new scheme discovers again", existingScheme: SchemeInternal, existingSubnets: []string{"subnet-a2"},
			kv: []string{AnnScheme, SchemeInternetFacing}, want: result{Subnets: []string{"subnet-a1", "subnet-b", "subnet-c"}}},
		{name: "the annotation wins", existingScheme: SchemeInternal, existingSubnets: []string{"subnet-a2", "subnet-b"},
			kv: []string{AnnSubnets, "pub-c"}, want: result{Query: []string{"pub-c"}, Subnets: []string{"subnet-c"}}},
		{name: "a load balancer without subnets known discovers", existingScheme: SchemeInternal,
			want: result{Subnets: []string{"subnet-a1", "subnet-b", "subnet-c"}}},
		{name: "a subnet of the load balancer not found: retried, nothing changes", existingScheme: SchemeInternal,
			existingSubnets: []string{"subnet-a2", "subnet-gone"},
			want:            result{Query: []string{"subnet-a2", "subnet-gone"}, Kept: true, Error: AnnSubnets, External: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig
			cfg.DefaultScheme = tt.defaultScheme
			in := testInput(ann(tt.kv...))
			in.Facts.ExistingScheme, in.Facts.ExistingSubnets = tt.existingScheme, tt.existingSubnets
			q, err := QueryFor(cfg, in.Service, in.Facts)
			if err != nil {
				t.Fatal(err)
			}
			got := result{Query: q.Subnets, Kept: q.KeptSubnets}
			s, err := Build(cfg, in)
			if o := outcomeOf(err); err != nil {
				got.Error, got.External = o.Annotation, o.External
			} else {
				got.Subnets = s.LoadBalancer.Subnets
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
