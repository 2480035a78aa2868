package ingress

import (
	networkingv1 "k8s.io/api/networking/v1"

	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// GroupResult is an explicit group's build.
type GroupResult struct {
	Stack *model.ApplicationStack
	// Built are the members whose rules the stack holds, in rule order;
	// Excluded those left out (their rules, target groups and bindings in
	// AWS are kept as they are: Stack.KeptMembers).
	Built    []string
	Excluded []Excluded
}

// QueryGroup returns the AWS facts the group needs: those of the settings
// its members agree on. An error is BuildGroup's group-level error.
func QueryGroup(cfg Config, in GroupInput) (FactsQuery, error) {
	p, err := planGroup(cfg, in)
	if err != nil {
		return FactsQuery{}, err
	}
	var ings []*networkingv1.Ingress
	for _, m := range p.members {
		ings = append(ings, m.ing)
	}
	return query(cfg, p.ann, p.params, ings, func() []string {
		b := builder{members: p.members}
		return b.hosts()
	})
}

// BuildGroup returns the desired application load balancer of an explicit
// IngressGroup (stack id: the group's name). Each member is checked alone
// and against the earlier members: a member whose own input is invalid or
// whose load-balancer or listener setting conflicts is left out (Excluded)
// and the rest is built. An error (an *AnnotationError or *FieldError, or
// no member left) concerns the whole group: nothing should change in AWS.
func BuildGroup(cfg Config, in GroupInput) (GroupResult, error) {
	p, err := planGroup(cfg, in)
	if err != nil {
		return GroupResult{}, err
	}
	b := &builder{cfg: cfg, in: Input{Facts: in.Facts}, tgIndex: map[string]int{}, ann: p.ann, params: p.params,
		group: p, members: p.members, groupTags: p.tags, excluded: p.excluded,
		stack: &model.ApplicationStack{TargetGroupOptions: map[string]model.ApplicationTargetGroup{}}}
	b.stack.ID = model.StackID{Kind: model.IngressKind, Name: in.Name}
	if b.lb, err = readLBSettings(cfg, p.ann, p.params); err != nil {
		return GroupResult{}, err
	}
	if b.listeners, err = readListenerSettings(cfg, p.ann, p.params); err != nil {
		return GroupResult{}, err
	}
	if err := checkSSLPolicy(b.listeners, in.Facts.SSLPolicies); err != nil {
		return GroupResult{}, err
	}
	if err := b.buildLoadBalancer(); err != nil {
		return GroupResult{}, err
	}
	if err := b.buildListeners(); err != nil {
		return GroupResult{}, err
	}
	if len(b.members) == 0 {
		return GroupResult{}, fmt.Errorf("group %s: no member can be built", in.Name)
	}
	if b.stack.AddOns, err = addOns(cfg, p.ann, p.params, in.Facts); err != nil {
		return GroupResult{}, err
	}
	sort.Slice(b.stack.TargetGroups, func(i, j int) bool {
		return b.stack.TargetGroups[i].ResourceID < b.stack.TargetGroups[j].ResourceID
	})
	sort.Slice(b.stack.Bindings, func(i, j int) bool {
		return b.stack.Bindings[i].TargetGroupID < b.stack.Bindings[j].TargetGroupID
	})
	res := GroupResult{Stack: b.stack, Excluded: b.excluded}
	for _, m := range b.members {
		res.Built = append(res.Built, m.ing.Namespace+"/"+m.ing.Name)
	}
	b.stack.Members = p.all
	for _, e := range b.excluded {
		b.stack.KeptMembers = append(b.stack.KeptMembers, e.Key)
	}
	slices.Sort(b.stack.KeptMembers)
	sort.Slice(res.Excluded, func(i, j int) bool { return res.Excluded[i].Key < res.Excluded[j].Key })
	return res, nil
}

// groupRules are the rules of an explicit group's members in rule order,
// with a place holder where an excluded member's rules stay. A member
// whose rules or default backend fail is excluded here, and what its
// build had added is taken back.
func (b *builder) groupRules() []rule {
	built := map[string]member{}
	for _, m := range b.members {
		built[m.ing.Namespace+"/"+m.ing.Name] = m
	}
	var keys []string
	keys = append(keys, slices.Collect(maps.Keys(built))...)
	for _, e := range b.excluded {
		keys = append(keys, e.Key)
	}
	var rules []rule
	var failed []string
	for _, key := range ruleOrder(keys, b.group.orders) {
		m, ok := built[key]
		if !ok {
			rules = append(rules, rule{kept: key, tags: map[string]string{}})
			continue
		}
		undo := b.checkpoint()
		mr, err := b.ingressRules(m)
		if err == nil && m.ing.Spec.DefaultBackend != nil {
			_, err = b.targetGroupFor(m, "spec.defaultBackend", *m.ing.Spec.DefaultBackend)
			if err == nil {
				_, err = b.httpsAuth(m, *m.ing.Spec.DefaultBackend)
			}
		}
		if err != nil {
			undo()
			b.excluded = append(b.excluded, Excluded{Key: key, Err: err})
			failed = append(failed, key)
			rules = append(rules, rule{kept: key, tags: map[string]string{}})
			continue
		}
		rules = append(rules, mr...)
	}
	b.members = slices.DeleteFunc(b.members, func(m member) bool {
		return slices.Contains(failed, m.ing.Namespace+"/"+m.ing.Name)
	})
	return rules
}

// checkpoint returns a function that takes back the target groups and
// bindings made after it.
func (b *builder) checkpoint() func() {
	tgs, bindings := len(b.stack.TargetGroups), len(b.stack.Bindings)
	return func() {
		for _, tg := range b.stack.TargetGroups[tgs:] {
			delete(b.tgIndex, tg.ResourceID)
			delete(b.stack.TargetGroupOptions, tg.ResourceID)
		}
		b.stack.TargetGroups, b.stack.Bindings = b.stack.TargetGroups[:tgs], b.stack.Bindings[:bindings]
	}
}

var notAlphanumeric = regexp.MustCompile("[[:^alnum:]]")

// resourceName is LBC's name of a stack's load balancer or managed
// security group: "k8s-<namespace 8>-<name 8>-<hash 10>" for an implicit
// group, "k8s-<group name 17>-<hash 10>" for an explicit one, the hash over
// the parts given.
func (b *builder) resourceName(hashed ...string) string {
	if b.group == nil {
		return service.StackName(b.stackNamespace, b.stackName, hashed...)
	}
	h := sha256.New()
	for _, s := range hashed {
		h.Write([]byte(s))
	}
	return fmt.Sprintf("k8s-%.17s-%.10s", notAlphanumeric.ReplaceAllString(b.group.name, ""),
		hex.EncodeToString(h.Sum(nil)))
}
