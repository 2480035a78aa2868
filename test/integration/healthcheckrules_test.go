package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestNodeRulesCoverHealthChecks: a UDP Service's targets are health-checked
// over TCP, so the node group lets in tcp and udp on its node port; with
// externalTrafficPolicy Local the checks go to the health-check node port,
// which gets tcp only. Nothing else is opened.
func TestNodeRulesCoverHealthChecks(t *testing.T) {
	cl := newCluster(t, 2)
	before := cl.nodeRules()
	cl.startKelb()
	cl.createService("dns", withPort(53, 31053, corev1.ProtocolUDP))
	cl.createService("dns-local", withPort(53, 31253, corev1.ProtocolUDP), func(s *corev1.Service) {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		s.Spec.HealthCheckNodePort = 31500
	})
	cl.waitReady("dns")
	cl.waitReady("dns-local")
	want := []string{"tcp/31053-31053", "udp/31053-31053", "udp/31253-31253", "tcp/31500-31500"}
	var added []string
	eventually(t, 20*time.Second, "node rules for traffic and health checks", func() (bool, string) {
		added = nil
		for _, r := range cl.nodeRules() {
			if !slices.Contains(before, r) {
				added = append(added, strings.SplitN(r, " ", 2)[0])
			}
		}
		slices.Sort(added)
		sorted := slices.Sorted(slices.Values(want))
		return slices.Equal(added, sorted), fmt.Sprint(added)
	})
}
