package ingress

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/service"
)

// Explicit IngressGroups, as LBC v3.5 loads them.
const (
	// AnnGroupOrder orders a member's rules within its group.
	AnnGroupOrder = Prefix + "group.order"
	// GroupFinalizerPrefix starts the finalizer of an explicit group's
	// members: "group.ingress.k8s.aws/<group name>".
	GroupFinalizerPrefix = "group.ingress.k8s.aws/"

	minGroupOrder, maxGroupOrder = -1000, 1000
	maxGroupNameLength           = 63
)

// groupNamePattern is LBC's: lower case alphanumerics, '-' and '.',
// starting and ending with an alphanumeric.
var groupNamePattern = regexp.MustCompile(`^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$`)

const groupNameAllowed = "at most 63 lower case alphanumeric characters, '-' or '.', starting and ending with an " +
	"alphanumeric character"

// GroupFinalizer is the finalizer LBC writes on the members of group name.
func GroupFinalizer(name string) string { return GroupFinalizerPrefix + name }

// GroupOf returns the explicit group the Ingress belongs to ("" for its
// implicit group): the class's IngressClassParams spec.group.name, which
// wins, else the group.name annotation. A name LBC would not take is a
// *FieldError naming where it came from.
func GroupOf(ing *networkingv1.Ingress, params *elbv2.IngressClassParams) (string, error) {
	field, name := AnnGroupName, ""
	if params != nil && params.Spec.Group != nil {
		field, name = paramsField(params.Name, "group.name"), params.Spec.Group.Name
	} else if v, ok := ing.Annotations[AnnGroupName]; ok {
		name = v
	} else {
		return "", nil
	}
	if !groupNamePattern.MatchString(name) || len(name) > maxGroupNameLength {
		return "", &FieldError{Field: field, Value: name, Allowed: groupNameAllowed}
	}
	return name, nil
}

// CheckGroupNameAnnotation refuses a new use of the group.name annotation
// with --disable-ingress-group-name-annotation (LBC's webhook refuses it);
// a member the group already serves (served: it carries the group's
// finalizer) is kept, and a group forced by IngressClassParams is not
// refused.
func CheckGroupNameAnnotation(ing *networkingv1.Ingress, params *elbv2.IngressClassParams, disabled, served bool) error {
	v, ok := ing.Annotations[AnnGroupName]
	if !disabled || served || !ok || (params != nil && params.Spec.Group != nil) {
		return nil
	}
	return &AnnotationError{Annotation: AnnGroupName, Value: v,
		Allowed: "none: new uses are refused with --disable-ingress-group-name-annotation; " +
			"set spec.group of the class's IngressClassParams"}
}

// groupOrderOf reads group.order: an integer from -1000 to 1000, 0 when
// unset.
func groupOrderOf(ing *networkingv1.Ingress) (int, error) {
	raw, ok := ing.Annotations[AnnGroupOrder]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || n < minGroupOrder || n > maxGroupOrder {
		return 0, &AnnotationError{Annotation: AnnGroupOrder, Value: raw,
			Allowed: fmt.Sprintf("an integer from %d to %d", minGroupOrder, maxGroupOrder)}
	}
	return int(n), nil
}

// GroupMember is one Ingress of an explicit group, classified, with its
// backend Services.
type GroupMember struct {
	Ingress  *networkingv1.Ingress
	Class    Class
	Services map[string]*corev1.Service
	// OIDCClients are the OIDC Secrets its authentication names
	// (OIDCSecretNames), by name; a missing one is left out.
	OIDCClients map[string]OIDCClient
}

func (m GroupMember) key() string { return m.Ingress.Namespace + "/" + m.Ingress.Name }

// GroupInput is everything BuildGroup looks at.
type GroupInput struct {
	Name    string
	Members []GroupMember
	// Kept are members that cannot be built at all (the caller says why):
	// what they have in AWS stays, as for an excluded member.
	Kept  []Excluded
	Facts Facts
}

// Excluded is a member left out of the group's build: its error names the
// annotation or field and, for a conflict, the member whose setting won.
type Excluded struct {
	// Key is the member's "<namespace>/<name>".
	Key string
	Err error
}

// ConflictError is a member's load-balancer or listener setting that
// disagrees with an earlier member's: the earlier one (by group.order,
// then age, then namespace/name) wins.
type ConflictError struct {
	Annotation string
	Value      string
	// Winner is the earlier member and WinnerValue its value.
	Winner, WinnerValue string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: %q conflicts with %q of Ingress %s, which comes first in the group (by group.order, "+
		"then age, then namespace/name); allowed: the same value, or the annotation unset", e.Annotation, e.Value,
		e.WinnerValue, e.Winner)
}

