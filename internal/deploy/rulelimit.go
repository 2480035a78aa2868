package deploy

import (
	"context"
	"fmt"
	"strconv"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// RuleLimitError says a node security group cannot take the rules a stack
// needs. kelb revoked nothing that traffic needs to get there.
type RuleLimitError struct {
	Group   string
	Holding int // inbound rules the group holds
	Adding  int // rules kelb still has to add
}

func (e *RuleLimitError) Error() string {
	return fmt.Sprintf("security group %s holds %d inbound rules and needs %d more: the AWS quota "+
		"\"Inbound or outbound rules per security group\" (60 by default) is reached; raise it in Service Quotas, "+
		"remove rules from the group, or set --disable-restricted-sg-rules", e.Group, e.Holding, e.Adding)
}

func isRuleLimit(err error) bool {
	return awsclient.ErrorCode(err) == "RulesPerSecurityGroupLimitExceeded"
}

// authorizeWithinLimit authorizes add in sg. At the rule limit it first makes
// room without loss: it revokes kelb's rules whose needed ports other rules
// still allow (or that allow no needed port at all), then tries once more.
func (d *Deployer) authorizeWithinLimit(ctx context.Context, sg *SecurityGroupState, backendSG string,
	add []model.Rule, needs BackendNeeds) error {
	err := d.authorize(ctx, sg, add)
	if err == nil || !isRuleLimit(err) {
		return err
	}
	if needs.Complete {
		keep := append(append([]model.BackendRule(nil), needs.Rules...), d.inUse(sg, backendSG)...)
		if spare := spareRules(sg, backendSG, keep); len(spare) > 0 {
			if err := d.revoke(ctx, sg, spare); err != nil {
				return err
			}
			if err = d.authorize(ctx, sg, add); err == nil || !isRuleLimit(err) {
				return err
			}
		}
	}
	return &RuleLimitError{Group: sg.ID, Holding: len(sg.Ingress), Adding: len(add)}
}

// spareRules are kelb's rules in sg that no needed port depends on: every
// needed port they allow is allowed by another rule too.
func spareRules(sg *SecurityGroupState, backendSG string, needs []model.BackendRule) []model.Rule {
	mine := neededIn(needs, sg.ID)
	var spare []model.Rule
	for i, r := range sg.Ingress {
		if !isOurs(r) || (r.CIDR == "" && r.SourceSG != backendSG) {
			continue
		}
		others := make([]model.Rule, 0, len(sg.Ingress)-1)
		for j, o := range sg.Ingress {
			if j != i && !containsRule(spare, o) {
				others = append(others, o)
			}
		}
		required := false
		for _, n := range mine {
			if covered([]model.Rule{r}, backendSG, n) && !covered(others, backendSG, n) {
				required = true
				break
			}
		}
		if !required {
			spare = append(spare, r)
		}
	}
	return spare
}

// neededIn returns the needs in one group.
func neededIn(needs []model.BackendRule, group string) []model.BackendRule {
	var out []model.BackendRule
	for _, n := range needs {
		if n.NodeSG == group {
			out = append(out, n)
		}
	}
	return out
}

func containsRule(rules []model.Rule, r model.Rule) bool {
	for _, x := range rules {
		if keyOf(x) == keyOf(r) {
			return true
		}
	}
	return false
}

// inUse returns, as needs in sg, the ports the target groups AWS holds now
// receive traffic on, from every source kelb's rules in sg use: until a
// listener moves to a replacement target group, the old one still serves.
func (d *Deployer) inUse(sg *SecurityGroupState, backendSG string) []model.BackendRule {
	sources := map[string]bool{}
	for _, r := range sg.Ingress {
		if isOurs(r) && (r.CIDR != "" || r.SourceSG == backendSG) {
			sources[r.CIDR] = true // "" stands for the backend group
		}
	}
	d.inv.mu.Lock()
	defer d.inv.mu.Unlock()
	var out []model.BackendRule
	for _, st := range d.inv.stacks {
		for _, tg := range st.TargetGroups {
			ports := []int32{tg.Port}
			for _, t := range tg.Targets {
				ports = append(ports, t.Port)
			}
			if hc, err := strconv.Atoi(tg.HealthCheck.Port); err == nil {
				ports = append(ports, int32(hc))
			}
			for _, proto := range protocolsOf(tg.Protocol) {
				for _, p := range ports {
					for cidr := range sources {
						out = append(out, model.BackendRule{NodeSG: sg.ID, Protocol: proto, Port: p, CIDR: cidr})
					}
				}
			}
		}
	}
	return out
}

// protocolsOf maps a target group protocol to EC2 rule protocols.
func protocolsOf(p string) []string {
	switch p {
	case "UDP":
		return []string{"udp"}
	case "TCP_UDP":
		return []string{"tcp", "udp"}
	}
	return []string{"tcp"}
}
