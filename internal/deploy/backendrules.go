package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/kelb-dev/kelb/internal/model"
)

// Rules on node security groups are shared: a port may serve several
// stacks, so the rules kelb wants in a node group follow from what every
// stack needs together. kelb recognises its rules by source (the backend
// group) and description, and never revokes anyone else's.
//
// One rule per port does not scale: AWS allows 60 rules per group, and 100
// instance-target Services need 100 node ports. From the backend group kelb
// covers the needed ports with at most BackendRuleBudget ranges per group
// and protocol: adjacent ports always share a range, and beyond the budget
// the ranges closest together are merged. A wider range opens no port to
// clients: its only source is the backend group, which only load balancers
// carry, and they send traffic only to registered targets. A rule from a
// CIDR (a load balancer without security groups) lets in whoever is in that
// range, so it allows exactly the ports that are needed from there: never
// merged; at the quota the change is refused (SecurityGroupRuleLimit).

// BackendRuleBudget is the most rules kelb keeps per node group and protocol.
const BackendRuleBudget = 20

// BackendNeeds is what the cluster needs in the node groups.
type BackendNeeds struct {
	// NodeSGs are every node security group kelb manages rules in.
	NodeSGs []string
	// Rules is the union of the backend rules of every stack that stays.
	Rules []model.BackendRule
	// Complete is false when some stack's needs are unknown (its Service is
	// invalid): then nothing is revoked, so its traffic keeps flowing.
	Complete bool
	// Protected are ports that objects kelb does not serve (LBC's
	// TargetGroupBindings and Ingresses, which share the rules' description)
	// may receive traffic on, in every node group and from any source: a
	// rule of kelb's that lets one of them in is never revoked. Their NodeSG
	// is empty and their CIDR is AnySource.
	Protected []model.BackendRule
	// Deployed are the stacks whose Rules describe every port and source
	// they use in AWS now. For the others (not reconciled since kelb
	// started, or mid-change, and every stack of a kind kelb does not serve,
	// such as an Ingress group LBC made) whatever their target groups serve
	// is kept, from every source kelb's rules there allow.
	Deployed map[model.StackID]bool
	// Leaving are the stacks whose Service is being deleted or is no longer
	// kelb's: what they asked for is not kept (their load balancer is on
	// its way out), so that deleting many Services at once revokes their
	// rules in one change instead of reshaping the ranges once per Service.
	Leaving map[model.StackID]bool
	// Late returns what Services have asked for up to this moment; it is
	// consulted right before anything is revoked (with the node groups
	// locked), so that a claim made while the needs were being computed is
	// never revoked from under it.
	Late func() []model.BackendRule
}

// AnySource in a need's CIDR matches a rule from any source.
const AnySource = "*"

// compactPorts covers ports with at most budget inclusive ranges.
func compactPorts(ports []int32, budget int) [][2]int32 {
	sorted := append([]int32(nil), ports...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var ranges [][2]int32
	for _, p := range sorted {
		if n := len(ranges); n > 0 && p <= ranges[n-1][1]+1 {
			ranges[n-1][1] = max(ranges[n-1][1], p)
			continue
		}
		ranges = append(ranges, [2]int32{p, p})
	}
	for len(ranges) > max(budget, 1) {
		best := 0 // merge the pair with the smallest gap; the lowest on ties
		for i := 1; i < len(ranges)-1; i++ {
			if ranges[i+1][0]-ranges[i][1] < ranges[best+1][0]-ranges[best][1] {
				best = i
			}
		}
		ranges[best][1] = ranges[best+1][1]
		ranges = append(ranges[:best+1], ranges[best+2:]...)
	}
	return ranges
}

// allTraffic is the one rule per node group of --disable-restricted-sg-rules.
const allTraffic = "-1"

// source is where a rule lets traffic in from.
type source struct{ cidr, sg string }

func sourceOf(backendSG string, r model.BackendRule) source {
	if r.CIDR != "" {
		return source{cidr: r.CIDR}
	}
	return source{sg: backendSG}
}

// desiredBackendRules returns, per node group, the rules covering needs:
// per protocol and source, the ports compacted into ranges. Needs from the
// backend group are dropped while there is none.
func desiredBackendRules(backendSG string, needs []model.BackendRule, unrestricted bool) map[string][]model.Rule {
	type key struct {
		proto string
		src   source
	}
	ports := map[string]map[key][]int32{} // node group -> protocol and source -> ports
	for _, r := range needs {
		src := sourceOf(backendSG, r)
		if src == (source{}) {
			continue
		}
		if ports[r.NodeSG] == nil {
			ports[r.NodeSG] = map[key][]int32{}
		}
		k := key{r.Protocol, src}
		if unrestricted && src.sg != "" {
			k.proto = allTraffic
		}
		ports[r.NodeSG][k] = append(ports[r.NodeSG][k], r.Port)
	}
	out := map[string][]model.Rule{}
	for sg, byKey := range ports {
		keys := make([]key, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, b := keys[i], keys[j]
			if a.proto != b.proto {
				return a.proto < b.proto
			}
			return a.src.cidr+a.src.sg < b.src.cidr+b.src.sg
		})
		for _, k := range keys {
			budget := BackendRuleBudget
			if k.src.cidr != "" {
				budget = len(byKey[k]) // exact ports: adjacent ones share a rule, no gap is ever bridged
			}
			ranges := compactPorts(byKey[k], budget)
			if k.proto == allTraffic {
				ranges = [][2]int32{{0, 0}}
			}
			for _, rg := range ranges {
				out[sg] = append(out[sg], model.Rule{Protocol: k.proto, FromPort: rg[0], ToPort: rg[1], CIDR: k.src.cidr,
					SourceSG: k.src.sg, Description: model.BackendRuleDescription})
			}
		}
	}
	return out
}

// isOurs reports whether kelb made the rule: only those are ever revoked.
func isOurs(r model.Rule) bool { return r.Description == model.BackendRuleDescription }

// covered reports whether a rule with the need's source lets its port in;
// a rule anyone made counts.
func covered(rules []model.Rule, backendSG string, r model.BackendRule) bool {
	for _, have := range rules {
		if allows(have, backendSG, r) {
			return true
		}
	}
	return false
}

// allows reports whether one rule lets the need in: same source (any, for
// AnySource), and its protocol and port.
func allows(have model.Rule, backendSG string, n model.BackendRule) bool {
	if n.CIDR != AnySource && (source{cidr: have.CIDR, sg: have.SourceSG}) != sourceOf(backendSG, n) {
		return false
	}
	return have.Protocol == allTraffic || have.Protocol == n.Protocol && have.FromPort <= n.Port && n.Port <= have.ToPort
}

// BackendSGID is the id of the backend group node rules are written from:
// the user's (--backend-security-group) or the shared one kelb manages ("" while
// there is none). The inventory must be loaded.
func (d *Deployer) BackendSGID() string { return d.backendSGID() }

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

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
