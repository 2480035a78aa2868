package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// sdkRule is a wanted rule in the API's form with its meaning.
type sdkRule struct {
	Priority   int32
	Conditions []elbtypes.RuleCondition
	Actions    []elbtypes.Action
	Transforms []elbtypes.RuleTransform
	Tags       map[string]string
	Key        string
	// Meaning is Key without the OIDC client's fingerprint (Client).
	Meaning string
	Client  string
}

// listenerRuleKey is the meaning of a rule: its conditions, actions and
// transforms (a rule without transforms has the key it had before kelb
// wrote any).
func listenerRuleKey(conditions []elbtypes.RuleCondition, actions []elbtypes.Action,
	transforms ...elbtypes.RuleTransform) string {
	key := canonicalConditions(conditions) + " => " + canonicalActions(actions)
	if len(transforms) > 0 {
		key += " ~ " + canonicalTransforms(transforms)
	}
	return key
}

// sdkRules turns the wanted rules into the API's form.
func sdkRules(rules []model.ListenerRule, tgARNs map[string]string) ([]sdkRule, error) {
	out := make([]sdkRule, 0, len(rules))
	for _, r := range rules {
		actions, err := sdkActions(r.Actions, tgARNs)
		if err != nil {
			return nil, fmt.Errorf("rule of priority %d: %w", r.Priority, err)
		}
		conditions, transforms := sdkConditions(r.Conditions), sdkTransforms(r.Transforms)
		meaning, client := listenerRuleKey(conditions, actions, transforms...), oidcClientOf(r.Actions)
		out = append(out, sdkRule{Priority: r.Priority, Conditions: conditions, Actions: actions,
			Transforms: transforms, Tags: r.Tags, Key: withClient(meaning, client), Meaning: meaning, Client: client})
	}
	return out, nil
}

// ensureListenerRules makes an application listener's rules the wanted
// ones (planListenerRules), with no moment where a request that a rule
// matches before and after finds none. The rules are read once (a new
// listener has none) and then known from kelb's writes until the next
// drift check, so a converged listener costs no call.
//
// The unwanted rules are not deleted here: the caller deletes them
// (deleteRules) once every listener's new rules exist, so a request that
// moves from one listener's rule to another's (ssl-redirect turned on) is
// served throughout.
//
// A rule that would move to a target group in notReady keeps forwarding
// where it does (holdRules); held lists the target groups it keeps using.
func (d *Deployer) ensureListenerRules(ctx context.Context, lb *LoadBalancerState, l *ListenerState,
	want []model.ListenerRule, tgARNs map[string]string, kept map[string]string,
	notReady map[string]bool) (unwanted, held []string, err error) {
	rules, err := sdkRules(want, tgARNs)
	if err != nil {
		return nil, nil, fmt.Errorf("listener %d of load balancer %s: %w", l.Port, lb.Name, err)
	}
	if !l.RulesKnown {
		have, err := d.describeRules(ctx, l.ARN)
		if err != nil {
			return nil, nil, fmt.Errorf("reading rules of listener %d of load balancer %s: %w", l.Port, lb.Name, err)
		}
		l.Rules, l.RulesKnown = have, true
	}
	adoptClients(l.Rules, rules)
	rules = expandKeptRules(want, rules, l.Rules, kept)
	held = holdRules(l.Rules, rules, notReady)
	placeRules(l.Port, rules, l.Rules)
	wants := make([]ruleWant, len(rules))
	for i, r := range rules {
		wants[i] = ruleWant{Priority: r.Priority, Key: r.Key}
	}
	plan := planListenerRules(l.Rules, wants)
	plan.makeRoom(len(l.Rules), maxRulesPerListener)
	if plan.Empty() {
		return nil, held, nil
	}
	byARN := map[string]*ruleHave{}
	for i := range l.Rules {
		byARN[l.Rules[i].ARN] = &l.Rules[i]
	}
	for _, m := range plan.Modify {
		w := rules[m.Want]
		in := &elbv2.ModifyRuleInput{RuleArn: aws.String(m.ARN), Conditions: w.Conditions, Actions: w.Actions}
		switch {
		case len(w.Transforms) > 0:
			in.Transforms = w.Transforms
		case len(byARN[m.ARN].Transforms) > 0:
			// AWS keeps a rule's transforms unless told to drop them.
			in.ResetTransforms = aws.Bool(true)
		}
		if _, err := d.elb.ModifyRule(ctx, in); err != nil {
			return nil, nil, fmt.Errorf("modifying rule of priority %d on listener %d of load balancer %s: %w", w.Priority,
				l.Port, lb.Name, err)
		}
		// The tag follows the write: a crash in between leaves the old
		// fingerprint, and the action is written once more.
		if w.Client != "" {
			if _, err := d.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{m.ARN},
				Tags: elbTags(clientTag(w.Client))}); err != nil {
				return nil, nil, fmt.Errorf("tagging rule of priority %d on listener %d of load balancer %s: %w",
					w.Priority, l.Port, lb.Name, err)
			}
		}
		byARN[m.ARN].Key, byARN[m.ARN].TargetGroups = w.Key, forwardTargets(w.Actions)
		byARN[m.ARN].Meaning, byARN[m.ARN].Client, byARN[m.ARN].ClientUnknown = w.Meaning, w.Client, false
		byARN[m.ARN].Conditions, byARN[m.ARN].Actions = canonicalConditions(w.Conditions), withoutSecrets(w.Actions)
		byARN[m.ARN].Transforms = w.Transforms
	}
	if len(plan.Move) > 0 {
		in := &elbv2.SetRulePrioritiesInput{}
		for _, m := range plan.Move {
			in.RulePriorities = append(in.RulePriorities, elbtypes.RulePriorityPair{RuleArn: aws.String(m.ARN),
				Priority: aws.Int32(m.Priority)})
		}
		if _, err := d.elb.SetRulePriorities(ctx, in); err != nil {
			return nil, nil, fmt.Errorf("setting rule priorities on listener %d of load balancer %s: %w", l.Port, lb.Name, err)
		}
		for _, m := range plan.Move {
			byARN[m.ARN].Priority = m.Priority
		}
		// A moved rule's resource tag names its priority, as LBC tags
		// rules: only the keys that change are written.
		for _, arn := range sortedKeys(plan.Retag) {
			w := rules[plan.Retag[arn]]
			if err := d.retagRule(ctx, arn, w.Tags); err != nil {
				return nil, nil, fmt.Errorf("tagging rule of priority %d on listener %d of load balancer %s: %w", w.Priority,
					l.Port, lb.Name, err)
			}
		}
	}
	if err := d.deleteRules(ctx, lb, l, plan.DeleteFirst); err != nil {
		return nil, nil, err
	}
	for _, wi := range plan.Create {
		w := rules[wi]
		out, err := d.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(l.ARN),
			Priority: aws.Int32(w.Priority), Conditions: w.Conditions, Actions: w.Actions, Transforms: w.Transforms,
			Tags: elbTags(model.MergeTags(w.Tags, clientTag(w.Client)))})
		if err != nil {
			return nil, nil, fmt.Errorf("creating rule of priority %d on listener %d of load balancer %s: %w", w.Priority,
				l.Port, lb.Name, err)
		}
		if len(out.Rules) != 1 {
			return nil, nil, fmt.Errorf("creating rule of priority %d on listener %d: AWS returned %d rules", w.Priority,
				l.Port, len(out.Rules))
		}
		l.Rules = append(l.Rules, ruleHave{ARN: aws.ToString(out.Rules[0].RuleArn), Priority: w.Priority, Key: w.Key,
			Meaning: w.Meaning, Client: w.Client, TargetGroups: forwardTargets(w.Actions),
			Conditions: canonicalConditions(w.Conditions), Actions: withoutSecrets(w.Actions), Transforms: w.Transforms})
	}
	sort.Slice(l.Rules, func(i, j int) bool { return l.Rules[i].Priority < l.Rules[j].Priority })
	return plan.Delete, held, nil
}

