package deploy

import (
	"maps"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

// A rule whose forward moves to another target group (a new target type
// or backend protocol makes a new group) would send its requests to an
// empty group until the binding controller has registered the new
// group's targets: 503s where the old group still served (LBC has this
// gap). So a rule moves only once the new group's binding says its
// targets are registered; until then the rule keeps forwarding to the
// group it has, which stays (with its binding and targets), and the
// deploy is looked at again shortly.

// bindingRegisterWait bounds the hold: a binding that has not registered
// its targets this long after its creation (its Service is broken, AWS
// refuses) no longer holds rules back, so a stuck binding cannot pin an
// old target group for ever.
const bindingRegisterWait = 2 * time.Minute

// bindingRegistered says whether the binding's controller has registered
// the targets of the binding as it is now (its Ready condition for this
// generation), or has had long enough to.
func bindingRegistered(b *elbv2api.TargetGroupBinding, now time.Time) bool {
	if now.Sub(b.CreationTimestamp.Time) > bindingRegisterWait {
		return true
	}
	c := meta.FindStatusCondition(b.Status.Conditions, "Ready")
	return c != nil && c.Status == "True" && c.ObservedGeneration == b.Generation
}

// holdRules keeps, for every wanted rule that forwards to a target group
// whose targets are not registered yet, the rule that has the same
// conditions and forwards only to registered groups: the wanted rule takes
// that rule's actions (and so its meaning, which the plan then keeps).
// It returns the target groups the kept rules forward to, which must stay.
func holdRules(have []ruleHave, want []sdkRule, notReady map[string]bool) (held []string) {
	if len(notReady) == 0 {
		return nil
	}
	used := map[string]bool{}
	for i := range want {
		w := &want[i]
		if !slices.ContainsFunc(forwardTargets(w.Actions), func(arn string) bool { return notReady[arn] }) {
			continue
		}
		conditions := canonicalConditions(w.Conditions)
		for _, h := range have {
			tgs := forwardTargets(h.Actions)
			if used[h.ARN] || h.Conditions != conditions || h.Key == w.Key || len(tgs) == 0 ||
				slices.ContainsFunc(tgs, func(arn string) bool { return notReady[arn] }) {
				continue
			}
			used[h.ARN] = true
			w.Actions, w.Transforms, w.Key = h.Actions, h.Transforms, h.Key
			held = append(held, tgs...)
			break
		}
	}
	slices.Sort(held)
	return slices.Compact(held)
}

// holdListeners is holdRules for a network load balancer's listeners: a
// listener whose target group is new keeps forwarding to the registered
// group it has (same port and protocol) until the new one's targets are
// registered. It returns the target group ARNs the listeners forward to
// this deploy (tgARNs itself when nothing is held) and the groups kept.
func holdListeners(have []*ListenerState, want []model.Listener, tgARNs map[string]string,
	notReady map[string]bool) (map[string]string, []string) {
	if len(notReady) == 0 {
		return tgARNs, nil
	}
	byPort := map[int32]*ListenerState{}
	for _, l := range have {
		byPort[l.Port] = l
	}
	out, held := tgARNs, []string(nil)
	for _, w := range want {
		l := byPort[w.Port]
		arn := tgARNs[w.TargetGroupID]
		if l == nil || !notReady[arn] || l.Protocol != w.Protocol || l.TargetGroupARN == "" ||
			l.TargetGroupARN == arn || notReady[l.TargetGroupARN] {
			continue
		}
		if len(held) == 0 {
			out = maps.Clone(tgARNs)
		}
		out[w.TargetGroupID] = l.TargetGroupARN
		held = append(held, l.TargetGroupARN)
	}
	slices.Sort(held)
	return out, slices.Compact(held)
}