// groupPlan is the merge of the members' settings, before any AWS fact.
type groupPlan struct {
	name string
	// members are the members kept in the build, in rule order (order,
	// then namespace/name); all are every member's key.
	members  []member
	all      []string
	excluded []Excluded
	// ann are the group-level annotations the members agree on, params the
	// group's IngressClassParams (the earliest member's that has one).
	ann    service.Annotations
	params *elbv2.IngressClassParams
	tags   map[string]string
	// orders are the members' group.order by key, for placing kept rules.
	orders map[string]int
}

// groupLevelLists are the load-balancer and listener annotations whose
// values are lists: members agree when they list the same items.
var groupLevelLists = []string{AnnSubnets, AnnSecurityGroups, AnnInboundCIDRs, AnnSGPrefixLists}

// groupLevelValues are the other load-balancer and listener annotations:
// members agree when they say exactly the same (after trimming).
var groupLevelValues = []string{AnnScheme, AnnIPAddressType, AnnLoadBalancerName, AnnLoadBalancerAttributes,
	AnnManageBackendSGRules, AnnSSLRedirect, AnnSSLPolicy, AnnMutualAuthentication,
	AnnWAFv2ACLARN, AnnWAFv2ACLName, AnnWAFACLID, AnnWebACLID, AnnShield}

// groupLevelKeys are the group-level annotations an Ingress sets, sorted.
func groupLevelKeys(ing *networkingv1.Ingress) []string {
	var keys []string
	for k, v := range ing.Annotations {
		if v == "" && slices.Contains(addOnAnnotations, k) {
			continue // LBC reads an empty add-on annotation as unset
		}
		if slices.Contains(groupLevelLists, k) || slices.Contains(groupLevelValues, k) ||
			strings.HasPrefix(k, AnnListenerAttributesPrefix+".") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func canonicalValue(a service.Annotations, key string) string {
	switch {
	case slices.Contains(groupLevelLists, key):
		return sortedJoin(a.List(key))
	case key == AnnLoadBalancerAttributes:
		kv, err := a.KeyValues(key)
		if err != nil {
			break
		}
		var pairs []string
		for k, v := range kv {
			pairs = append(pairs, k+"="+v)
		}
		return sortedJoin(pairs)
	case key == AnnShield:
		v, _ := a.Value(key)
		return canonicalBool(v)
	}
	v, _ := a.Value(key)
	return strings.TrimSpace(v)
}

func sortedJoin(l []string) string {
	l = slices.Clone(l)
	slices.Sort(l)
	return strings.Join(l, ",")
}

// explicitSettings are the group-level settings a member sets, by the
// annotation's name, in canonical form: its annotations', with its
// IngressClassParams' fields over them (the params win, as for an
// Ingress alone), so that an annotation and another member's params
// field are compared too.
func explicitSettings(ing *networkingv1.Ingress, p *elbv2.IngressClassParams, webACLs map[string]string) map[string]string {
	a := service.Annotations(ing.Annotations)
	out := map[string]string{}
	for _, k := range groupLevelKeys(ing) {
		out[k] = canonicalValue(a, k)
	}
	if id, ok := out[AnnWebACLID]; ok {
		// web-acl-id is read only without waf-acl-id: compare it as one.
		if _, set := out[AnnWAFACLID]; !set {
			out[AnnWAFACLID] = id
		}
		delete(out, AnnWebACLID)
	}
	if p != nil {
		paramsSettings(out, p.Spec)
	}
	// A web ACL named by name is compared by its ARN once resolved, so that
	// a member naming another ACL than an earlier member's ARN is left out.
	if name, ok := out[AnnWAFv2ACLName]; ok {
		arn, found := webACLs[name]
		if name == addOnNone {
			arn, found = addOnNone, true
		}
		if found {
			if _, set := out[AnnWAFv2ACLARN]; !set || out[AnnWAFv2ACLARN] == arn {
				out[AnnWAFv2ACLARN] = arn
				delete(out, AnnWAFv2ACLName)
			}
		}
	}
	return out
}

// settingSource names where a member's group-level setting key came
// from: a WAFv2 web ACL compared by ARN may have been named by name.
func settingSource(ing *networkingv1.Ingress, p *elbv2.IngressClassParams, key string) string {
	if key != AnnWAFv2ACLARN || ing.Annotations[AnnWAFv2ACLARN] != "" || (p != nil && p.Spec.WAFv2ACLArn != "") {
		return key
	}
	if p != nil && p.Spec.WAFv2ACLName != "" {
		return paramsField(p.Name, "wafv2AclName")
	}
	return AnnWAFv2ACLName
}

// paramsSettings puts the group-level fields of an IngressClassParams
// into out, over the annotations' values.
func paramsSettings(out map[string]string, s elbv2.IngressClassParamsSpec) {
	set := func(key, value string) {
		if value != "" {
			out[key] = value
		}
	}
	if s.Scheme != nil {
		set(AnnScheme, string(*s.Scheme))
	}
	if s.IPAddressType != nil {
		set(AnnIPAddressType, string(*s.IPAddressType))
	}
	set(AnnLoadBalancerName, s.LoadBalancerName)
	set(AnnWAFv2ACLARN, s.WAFv2ACLArn)
	set(AnnWAFv2ACLName, s.WAFv2ACLName)
	set(AnnSSLPolicy, s.SSLPolicy)
	set(AnnSSLRedirect, s.SSLRedirectPort)
	set(AnnInboundCIDRs, sortedJoin(s.InboundCIDRs))
	if s.Subnets != nil {
		var ids []string
		for _, id := range s.Subnets.IDs {
			ids = append(ids, string(id))
		}
		set(AnnSubnets, sortedJoin(ids))
	}
	var attrs []string
	for _, at := range s.LoadBalancerAttributes {
		attrs = append(attrs, at.Key+"="+at.Value)
	}
	set(AnnLoadBalancerAttributes, sortedJoin(attrs))
}

// paramsGroupSettings are the load-balancer and listener fields of an
// IngressClassParams (what members of one group must agree on).
func paramsGroupSettings(p *elbv2.IngressClassParams) elbv2.IngressClassParamsSpec {
	s := *p.Spec.DeepCopy()
	s.Group, s.NamespaceSelector, s.TargetType, s.Tags = nil, nil, "", nil
	return s
}

// conflictOrder sorts members for conflicts: group.order, then creation
// time, then namespace/name.
func conflictOrder(ms []GroupMember, orders map[string]int) []GroupMember {
	out := slices.Clone(ms)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if oa, ob := orders[a.key()], orders[b.key()]; oa != ob {
			return oa < ob
		}
		if ta, tb := a.Ingress.CreationTimestamp, b.Ingress.CreationTimestamp; !ta.Equal(&tb) {
			return ta.Before(&tb)
		}
		return a.key() < b.key()
	})
	return out
}

