package service

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

// DefaultRulesPerSecurityGroup is AWS's default quota of inbound rules per
// security group, counted separately for IPv4 and IPv6 rules.
const DefaultRulesPerSecurityGroup = 60

// checkFrontendRules refuses a managed frontend group that AWS would not
// take: one rule per listener, protocol and source range, at most the quota
// per IP family. Found here, nothing is created for the Service.
func checkFrontendRules(cfg Config, svc *corev1.Service, rules []model.Rule, sources int) error {
	quota := cfg.RulesPerSecurityGroup
	if quota == 0 {
		quota = DefaultRulesPerSecurityGroup
	}
	var v4, v6 int
	for _, r := range rules {
		if strings.Contains(r.CIDR, ":") {
			v6++
		} else {
			v4++
		}
	}
	if v4 <= quota && v6 <= quota {
		return nil
	}
	field := "spec.loadBalancerSourceRanges"
	if len(svc.Spec.LoadBalancerSourceRanges) == 0 {
		field = AnnSourceRanges
	}
	return fmt.Errorf("%w: the managed frontend security group would need %d IPv4 and %d IPv6 inbound rules "+
		"(one per listener, protocol and source range: %d ranges from %s or the default), over the quota of %d "+
		"per IP family (\"Inbound or outbound rules per security group\"); use fewer ports or source ranges, "+
		"or your own groups (annotation %s)", ErrInvalid, v4, v6, sources, field, quota, AnnSecurityGroups)
}
