package deploy

import (
	"maps"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

// LoadBalancerState is a load balancer as AWS has it.
type LoadBalancerState struct {
	ARN, Name, DNSName, Scheme, Type, IPAddressType, State string
	Subnets, SecurityGroups                                []string
	Tags                                                   map[string]string
	Attributes                                             map[string]string // nil: not read yet
	// SubnetAddresses are what each subnet holds (Elastic IP, addresses,
	// source-NAT prefix), as AWS reports them.
	SubnetAddresses map[string]subnetAddresses
	// PrefixForIPv6SourceNAT and PrivateLinkInboundRules are AWS's values
	// ("on", "off", or "" when AWS reports none).
	PrefixForIPv6SourceNAT, PrivateLinkInboundRules string
	// CapacityUnits are the capacity units reserved (0: none), known once
	// read; read only for a Service that asks for a reservation.
	CapacityUnits int32
	CapacityKnown bool
	// addOns are the web ACLs and Shield protection, as far as known
	// (read only for a stack that asks for them).
	addOns addOnsState
}

// TargetGroupState is a target group as AWS has it.
type TargetGroupState struct {
	ARN, Name, Protocol, TargetType, IPAddressType string
	Port                                           int32
	// ProtocolVersion is an application target group's (HTTP1, HTTP2,
	// GRPC); "" for others.
	ProtocolVersion string
	HealthCheck     model.HealthCheck
	Tags            map[string]string
	Attributes      map[string]string // nil: not read yet
	// The members are not kept here: the TargetGroupBinding controller
	// reads and keeps them, from the binding the deployer writes.
}

// ResourceID is the target group's id in its stack (its kind's resource
// tag).
func (t *TargetGroupState) ResourceID() string {
	id, _, _ := model.StackOf(t.Tags)
	return id.ResourceID(t.Tags)
}

// ListenerState is a listener as AWS has it.
type ListenerState struct {
	ARN      string
	Port     int32
	Protocol string
	// TargetGroupARN is the one target group the listener forwards all its
	// traffic to, whatever form the action has; "" when its actions do
	// anything else.
	TargetGroupARN string
	// DefaultCertificate is a TLS listener's default certificate.
	DefaultCertificate string
	// ExtraCertificates are its other certificates (served by SNI), read
	// with DescribeListenerCertificates; known only when ExtrasKnown.
	ExtraCertificates []string
	ExtrasKnown       bool
	SSLPolicy         string
	ALPNPolicy        string
	Attributes        map[string]string // nil: not read yet
	// DefaultActions is the meaning of the default actions
	// (canonicalActions), compared for application load balancers.
	DefaultActions string
	// Rules are an application listener's rules (the default rule left
	// out), read with DescribeRules; known only when RulesKnown.
	Rules      []ruleHave
	RulesKnown bool
	// MutualAuth is an HTTPS listener's mutual TLS as AWS reports it.
	MutualAuth model.MutualAuthentication
}

// SecurityGroupState is a security group with its ingress rules.
type SecurityGroupState struct {
	ID, Name string
	Tags     map[string]string
	Ingress  []model.Rule
}

// StackState is what AWS holds for one stack.
type StackState struct {
	ID             model.StackID
	LoadBalancer   *LoadBalancerState
	TargetGroups   []*TargetGroupState
	Listeners      []*ListenerState
	ListenersKnown bool
	FrontendSG     *SecurityGroupState
	// VerifiedAt is when the details (listeners, targets) were last read
	// from AWS rather than inferred from kelb's own writes.
	VerifiedAt time.Time
}

// Empty reports whether nothing of the stack is left in AWS.
func (s *StackState) Empty() bool {
	return s == nil || (s.LoadBalancer == nil && len(s.TargetGroups) == 0 && s.FrontendSG == nil)
}

// Inventory is kelb's view of the AWS resources tagged for its cluster.
//
// Each stack's state is changed by one holder at a time: Deploy and Delete
// hold the stack's lock for the whole operation, and a bulk refresh only
// replaces a stack whose lock it can take at once (a stack being written is
// left as its writer leaves it). Nothing outside the holder reads a stack's
// state: others read a summary the holder publishes when it lets go.
type Inventory struct {
	mu        sync.Mutex
	loadedAt  time.Time
	stacks    map[model.StackID]*StackState
	locks     map[model.StackID]*sync.Mutex
	summaries map[model.StackID]stackSummary
	writtenAt map[model.StackID]time.Time
	backendSG *SecurityGroupState
	nodeSGs   map[string]*SecurityGroupState
	// provisioning maps stacks to their load balancer while AWS provisions it.
	provisioning map[model.StackID]string
	// listenerTags are the tags of each stack's listeners by ARN, as read
	// once or written since (listenertags.go); changed by the stack's holder.
	listenerTags map[model.StackID]map[string]map[string]string
}

// stackSummary is what others may know of a stack: a copy, published by
// the stack's holder.
type stackSummary struct {
	empty        bool
	lbWithoutSGs bool
	scheme       string   // of the load balancer; "" when there is none
	subnets      []string // of the load balancer, sorted; never changed once published
	// serving are the protocols and ports the target groups send traffic
	// and health checks to.
	serving []sgpolicy.PortRule
	// targetGroups are the stack's target groups, for the binding
	// controller (never changed once published).
	targetGroups []TargetGroupFacts
}

// TargetGroupFacts is what the binding controller needs to know of a
// target group: what it is and whose.
type TargetGroupFacts struct {
	ARN, Name, TargetType, IPAddressType string
	Tags                                 map[string]string
}

func summarize(s *StackState) stackSummary {
	sum := stackSummary{empty: s.Empty(), lbWithoutSGs: s.LoadBalancer != nil && len(s.LoadBalancer.SecurityGroups) == 0}
	if s.LoadBalancer != nil {
		sum.scheme, sum.subnets = s.LoadBalancer.Scheme, sortedCopy(s.LoadBalancer.Subnets)
	}
	for _, tg := range s.TargetGroups {
		ports := sgpolicy.TargetGroupPorts{Protocol: tg.Protocol, TrafficPorts: []int32{tg.Port}}
		if hc, err := strconv.Atoi(tg.HealthCheck.Port); err == nil {
			ports.HealthCheckPort = int32(hc)
		}
		sum.serving = append(sum.serving, sgpolicy.TargetGroupRules(ports)...)
		sum.targetGroups = append(sum.targetGroups, TargetGroupFacts{ARN: tg.ARN, Name: tg.Name,
			TargetType: tg.TargetType, IPAddressType: tg.IPAddressType, Tags: maps.Clone(tg.Tags)})
	}
	return sum
}

func newInventory() *Inventory {
	return &Inventory{stacks: map[model.StackID]*StackState{}, locks: map[model.StackID]*sync.Mutex{},
		summaries: map[model.StackID]stackSummary{}, writtenAt: map[model.StackID]time.Time{},
		nodeSGs: map[string]*SecurityGroupState{}, provisioning: map[model.StackID]string{}}
}

// acquire takes the stack's lock and returns its state, created empty if
// unknown. release publishes the stack's summary, records the write (so that
// a bulk load that started earlier does not overwrite it) and lets go.
func (inv *Inventory) acquire(id model.StackID, now func() time.Time) (st *StackState, release func()) {
	inv.mu.Lock()
	m, ok := inv.locks[id]
	if !ok {
		m = &sync.Mutex{}
		inv.locks[id] = m
	}
	inv.mu.Unlock()
	m.Lock()
	inv.mu.Lock()
	st, ok = inv.stacks[id]
	if !ok {
		st = &StackState{ID: id}
		inv.stacks[id] = st
	}
	inv.mu.Unlock()
	return st, func() {
		inv.mu.Lock()
		inv.summaries[id] = summarize(st)
		inv.writtenAt[id] = now()
		inv.mu.Unlock()
		m.Unlock()
	}
}

// publishTargetGroups publishes the stack's target groups while its holder
// still holds it. The holder writes the stack's bindings next and goes on
// with listeners and rules; the binding controller reconciles a new
// binding at once and should find its target group here rather than read
// it (and its tags) from AWS.
func (inv *Inventory) publishTargetGroups(id model.StackID, st *StackState) {
	sum := summarize(st)
	inv.mu.Lock()
	defer inv.mu.Unlock()
	cur := inv.summaries[id]
	cur.empty, cur.targetGroups = sum.empty, sum.targetGroups
	inv.summaries[id] = cur
}

// StackIDs returns the ids of every stack with resources in AWS, of every
// kind, sorted (SortStackIDs).
func (inv *Inventory) StackIDs() []model.StackID {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var out []model.StackID
	for id, s := range inv.summaries {
		if !s.empty {
			out = append(out, id)
		}
	}
	SortStackIDs(out)
	return out
}

// SortStackIDs sorts ids by kind, then name.
func SortStackIDs(ids []model.StackID) {
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Kind != ids[j].Kind {
			return ids[i].Kind < ids[j].Kind
		}
		return ids[i].Name < ids[j].Name
	})
}