// planGroup checks each member alone, then against the earlier members,
// and merges what they agree on. An error means the group as a whole
// cannot be built (its earliest member's own load-balancer settings are
// invalid, or no member is left): nothing should change in AWS.
func planGroup(cfg Config, in GroupInput) (*groupPlan, error) {
	p := &groupPlan{name: in.Name, ann: service.Annotations{}, tags: map[string]string{}, orders: map[string]int{}}
	exclude := func(m GroupMember, err error) { p.excluded = append(p.excluded, Excluded{Key: m.key(), Err: err}) }
	for _, k := range in.Kept {
		p.all = append(p.all, k.Key)
		p.excluded = append(p.excluded, k)
	}
	var candidates []GroupMember
	for _, m := range in.Members {
		p.all = append(p.all, m.key())
		order, err := groupOrderOf(m.Ingress)
		if err != nil {
			exclude(m, err)
			continue
		}
		p.orders[m.key()] = order
		candidates = append(candidates, m)
	}
	slices.Sort(p.all)
	w := newGroupWinners()
	kept := map[string]member{}
	for i, gm := range conflictOrder(candidates, p.orders) {
		ing, params := gm.Ingress, gm.Class.Params
		a := service.Annotations(ing.Annotations)
		m, err := newMember(cfg, ing, gm.Class, gm.Services, gm.OIDCClients)
		if err == nil {
			_, err = readLBSettings(cfg, a, params)
		}
		var ls listenerSettings
		if err == nil {
			ls, err = readListenerSettings(cfg, a, params)
		}
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("Ingress %s, the first of group %s: %w", gm.key(), in.Name, err)
			}
			exclude(gm, err)
			continue
		}
		m.ports = ls.ports
		explicit := explicitSettings(ing, params, in.Facts.WAFv2ACLsByName)
		for _, k := range cfg.AddOns.ignoredKeys() {
			delete(explicit, k) // an add-on turned off is not compared either
		}
		if conflict := w.conflict(p, gm, explicit, ls, m); conflict != nil {
			exclude(gm, conflict)
			continue
		}
		w.take(p, gm, explicit, ls, m)
		kept[gm.key()] = m
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("group %s: no member can be built", in.Name)
	}
	p.ann[AnnListenPorts] = listenPortsJSON(w.ports)
	if len(w.certificates) > 0 {
		p.ann[AnnCertificateARN] = strings.Join(w.certificates, ",")
	}
	for _, key := range ruleOrder(slices.Collect(maps.Keys(kept)), p.orders) {
		p.members = append(p.members, kept[key])
	}
	return p, nil
}