// deleteRules deletes rules of the listener (one gone already is fine).
func (d *Deployer) deleteRules(ctx context.Context, lb *LoadBalancerState, l *ListenerState, arns []string) error {
	for _, arn := range arns {
		if _, err := d.elb.DeleteRule(ctx, &elbv2.DeleteRuleInput{RuleArn: aws.String(arn)}); err != nil &&
			!awsclient.IsNotFound(err) {
			return fmt.Errorf("deleting rule %s on listener %d of load balancer %s: %w", arn, l.Port, lb.Name, err)
		}
		l.Rules = slices.DeleteFunc(l.Rules, func(r ruleHave) bool { return r.ARN == arn })
	}
	return nil
}

// retagRule sets the rule's tracking resource tag (and the other wanted
// tags) after a move; tags are only added or overwritten, never removed.
func (d *Deployer) retagRule(ctx context.Context, arn string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	_, err := d.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{arn}, Tags: elbTags(tags)})
	return err
}

// describeRules returns a listener's rules but the default one.
func (d *Deployer) describeRules(ctx context.Context, listenerARN string) ([]ruleHave, error) {
	var out []ruleHave
	in := &elbv2.DescribeRulesInput{ListenerArn: aws.String(listenerARN), PageSize: aws.Int32(400)}
	for {
		page, err := d.elb.DescribeRules(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			var priority int32
			if _, err := fmt.Sscanf(aws.ToString(r.Priority), "%d", &priority); err != nil {
				return nil, fmt.Errorf("rule %s has priority %q: %w", aws.ToString(r.RuleArn), aws.ToString(r.Priority), err)
			}
			meaning := listenerRuleKey(r.Conditions, r.Actions, r.Transforms...)
			out = append(out, ruleHave{ARN: aws.ToString(r.RuleArn), Priority: priority, Key: meaning, Meaning: meaning,
				ClientUnknown: hasOIDC(r.Actions), TargetGroups: forwardTargets(r.Actions),
				Conditions: canonicalConditions(r.Conditions), Actions: r.Actions, Transforms: r.Transforms})
		}
		if aws.ToString(page.NextMarker) == "" {
			break
		}
		in.Marker = page.NextMarker
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out, d.readRuleClients(ctx, out)
}

// readRuleClients reads the OIDC client fingerprint kelb tagged each OIDC
// rule with (one DescribeTags per 20 such rules; rules without OIDC cost
// nothing). A rule without the tag stays ClientUnknown.
func (d *Deployer) readRuleClients(ctx context.Context, rules []ruleHave) error {
	var arns []string
	byARN := map[string]*ruleHave{}
	for i := range rules {
		if rules[i].ClientUnknown {
			arns = append(arns, rules[i].ARN)
			byARN[rules[i].ARN] = &rules[i]
		}
	}
	tags, err := d.describeListenerTags(ctx, arns)
	if err != nil {
		return fmt.Errorf("reading the tags of OIDC rules: %w", err)
	}
	for arn, t := range tags {
		if client := t[model.TagOIDCClient]; client != "" && byARN[arn] != nil {
			r := byARN[arn]
			r.Client, r.Key, r.ClientUnknown = client, withClient(r.Meaning, client), false
		}
	}
	return nil
}
