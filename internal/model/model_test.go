package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTagDiffLeavesIdentity: whatever the policy, the identity tag is set
// only at creation: a diff never adds, changes or removes it.
func TestTagDiffLeavesIdentity(t *testing.T) {
	removeAll := TagPolicy{}
	removeIdentity := TagPolicy{OnlyRemovable: true, Removable: map[string]bool{TagClusterUID: true, "a": true}}
	for _, tc := range []struct {
		name       string
		have, want map[string]string
		policy     TagPolicy
		add        map[string]string
		remove     []string
	}{
		{"never removed", map[string]string{TagClusterUID: "uid-1", "a": "1"}, map[string]string{}, removeAll,
			map[string]string{}, []string{"a"}},
		{"never removed, even when listed removable", map[string]string{TagClusterUID: "uid-1", "a": "1"},
			map[string]string{}, removeIdentity, map[string]string{}, []string{"a"}},
		{"never added to a resource without it", map[string]string{"a": "1"}, map[string]string{"a": "1", TagClusterUID: "uid-1"},
			removeAll, map[string]string{}, nil},
		{"never changed", map[string]string{TagClusterUID: "uid-1"}, map[string]string{TagClusterUID: "uid-2"}, removeAll,
			map[string]string{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			add, remove := TagDiff(tc.have, tc.want, tc.policy)
			if diff := cmp.Diff(tc.add, add); diff != "" {
				t.Errorf("add (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.remove, remove); diff != "" {
				t.Errorf("remove (-want +got):\n%s", diff)
			}
		})
	}
}
