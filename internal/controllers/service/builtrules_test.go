package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestBuiltRules: remembered rules are given back only while the Service,
// its slices, the nodes and every fact are those they were built from.
func TestBuiltRules(t *testing.T) {
	rules := []model.BackendRule{{NodeSG: "sg-node", Protocol: "tcp", Port: 30080}}
	base := builtEntry{service: "7", nodes: "n1@3,", slices: "s1@5,",
		facts: service.Facts{InstanceSGs: map[string]string{"i-1": "sg-node"}, Subnets: []service.Subnet{{ID: "subnet-1"}}}}
	cases := []struct {
		name   string
		change func(*builtEntry)
		want   []model.BackendRule
	}{
		{"nothing changed", func(*builtEntry) {}, rules},
		{"the Service changed", func(e *builtEntry) { e.service = "8" }, nil},
		{"a node changed", func(e *builtEntry) { e.nodes = "n1@4," }, nil},
		{"a slice changed", func(e *builtEntry) { e.slices = "s1@5,s2@1," }, nil},
		{"a node's security group changed", func(e *builtEntry) {
			e.facts.InstanceSGs = map[string]string{"i-1": "sg-other"}
		}, nil},
		{"the subnets changed", func(e *builtEntry) { e.facts.Subnets = []service.Subnet{{ID: "subnet-2"}} }, nil},
		{"the load balancer lost its security groups", func(e *builtEntry) { e.facts.LoadBalancerWithoutSGs = true }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b builtRules
			stored := base
			stored.rules = rules
			b.put("uid-1", stored)
			key := base
			key.facts.InstanceSGs = map[string]string{"i-1": "sg-node"}
			tc.change(&key)
			got, _ := b.get("uid-1", key)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
	var b builtRules
	b.put("uid-1", builtEntry{rules: rules})
	b.put("uid-2", builtEntry{rules: rules})
	b.keepOnly(map[types.UID]bool{"uid-2": true})
	if _, ok := b.get("uid-1", builtEntry{}); ok {
		t.Error("a Service no longer served is still remembered")
	}
	if _, ok := b.get("uid-2", builtEntry{}); !ok {
		t.Error("a Service still served is forgotten")
	}
}