// replace installs the result of a bulk load that started at start. A stack
// written since start, or being written now, is left as it is.
func (inv *Inventory) replace(start time.Time, snap *snapshot) (changed []model.StackID) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	ids := map[model.StackID]bool{}
	for id := range snap.stacks {
		ids[id] = true
	}
	for id, old := range inv.summaries {
		if !old.empty {
			ids[id] = true
		}
	}
	for id := range ids {
		m, ok := inv.locks[id]
		if !ok {
			m = &sync.Mutex{}
			inv.locks[id] = m
		}
		if !m.TryLock() {
			continue // a writer holds it; what it writes is newer
		}
		if inv.replaceOne(id, start, snap.stacks[id]) {
			changed = append(changed, id)
		}
		m.Unlock()
	}
	SortStackIDs(changed)
	inv.backendSG = snap.backendSG
	inv.loadedAt = start
	return changed
}

// replaceOne installs fresh (nil: the load found nothing) for one stack
// whose lock the caller holds, with inv.mu. It reports whether the stack
// changed.
func (inv *Inventory) replaceOne(id model.StackID, start time.Time, fresh *StackState) bool {
	if inv.writtenAt[id].After(start) {
		return false
	}
	old := inv.stacks[id]
	switch {
	case fresh == nil && (old == nil || old.Empty()):
		return false
	case fresh == nil:
		fresh = &StackState{ID: id}
	case old != nil && !coreChanged(old, fresh):
		return false // keep the details read or written since
	}
	inv.stacks[id] = fresh
	inv.summaries[id] = summarize(fresh)
	return true
}

