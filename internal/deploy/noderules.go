package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/kelb-dev/kelb/internal/model"
)

// SyncBackendRules makes the node security groups allow what needs asks
// for and, when the needs are complete, revokes kelb's rules that nothing
// needs any longer. Only one caller may run it (the node-rules writer):
// needs must be computed from current state right before the call.
//
// Order per group: authorize first; then, only if something is to be
// revoked, read the group again from AWS, authorize what it lacks, confirm
// every desired rule is there, and revoke. It returns the error of each
// group it could not bring into shape; the others are done.
func (d *Deployer) SyncBackendRules(ctx context.Context, needs BackendNeeds) (map[string]error, error) {
	backendSG := d.backendSGID()
	if backendSG == "" && needsBackendSG(needs.Rules) {
		var err error
		if backendSG, err = d.ensureBackendSG(ctx); err != nil {
			return nil, err
		}
	}
	desired := desiredBackendRules(backendSG, needs.Rules, d.cfg.UnrestrictedBackendRules)
	groups := map[string]bool{}
	for _, id := range needs.NodeSGs {
		groups[id] = true
	}
	for id := range desired {
		groups[id] = true
	}
	ids := sortedKeys(groups)
	d.nodeSGMu.Lock()
	defer d.nodeSGMu.Unlock()
	sgs, err := d.nodeSecurityGroups(ctx, ids)
	if err != nil {
		return nil, err
	}
	errs := map[string]error{}
	for _, id := range ids {
		sg, ok := sgs[id]
		if !ok {
			errs[id] = fmt.Errorf("node security group %s not found", id)
			continue
		}
		if err := d.syncGroup(ctx, sg, desired[id], backendSG, needs); err != nil {
			errs[id] = err
		}
	}
	return errs, nil
}

func needsBackendSG(rules []model.BackendRule) bool {
	for _, r := range rules {
		if r.CIDR == "" {
			return true
		}
	}
	return false
}

// syncGroup brings one node group into shape; the caller holds nodeSGMu.
func (d *Deployer) syncGroup(ctx context.Context, sg *SecurityGroupState, desired []model.Rule, backendSG string,
	needs BackendNeeds) error {
	change := ruleChange{Desired: desired, BackendSG: backendSG, Keep: d.keepIn(sg, backendSG, needs)}
	if !needs.Complete {
		// Some Service's needs are unknown: add what is missing for the
		// known ones, take nothing away.
		change.Add = missingFor(sg.Ingress, desired, backendSG, needs.Rules, sg.ID)
		if len(change.Add) == 0 {
			return nil
		}
		return d.applyPlan(ctx, sg, change, false, false)
	}
	change.Have = sg.Ingress
	plan := planRules(change)
	if len(plan.Authorize) == 0 && len(plan.Revoke) == 0 {
		return nil
	}
	if len(plan.Revoke) > 0 {
		// What is revoked is decided on what AWS holds now, not on what
		// kelb last saw: a rule someone else added may cover a port, and
		// one kelb thinks present may be gone. And on what Services asked
		// for until now: a claim made since the needs were computed is kept.
		if err := d.rereadSecurityGroup(ctx, sg); err != nil {
			return err
		}
		if needs.Late != nil {
			for _, r := range needs.Late() {
				if r.NodeSG == sg.ID {
					change.Keep = append(change.Keep, r)
				}
			}
		}
	}
	return d.applyPlan(ctx, sg, change, true, true)
}

// missingFor returns the desired rules that cover a need of the group that
// no rule in have covers.
func missingFor(have, desired []model.Rule, backendSG string, needs []model.BackendRule, group string) []model.Rule {
	haveKeys := ruleSet(have)
	var out []model.Rule
	for _, r := range desired {
		if haveKeys[keyOf(r)] {
			continue
		}
		for _, n := range needs {
			if n.NodeSG == group && sourceOf(backendSG, n) != (source{}) && !covered(have, backendSG, n) &&
				covered([]model.Rule{r}, backendSG, n) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// ErrNoBackendSG means rules from the backend group were asked for before
// the group exists: the node-rules writer's full run creates it.
var ErrNoBackendSG = errors.New("the shared backend security group does not exist yet")

// AuthorizeFor adds to the node groups what rules need and they do not let
// in yet: exactly those ports (adjacent ones in one rule), nothing wider,
// nothing revoked. The node-rules writer's next run shapes the rules. At a
// group's quota it returns a RuleLimitError: only a full run may make room.
func (d *Deployer) AuthorizeFor(ctx context.Context, rules []model.BackendRule) error {
	if len(rules) == 0 {
		return nil
	}
	backendSG := d.backendSGID()
	if backendSG == "" && needsBackendSG(rules) {
		return ErrNoBackendSG
	}
	byGroup := map[string][]model.BackendRule{}
	for _, r := range rules {
		byGroup[r.NodeSG] = append(byGroup[r.NodeSG], r)
	}
	ids := sortedKeys(byGroup)
	d.nodeSGMu.Lock()
	defer d.nodeSGMu.Unlock()
	sgs, err := d.nodeSecurityGroups(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		sg, ok := sgs[id]
		if !ok {
			return fmt.Errorf("node security group %s not found", id)
		}
		exact := desiredBackendRules(backendSG, byGroup[id], d.cfg.UnrestrictedBackendRules)[id]
		add := missingFor(sg.Ingress, exact, backendSG, byGroup[id], id)
		if err := d.authorize(ctx, sg, add); err != nil {
			if isRuleLimit(err) {
				return &RuleLimitError{Group: id, Holding: len(sg.Ingress), Adding: len(add)}
			}
			return err
		}
	}
	return nil
}
