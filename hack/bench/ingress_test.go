package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestActionList(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts map[string]int
		want   string
	}{
		{"none", nil, "none"},
		{"largest first, then by name", map[string]int{"DescribeRules": 1, "CreateRule": 2, "DeleteRule": 1},
			"CreateRule 2, DeleteRule 1, DescribeRules 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, actionList(tc.counts)); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestBenchIngress: each bench Ingress has ip targets and its two paths
// go to its own two backend Services.
func TestBenchIngress(t *testing.T) {
	ing := benchIngress("ing007")
	var got []string
	for _, p := range ing.Spec.Rules[0].HTTP.Paths {
		got = append(got, p.Path+" "+p.Backend.Service.Name)
	}
	if d := cmp.Diff([]string{"/a be007-a", "/b be007-b"}, got); d != "" {
		t.Error(d)
	}
	if tt := ing.Annotations["alb.ingress.kubernetes.io/target-type"]; tt != "ip" {
		t.Errorf("target-type %q, want ip", tt)
	}
}