// coreChanged reports whether a bulk read differs from the known state in
// what a bulk read can see.
func coreChanged(old, fresh *StackState) bool {
	if (old.LoadBalancer == nil) != (fresh.LoadBalancer == nil) || len(old.TargetGroups) != len(fresh.TargetGroups) ||
		(old.FrontendSG == nil) != (fresh.FrontendSG == nil) {
		return true
	}
	if old.LoadBalancer != nil && (old.LoadBalancer.ARN != fresh.LoadBalancer.ARN ||
		!equalStrings(old.LoadBalancer.Subnets, fresh.LoadBalancer.Subnets) ||
		!equalStrings(old.LoadBalancer.SecurityGroups, fresh.LoadBalancer.SecurityGroups)) {
		return true
	}
	for i, tg := range old.TargetGroups {
		f := fresh.TargetGroups[i]
		if tg.ARN != f.ARN || tg.HealthCheck != f.HealthCheck {
			return true
		}
	}
	if old.FrontendSG != nil && !sameRules(old.FrontendSG.Ingress, fresh.FrontendSG.Ingress) {
		return true
	}
	return false
}

func equalStrings(a, b []string) bool {
	a, b = sortedCopy(a), sortedCopy(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TargetGroup returns what the inventory knows of one of kelb's target
// groups, by ARN: a binding of a Service stack then needs no AWS read to
// know its target group (a restart with many Services costs no read per
// binding).
func (inv *Inventory) TargetGroup(arn string) (TargetGroupFacts, bool) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	for _, sum := range inv.summaries {
		for _, tg := range sum.targetGroups {
			if tg.ARN == arn {
				tg.Tags = maps.Clone(tg.Tags)
				return tg, true
			}
		}
	}
	return TargetGroupFacts{}, false
}

// LoadBalancerWithoutSecurityGroups reports whether the stack's load
// balancer exists and has no security groups (an older controller made it
// so, and AWS cannot add them).
func (inv *Inventory) LoadBalancerWithoutSecurityGroups(id model.StackID) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.summaries[id].lbWithoutSGs
}

// LoadBalancerScheme returns the scheme of the stack's load balancer, ""
// when it has none: a Service that names no scheme keeps it, as with LBC.
func (inv *Inventory) LoadBalancerScheme(id model.StackID) string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.summaries[id].scheme
}

// LoadBalancerSubnets returns the subnets of the stack's load balancer
// (sorted; nil when it has none): a Service that names no subnets and keeps
// its scheme keeps them, as with LBC, rather than discovering again.
func (inv *Inventory) LoadBalancerSubnets(id model.StackID) []string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return append([]string(nil), inv.summaries[id].subnets...)
}
