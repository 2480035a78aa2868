package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/kelb-dev/kelb/internal/model"
)

// Rules on node security groups are shared: a port may serve several stacks,
// so kelb authorizes what one stack needs and revokes only what no stack
// needs. Its rules are recognised by source (the backend group) and
// description; rules anyone else made are never revoked.

func backendRule(backendSG string, r model.BackendRule) model.Rule {
	return model.Rule{Protocol: r.Protocol, FromPort: r.Port, ToPort: r.Port, SourceSG: backendSG,
		Description: model.BackendRuleDescription}
}

func (d *Deployer) backendSGID() string {
	if d.cfg.BackendSGID != "" {
		return d.cfg.BackendSGID
	}
	d.inv.mu.Lock()
	defer d.inv.mu.Unlock()
	if d.inv.backendSG == nil {
		return ""
	}
	return d.inv.backendSG.ID
}

// nodeSecurityGroups returns the states of the groups, reading the unknown
// ones in one call. The caller holds nodeSGMu.
func (d *Deployer) nodeSecurityGroups(ctx context.Context, ids []string) (map[string]*SecurityGroupState, error) {
	out := map[string]*SecurityGroupState{}
	var unknown []string
	d.inv.mu.Lock()
	for _, id := range ids {
		if sg, ok := d.inv.nodeSGs[id]; ok {
			out[id] = sg
		} else {
			unknown = append(unknown, id)
		}
	}
	d.inv.mu.Unlock()
	if len(unknown) == 0 {
		return out, nil
	}
	sort.Strings(unknown)
	resp, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: unknown})
	if err != nil {
		return nil, fmt.Errorf("describing node security groups %v: %w", unknown, err)
	}
	d.inv.mu.Lock()
	defer d.inv.mu.Unlock()
	for _, sg := range resp.SecurityGroups {
		st := securityGroupState(sg)
		d.inv.nodeSGs[st.ID] = st
		out[st.ID] = st
	}
	return out, nil
}

func (d *Deployer) knownNodeSGs() []string {
	d.inv.mu.Lock()
	defer d.inv.mu.Unlock()
	var out []string
	for id := range d.inv.nodeSGs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// authorizeBackendRules adds the missing rules, one call per node group.
func (d *Deployer) authorizeBackendRules(ctx context.Context, backendSG string, rules []model.BackendRule) error {
	if backendSG == "" || len(rules) == 0 {
		return nil
	}
	bySG := map[string][]model.Rule{}
	for _, r := range rules {
		bySG[r.NodeSG] = append(bySG[r.NodeSG], backendRule(backendSG, r))
	}
	d.nodeSGMu.Lock()
	defer d.nodeSGMu.Unlock()
	sgs, err := d.nodeSecurityGroups(ctx, sortedKeys(bySG))
	if err != nil {
		return err
	}
	for _, id := range sortedKeys(bySG) {
		sg, ok := sgs[id]
		if !ok {
			return fmt.Errorf("node security group %s not found", id)
		}
		have := ruleSet(sg.Ingress)
		var missing []model.Rule
		for _, r := range bySG[id] {
			if !have[keyOf(r)] {
				missing = append(missing, r)
			}
		}
		if err := d.authorize(ctx, sg, missing); err != nil {
			return err
		}
	}
	return nil
}

// revokeBackendRules revokes kelb's rules in the node groups that no stack
// needs any longer.
func (d *Deployer) revokeBackendRules(ctx context.Context, nodeSGs []string, needed []model.BackendRule) error {
	backendSG := d.backendSGID()
	if backendSG == "" || len(nodeSGs) == 0 {
		return nil
	}
	keep := map[string]map[ruleKey]bool{}
	for _, r := range needed {
		if keep[r.NodeSG] == nil {
			keep[r.NodeSG] = map[ruleKey]bool{}
		}
		keep[r.NodeSG][keyOf(backendRule(backendSG, r))] = true
	}
	d.nodeSGMu.Lock()
	defer d.nodeSGMu.Unlock()
	sgs, err := d.nodeSecurityGroups(ctx, nodeSGs)
	if err != nil {
		return err
	}
	for _, id := range sortedKeys(sgs) {
		sg := sgs[id]
		var extra []model.Rule
		for _, r := range sg.Ingress {
			if r.SourceSG == backendSG && r.Description == model.BackendRuleDescription && !keep[id][keyOf(r)] {
				extra = append(extra, r)
			}
		}
		if err := d.revoke(ctx, sg, extra); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
