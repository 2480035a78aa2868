package deploy

import (
	"sort"
	"sync"
	"time"

	"github.com/kelb-dev/kelb/internal/model"
)

// LoadBalancerState is a load balancer as AWS has it.
type LoadBalancerState struct {
	ARN, Name, DNSName, Scheme, Type, IPAddressType, State string
	Subnets, SecurityGroups                                []string
	Tags                                                   map[string]string
	Attributes                                             map[string]string // nil: not read yet
}

// TargetGroupState is a target group as AWS has it.
type TargetGroupState struct {
	ARN, Name, Protocol, TargetType, IPAddressType string
	Port                                           int32
	HealthCheck                                    model.HealthCheck
	Tags                                           map[string]string
	Attributes                                     map[string]string // nil: not read yet
	Targets                                        []model.Target
	TargetsKnown                                   bool
}

// ResourceID is the target group's resource tag.
func (t *TargetGroupState) ResourceID() string { return t.Tags[model.TagServiceResource] }

// ListenerState is a listener as AWS has it.
type ListenerState struct {
	ARN            string
	Port           int32
	Protocol       string
	TargetGroupARN string
	Certificates   []string
	SSLPolicy      string
	ALPNPolicy     string
}

// SecurityGroupState is a security group with its ingress rules.
type SecurityGroupState struct {
	ID, Name string
	Tags     map[string]string
	Ingress  []model.Rule
}

// StackState is what AWS holds for one stack.
type StackState struct {
	ID             string
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
// Reconcilers of different stacks use it concurrently; one stack is only
// ever changed by one reconciler at a time.
type Inventory struct {
	mu        sync.Mutex
	loadedAt  time.Time
	stacks    map[string]*StackState
	writtenAt map[string]time.Time
	backendSG *SecurityGroupState
	nodeSGs   map[string]*SecurityGroupState
	// provisioning maps stacks to their load balancer while AWS provisions it.
	provisioning map[string]string
}

func newInventory() *Inventory {
	return &Inventory{stacks: map[string]*StackState{}, writtenAt: map[string]time.Time{},
		nodeSGs: map[string]*SecurityGroupState{}, provisioning: map[string]string{}}
}

// Stack returns the stack's state, creating an empty one.
func (inv *Inventory) Stack(id string) *StackState {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	s, ok := inv.stacks[id]
	if !ok {
		s = &StackState{ID: id}
		inv.stacks[id] = s
	}
	return s
}

// StackIDs returns the ids of every stack with resources in AWS.
func (inv *Inventory) StackIDs() []string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var out []string
	for id, s := range inv.stacks {
		if !s.Empty() {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// touch records that a reconciler wrote to the stack, so that a bulk
// refresh that started earlier does not overwrite what it wrote.
func (inv *Inventory) touch(id string, now time.Time) {
	inv.mu.Lock()
	inv.writtenAt[id] = now
	inv.mu.Unlock()
}

// replace installs the result of a bulk load that started at start.
func (inv *Inventory) replace(start time.Time, snap *snapshot) (changed []string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	for id, fresh := range snap.stacks {
		if inv.writtenAt[id].After(start) {
			continue
		}
		old := inv.stacks[id]
		if old != nil && !coreChanged(old, fresh) {
			continue // keep the details read or written since
		}
		inv.stacks[id] = fresh
		changed = append(changed, id)
	}
	for id, old := range inv.stacks {
		if _, ok := snap.stacks[id]; !ok && !old.Empty() && !inv.writtenAt[id].After(start) {
			inv.stacks[id] = &StackState{ID: id}
			changed = append(changed, id)
		}
	}
	inv.backendSG = snap.backendSG
	inv.loadedAt = start
	return changed
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

// LoadBalancerWithoutSecurityGroups reports whether the stack's load
// balancer exists and has no security groups (an older controller made it
// so, and AWS cannot add them).
func (inv *Inventory) LoadBalancerWithoutSecurityGroups(id string) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	st, ok := inv.stacks[id]
	return ok && st.LoadBalancer != nil && len(st.LoadBalancer.SecurityGroups) == 0
}
