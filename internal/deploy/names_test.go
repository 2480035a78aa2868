package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBackendSGNameIsLBCs: the shared backend group's name is LBC's:
// "k8s-traffic-" + the cluster name with everything but ASCII letters and
// digits stripped (case kept) + "-" + 10 hex digits of the SHA-256 of the
// cluster name. The first value is the one LBC's own tests expect; the
// others were worked out apart from this code.
func TestBackendSGNameIsLBCs(t *testing.T) {
	tests := []struct {
		cluster, uid, want string
	}{
		{"testCluster", "", "k8s-traffic-testCluster-411a1bcdb1"},
		{"prod-eu-1", "", "k8s-traffic-prodeu1-c228ff7d5e"},
		// kelb's own name when another cluster of the name holds LBC's:
		// the hash covers "<cluster>/<uid>".
		{"prod-eu-1", "0b7c6a2e-1111-2222-3333-444455556666", "k8s-traffic-prodeu1-50454474fc"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, backendSGName(tt.cluster, tt.uid)); diff != "" {
			t.Errorf("backendSGName(%q, %q) (-want +got):\n%s", tt.cluster, tt.uid, diff)
		}
	}
}