// groupWinners remembers, per group-level setting, the earliest member that
// set it and the value it set: a later member must agree or is excluded.
type groupWinners struct {
	winner      map[string]string // group-level key -> member that set it
	winnerValue map[string]string // group-level key -> its canonical value
	portWinner  map[int32]string
	ports       map[int32]string
	tagWinner   map[string]string // tag key -> member that set it; the value is in the plan's tags

	paramsWinner, defaultBackendWinner string
	certificates                       []string
}

func newGroupWinners() *groupWinners {
	return &groupWinners{winner: map[string]string{}, winnerValue: map[string]string{}, portWinner: map[int32]string{},
		ports: map[int32]string{}, tagWinner: map[string]string{}}
}

// conflict returns the first setting of gm that an earlier member set
// otherwise, as a *ConflictError; nil when gm agrees with every one.
func (w *groupWinners) conflict(p *groupPlan, gm GroupMember, explicit map[string]string, ls listenerSettings,
	m member) error {
	ing, params := gm.Ingress, gm.Class.Params
	for _, k := range slices.Sorted(maps.Keys(explicit)) {
		if wk, ok := w.winner[k]; ok && w.winnerValue[k] != explicit[k] {
			return &ConflictError{Annotation: settingSource(ing, params, k), Value: explicit[k], Winner: wk,
				WinnerValue: w.winnerValue[k]}
		}
	}
	for _, port := range slices.Sorted(maps.Keys(ls.ports)) {
		if have, ok := w.ports[port]; ok && have != ls.ports[port] {
			return &ConflictError{Annotation: AnnListenPorts, Value: fmt.Sprintf("%s: %d", ls.ports[port], port),
				Winner: w.portWinner[port], WinnerValue: fmt.Sprintf("%s: %d", have, port)}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.userTags)) {
		if wk, ok := w.tagWinner[k]; ok && p.tags[k] != m.userTags[k] {
			return &ConflictError{Annotation: AnnTags, Value: k + "=" + m.userTags[k], Winner: wk,
				WinnerValue: k + "=" + p.tags[k]}
		}
	}
	if params != nil && p.params != nil && params.Name != p.params.Name &&
		!reflect.DeepEqual(paramsGroupSettings(params), paramsGroupSettings(p.params)) {
		return &ConflictError{Annotation: "spec.ingressClassName", Value: "IngressClassParams " + params.Name,
			Winner: w.paramsWinner, WinnerValue: "IngressClassParams " + p.params.Name}
	}
	if ing.Spec.DefaultBackend != nil && w.defaultBackendWinner != "" {
		return &ConflictError{Annotation: "spec.defaultBackend", Value: "(set)", Winner: w.defaultBackendWinner,
			WinnerValue: "(set): a group has one default backend"}
	}
	return nil
}

// take records what gm sets that no earlier member did, in the winners and
// the plan.
func (w *groupWinners) take(p *groupPlan, gm GroupMember, explicit map[string]string, ls listenerSettings,
	m member) {
	ing, params := gm.Ingress, gm.Class.Params
	for k, v := range explicit {
		if _, ok := w.winner[k]; !ok {
			w.winner[k], w.winnerValue[k] = gm.key(), v
		}
	}
	for _, k := range groupLevelKeys(ing) {
		if _, ok := p.ann[k]; !ok {
			p.ann[k] = ing.Annotations[k]
		}
	}
	for port, proto := range ls.ports {
		if _, ok := w.ports[port]; !ok {
			w.ports[port], w.portWinner[port] = proto, gm.key()
		}
	}
	for k, v := range m.userTags {
		if _, ok := w.tagWinner[k]; !ok {
			w.tagWinner[k], p.tags[k] = gm.key(), v
		}
	}
	if params != nil && p.params == nil {
		p.params, w.paramsWinner = params, gm.key()
	}
	if ing.Spec.DefaultBackend != nil {
		w.defaultBackendWinner = gm.key()
	}
	for _, c := range service.Annotations(ing.Annotations).List(AnnCertificateARN) {
		if !slices.Contains(w.certificates, c) {
			w.certificates = append(w.certificates, c)
		}
	}
}

// ruleOrder sorts member keys as LBC orders their rules: group.order, then
// namespace/name.
func ruleOrder(keys []string, orders map[string]int) []string {
	out := slices.Clone(keys)
	sort.Slice(out, func(i, j int) bool {
		if orders[out[i]] != orders[out[j]] {
			return orders[out[i]] < orders[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

func listenPortsJSON(ports map[int32]string) string {
	var parts []string
	for _, port := range slices.Sorted(maps.Keys(ports)) {
		parts = append(parts, fmt.Sprintf("{%q: %d}", ports[port], port))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
