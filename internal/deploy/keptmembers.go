package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// An explicit Ingress group's member whose input is invalid or conflicts
// is left out of the group's build (model.ApplicationStack.KeptMembers):
// what it has in AWS stays as it is, so traffic that flowed keeps flowing
// while its author fixes it. Its target groups are the stack's whose
// resource id names it; its bindings those of these target groups; its
// rules those that forward to them, kept in their current order where the
// builder put the member's place holder.

// keepTargetGroups adds the kept members' target groups to tgARNs (so that
// they are not deleted) and returns them by ARN, with their member.
func keepTargetGroups(st *StackState, app *model.ApplicationStack, tgARNs map[string]string) map[string]string {
	kept := map[string]string{}
	if app == nil || len(app.KeptMembers) == 0 {
		return kept
	}
	for _, tg := range st.TargetGroups {
		rid := tg.ResourceID()
		if _, wanted := tgARNs[rid]; wanted || rid == "" {
			continue
		}
		if m := model.MemberOfResource(rid, app.Members); m != "" && slices.Contains(app.KeptMembers, m) {
			kept[tg.ARN], tgARNs[rid] = m, tg.ARN
		}
	}
	return kept
}

// forwardTargets are the target group ARNs the forward actions name.
func forwardTargets(actions []elbtypes.Action) []string {
	var out []string
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if arn := aws.ToString(a.TargetGroupArn); arn != "" {
			out = append(out, arn)
		}
		if a.ForwardConfig != nil {
			for _, tg := range a.ForwardConfig.TargetGroups {
				out = append(out, aws.ToString(tg.TargetGroupArn))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// expandKeptRules puts, in place of each kept member's place holder, the
// rules the listener has that forward to that member's kept target groups
// (in their current order); placeRules then gives them their priorities.
// Without place holders the rules are returned as they are.
func expandKeptRules(want []model.ListenerRule, rules []sdkRule, have []ruleHave,
	kept map[string]string) []sdkRule {
	if !slices.ContainsFunc(want, func(r model.ListenerRule) bool { return r.KeptMember != "" }) {
		return rules
	}
	taken := map[string]bool{}
	var out []sdkRule
	for i, w := range want {
		if w.KeptMember == "" {
			out = append(out, rules[i])
			continue
		}
		for _, h := range have {
			if taken[h.ARN] || !slices.ContainsFunc(h.TargetGroups, func(arn string) bool {
				return kept[arn] == w.KeptMember
			}) {
				continue
			}
			taken[h.ARN] = true
			out = append(out, sdkRule{Key: h.Key, Tags: w.Tags})
		}
	}
	return out
}

// keptListenerPorts are the ports of the listeners no one wants that
// serve a kept member: their default action or one of their rules
// forwards to one of its target groups (a listen-ports entry only that
// member asked for). They stay, with their rules and the managed security
// group's rules for their port, until the member is fixed or goes. Their
// rules are read when not known, which happens only while a member is
// kept.
func (d *Deployer) keptListenerPorts(ctx context.Context, st *StackState, app *model.ApplicationStack,
	kept map[string]string) (map[int32]bool, error) {
	if len(kept) == 0 {
		return nil, nil
	}
	wanted := map[int32]bool{}
	for _, l := range app.Listeners {
		wanted[l.Port] = true
	}
	isKept := func(arn string) bool { return kept[arn] != "" }
	out := map[int32]bool{}
	for _, l := range st.Listeners {
		if wanted[l.Port] {
			continue
		}
		if !isKept(l.TargetGroupARN) && !l.RulesKnown {
			rules, err := d.describeRules(ctx, l.ARN)
			if err != nil {
				return nil, fmt.Errorf("reading rules of listener %d of load balancer %s: %w", l.Port,
					st.LoadBalancer.Name, err)
			}
			l.Rules, l.RulesKnown = rules, true
		}
		if isKept(l.TargetGroupARN) || slices.ContainsFunc(l.Rules, func(r ruleHave) bool {
			return slices.ContainsFunc(r.TargetGroups, isKept)
		}) {
			out[l.Port] = true
		}
	}
	return out, nil
}

// keptFrontendRules are the managed security group's rules that let
// traffic in to a kept listener's port.
func keptFrontendRules(sg *SecurityGroupState, ports map[int32]bool) []model.Rule {
	if sg == nil || len(ports) == 0 {
		return nil
	}
	var out []model.Rule
	for _, r := range sg.Ingress {
		for port := range ports {
			if r.Protocol == "-1" || (r.FromPort <= port && port <= r.ToPort) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}
