package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestExclusion(t *testing.T) {
	cfg := Config{ClusterName: "prod", ClusterUID: "uid-a", VPCID: "vpc-1"}
	for _, tc := range []struct {
		name string
		tags map[string]string
		vpc  string
		want string
	}{
		{"made by this cluster", map[string]string{model.TagClusterUID: "uid-a"}, "vpc-1", ""},
		{"made by LBC", map[string]string{model.TagCluster: "prod"}, "vpc-1", ""},
		{"another cluster of the same name", map[string]string{model.TagClusterUID: "uid-b"}, "vpc-1", excludedCluster},
		{"another cluster in another VPC", map[string]string{model.TagClusterUID: "uid-b"}, "vpc-2", excludedCluster},
		{"made by LBC in another VPC", map[string]string{model.TagCluster: "prod"}, "vpc-2", excludedVPC},
		{"this cluster's tag in another VPC", map[string]string{model.TagClusterUID: "uid-a"}, "vpc-2", excludedVPC},
		{"no VPC", nil, "", excludedVPC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exclusion(cfg, tc.tags, tc.vpc); got != tc.want {
				t.Errorf("exclusion = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIdentityTags(t *testing.T) {
	d := New(Deps{Config: Config{ClusterUID: "uid-a"}})
	for _, tc := range []struct {
		name       string
		got, wantT map[string]string
	}{
		{"created with the identity", d.createTags(map[string]string{"a": "1"}), map[string]string{"a": "1", model.TagClusterUID: "uid-a"}},
		{"whatever the desired tags say", d.createTags(map[string]string{model.TagClusterUID: "forged"}),
			map[string]string{model.TagClusterUID: "uid-a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.wantT, tc.got); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

type fakeRecord map[string]bool

func (r fakeRecord) Has(id string) bool { return r[id] }

func TestProven(t *testing.T) {
	d := New(Deps{Config: Config{ClusterUID: "uid-a"}, Record: fakeRecord{"arn:lb/recorded": true}})
	for _, tc := range []struct {
		r    Resource
		want bool
	}{
		{Resource{ID: "arn:lb/ours", ClusterUID: "uid-a"}, true},
		{Resource{ID: "arn:lb/recorded"}, true},
		{Resource{ID: "arn:lb/lbc-made"}, false},
		{Resource{ID: "arn:lb/theirs", ClusterUID: "uid-b"}, false},
	} {
		if got := d.Proven(tc.r); got != tc.want {
			t.Errorf("Proven(%+v) = %v, want %v", tc.r, got, tc.want)
		}
	}
	if noUID := New(Deps{}); noUID.Proven(Resource{ID: "x"}) {
		t.Error("without identity or record, a resource without tag is proven")
	}
}

func TestObservedIsACopy(t *testing.T) {
	d := New(Deps{})
	d.own.observed.Store(observe(&snapshot{stacks: map[model.StackID]*StackState{svcStack("ns/a"): {ID: svcStack("ns/a"),
		LoadBalancer: &LoadBalancerState{ARN: "arn:lb", SecurityGroups: []string{"sg-1"}}}}}))
	got, _ := d.Observed()
	got.Stacks[svcStack("ns/a")][0].SecurityGroups[0] = "changed"
	got.Stacks[svcStack("ns/b")] = nil
	again, _ := d.Observed()
	want := Observed{Stacks: map[model.StackID][]Resource{svcStack("ns/a"): {{Kind: KindLoadBalancer, ID: "arn:lb", SecurityGroups: []string{"sg-1"}}}}}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("Observed changed through a copy (-want +got):\n%s", diff)
	}
}
