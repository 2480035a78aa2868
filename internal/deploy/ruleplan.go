package deploy

import "github.com/kelb-dev/kelb/internal/model"

// ruleChange is what the planner knows of one security group.
type ruleChange struct {
	Have    []model.Rule // every rule in the group, whoever made it
	Desired []model.Rule // the rules kelb wants there
	// Add is what to authorize now; nil means every desired rule missing.
	Add []model.Rule
	// Keep are the ports traffic needs now or next (the needs, the ports
	// target groups in AWS serve, what other controllers' objects may use):
	// a rule of kelb's that lets one of them in, when no desired rule does,
	// is neither revoked nor freed.
	Keep      []model.BackendRule
	BackendSG string
	// Limit is how many rules the group may hold; 0 when unknown.
	Limit int
}

// rulePlan is the ordered change to one group: Free first (kelb's unwanted
// rules no traffic depends on, to make room), then Authorize, then Revoke.
// Blocked means the group cannot take Authorize within Limit even so:
// nothing is done and every rule stays.
type rulePlan struct {
	Free, Authorize, Revoke []model.Rule
	Blocked                 bool
}

// planRules plans make-before-break: what is added goes in before anything
// kelb no longer wants is revoked; only kelb's own rules are ever revoked.
func planRules(c ruleChange) rulePlan {
	have := ruleSet(c.Have)
	want := ruleSet(c.Desired)
	var p rulePlan
	add := c.Add
	if add == nil {
		for _, r := range c.Desired {
			if !have[keyOf(r)] {
				add = append(add, r)
			}
		}
	}
	p.Authorize = add
	for _, r := range c.Have {
		if isOurs(r) && r.PrefixListID == "" && (r.CIDR != "" || r.SourceSG == c.BackendSG) && !want[keyOf(r)] &&
			!keepsTraffic(r, c.Desired, c.BackendSG, c.Keep) {
			p.Revoke = append(p.Revoke, r)
		}
	}
	if c.Limit <= 0 || len(c.Have)+len(p.Authorize) <= c.Limit {
		return p
	}
	// Over the limit: free the unwanted rules that no kept port depends on.
	spare := ruleSet(spareRules(c.Have, c.BackendSG, c.Keep))
	var revokeLater []model.Rule
	for _, r := range p.Revoke {
		if spare[keyOf(r)] {
			p.Free = append(p.Free, r)
		} else {
			revokeLater = append(revokeLater, r)
		}
	}
	p.Revoke = revokeLater
	if len(c.Have)-len(p.Free)+len(p.Authorize) > c.Limit {
		return rulePlan{Blocked: true}
	}
	return p
}

// keepsTraffic reports whether r lets in a kept port that no desired rule
// lets in: revoking it would cut traffic that flows or is about to.
func keepsTraffic(r model.Rule, desired []model.Rule, backendSG string, keep []model.BackendRule) bool {
	for _, k := range keep {
		if allows(r, backendSG, k) && !covered(desired, backendSG, k) {
			return true
		}
	}
	return false
}
