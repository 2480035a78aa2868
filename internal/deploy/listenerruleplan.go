package deploy

import (
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"slices"
	"sort"
)

// A listener's rules are changed so that no request ever falls to the
// default action in between: rules that stay are moved (all in one
// SetRulePriorities call, which AWS applies at once), rules whose meaning
// changes are modified in place, new rules are created, and only then are
// unwanted rules deleted.

// maxRulePriority is the highest priority AWS takes.
const maxRulePriority = 50000

// ruleHave is a rule AWS has: its ARN, priority and meaning.
type ruleHave struct {
	ARN      string
	Priority int32
	// Key is the rule's conditions and actions as canonical text, with
	// its OIDC client's fingerprint (withClient); Meaning is Key without
	// the fingerprint.
	Key, Meaning string
	// Client is the fingerprint of its OIDC action's client, from kelb's
	// tag (or taken as the wanted one, adoptClients); ClientUnknown: it
	// authenticates by OIDC and has no tag (not adopted yet).
	Client        string
	ClientUnknown bool
	// Conditions is the conditions' part of Key; Actions are the rule's
	// actions as AWS has them (kept while a rule is held, holdRules).
	Conditions string
	Actions    []elbtypes.Action
	// Transforms are the rule's transforms as AWS has them (a modify
	// that wants none resets them).
	Transforms []elbtypes.RuleTransform
	// TargetGroups are the ARNs its forward actions name (kept rules of
	// an excluded group member are found by them).
	TargetGroups []string
}

// ruleWant is a rule the listener should have.
type ruleWant struct {
	Priority int32
	Key      string
}

// ruleModify makes the rule ARN mean Want (Want: an index into the wanted
// rules); its priority is Want's already.
type ruleModify struct {
	ARN  string
	Want int
}

// ruleMove gives a rule a new priority.
type ruleMove struct {
	ARN      string
	Priority int32
}

// listenerRulePlan is the change of one listener's rules, applied in field
// order: Modify, Move (one call), DeleteFirst, Create, Delete. Retag are
// the kept rules whose priority (and so their resource tag) changes, by
// index into the wanted rules.
type listenerRulePlan struct {
	Modify []ruleModify
	Move   []ruleMove
	// DeleteFirst are unwanted rules that must go before the creates, as
	// the listener would otherwise hold more rules than AWS allows.
	DeleteFirst []string
	Create      []int
	Delete      []string
	Retag       map[string]int
}

// maxRulesPerListener is AWS's default quota of rules per listener, the
// default rule not counted.
const maxRulesPerListener = 100

// makeRoom moves deletes before the creates when creating first would take
// the listener (holding have rules) beyond quota: only then, and only as
// many as needed, may a request meet the default action for a moment,
// which AWS leaves no way around.
func (p *listenerRulePlan) makeRoom(have, quota int) {
	over := have + len(p.Create) - quota
	if over <= 0 || len(p.Create) == 0 {
		return
	}
	n := min(over, len(p.Delete))
	p.DeleteFirst, p.Delete = p.Delete[:n:n], p.Delete[n:]
	if len(p.Delete) == 0 {
		p.Delete = nil
	}
}

// Empty reports whether the plan changes nothing.
func (p listenerRulePlan) Empty() bool {
	return len(p.Modify) == 0 && len(p.Move) == 0 && len(p.DeleteFirst) == 0 && len(p.Create) == 0 && len(p.Delete) == 0
}

// planListenerRules matches what AWS has with what is wanted, by meaning
// first (a rule that means the same stays, wherever it is), then by
// priority (a rule at a wanted priority whose meaning changed is modified
// in place: it never stops matching in between). What is left is created
// or deleted. A rule to be deleted that holds a priority a moved rule
// needs is parked at a free priority in the same move call, below every
// wanted rule, so it still serves until it goes.
func planListenerRules(have []ruleHave, want []ruleWant) listenerRulePlan {
	plan := listenerRulePlan{Retag: map[string]int{}}
	matchedHave := make([]bool, len(have))
	matchedWant := make([]int, len(want)) // index into have, or -1
	for i := range matchedWant {
		matchedWant[i] = -1
	}
	match := func(samePriority bool) {
		for wi, w := range want {
			if matchedWant[wi] >= 0 {
				continue
			}
			for hi, h := range have {
				if !matchedHave[hi] && h.Key == w.Key && (!samePriority || h.Priority == w.Priority) {
					matchedHave[hi], matchedWant[wi] = true, hi
					break
				}
			}
		}
	}
	match(true)
	match(false)
	for wi, w := range want {
		if matchedWant[wi] >= 0 {
			continue
		}
		for hi, h := range have {
			if !matchedHave[hi] && h.Priority == w.Priority {
				matchedHave[hi], matchedWant[wi] = true, hi
				plan.Modify = append(plan.Modify, ruleModify{ARN: h.ARN, Want: wi})
				break
			}
		}
	}
	wanted := map[int32]bool{}
	used := map[int32]bool{}
	for _, w := range want {
		wanted[w.Priority] = true
	}
	for _, h := range have {
		used[h.Priority] = true
	}
	for wi, w := range want {
		hi := matchedWant[wi]
		switch {
		case hi < 0:
			plan.Create = append(plan.Create, wi)
		case have[hi].Priority != w.Priority:
			plan.Move = append(plan.Move, ruleMove{ARN: have[hi].ARN, Priority: w.Priority})
			plan.Retag[have[hi].ARN] = wi
		}
	}
	park := int32(maxRulePriority)
	for hi, h := range have {
		if matchedHave[hi] {
			continue
		}
		plan.Delete = append(plan.Delete, h.ARN)
		if !wanted[h.Priority] {
			continue
		}
		for park > 0 && (wanted[park] || used[park]) {
			park--
		}
		plan.Move = append(plan.Move, ruleMove{ARN: h.ARN, Priority: park})
		used[park] = true
	}
	sort.Slice(plan.Move, func(i, j int) bool { return plan.Move[i].Priority < plan.Move[j].Priority })
	slices.Sort(plan.Delete)
	if len(plan.Retag) == 0 {
		plan.Retag = nil
	}
	return plan
}
