package deploy

import (
	"context"
	"fmt"

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

// applyPlan changes one group as planRules says. At the rule limit (which
// kelb learns only from AWS's refusal) it plans again to make room without
// loss, and gives up with a RuleLimitError, every rule kept, when that is
// not enough. Room is only
// made with complete needs: an unknown need might depend on any rule.
func (d *Deployer) applyPlan(ctx context.Context, sg *SecurityGroupState, c ruleChange, complete, revoke bool) error {
	c.Have = sg.Ingress
	plan := planRules(c)
	err := d.authorize(ctx, sg, plan.Authorize)
	if err != nil && isRuleLimit(err) && complete {
		// All kelb knows of the limit: below what it just asked for. Free
		// what it can; AWS decides on the second try.
		c.Have, c.Limit = sg.Ingress, len(sg.Ingress)+len(plan.Authorize)-1
		if plan = planRules(c); !plan.Blocked && len(plan.Free) > 0 {
			if err := d.revoke(ctx, sg, plan.Free); err != nil {
				return err
			}
			err = d.authorize(ctx, sg, plan.Authorize)
		}
	}
	if err != nil && isRuleLimit(err) {
		return &RuleLimitError{Group: sg.ID, Holding: len(sg.Ingress), Adding: len(plan.Authorize)}
	}
	if err != nil || !revoke || len(plan.Revoke) == 0 {
		return err
	}
	// Break only after make: every desired rule must be in the group now.
	have := ruleSet(sg.Ingress)
	for _, r := range c.Desired {
		if !have[keyOf(r)] {
			return fmt.Errorf("security group %s: rule %s %d-%d from %s%s is not in place; revoking nothing",
				sg.ID, r.Protocol, r.FromPort, r.ToPort, r.CIDR, r.SourceSG)
		}
	}
	return d.revoke(ctx, sg, plan.Revoke)
}

// spareRules are kelb's rules in have that no kept port depends on: every
// kept port they allow is allowed by another rule too.
func spareRules(have []model.Rule, backendSG string, keep []model.BackendRule) []model.Rule {
	var spare []model.Rule
	for i, r := range have {
		if !isOurs(r) || r.PrefixListID != "" || (r.CIDR == "" && r.SourceSG != backendSG) {
			continue
		}
		others := make([]model.Rule, 0, len(have)-1)
		for j, o := range have {
			if j != i && !containsRule(spare, o) {
				others = append(others, o)
			}
		}
		required := false
		for _, n := range keep {
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

// keepIn returns what traffic needs in one group: the needs there, the
// ports target groups serve now, and what other controllers' objects may
// use.
func (d *Deployer) keepIn(sg *SecurityGroupState, backendSG string, needs BackendNeeds) []model.BackendRule {
	var out []model.BackendRule
	for _, n := range needs.Rules {
		if n.NodeSG == sg.ID {
			out = append(out, n)
		}
	}
	for _, p := range needs.Protected {
		p.NodeSG = sg.ID
		out = append(out, p)
	}
	return append(out, d.inUse(sg, backendSG, needs.Deployed)...)
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
// Stacks whose deployed needs are known (deployed) are left out: their
// needs say exactly which sources they use.
func (d *Deployer) inUse(sg *SecurityGroupState, backendSG string, deployed map[model.StackID]bool) []model.BackendRule {
	sources := map[string]bool{}
	for _, r := range sg.Ingress {
		if isOurs(r) && r.PrefixListID == "" && (r.CIDR != "" || r.SourceSG == backendSG) {
			sources[r.CIDR] = true // "" stands for the backend group
		}
	}
	d.inv.mu.Lock()
	defer d.inv.mu.Unlock()
	var out []model.BackendRule
	for id, sum := range d.inv.summaries {
		if deployed[id] {
			continue
		}
		for _, r := range sum.serving {
			for cidr := range sources {
				out = append(out, model.BackendRule{NodeSG: sg.ID, Protocol: r.Protocol, Port: r.Port, CIDR: cidr})
			}
		}
	}
	return out
}
