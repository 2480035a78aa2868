package targetgroupbinding

import (
	"context"
	"sync"
	"time"

	"k8s.io/utils/clock"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/targets"
)

// members remembers, per target group, the targets this controller last
// made sure of (read from AWS, then changed). A reconcile whose wanted
// targets are those, within the resync period, costs no AWS call: AWS is
// read only while targets change, once per target group and reconcile.
type members struct {
	clock  clock.PassiveClock
	resync time.Duration

	mu    sync.Mutex
	known map[string]knownMembers // binding and target group -> last confirmed
}

type knownMembers struct {
	set targets.Set
	at  time.Time
}

func newMembers(clk clock.PassiveClock, resync time.Duration) *members {
	return &members{clock: clk, resync: resync, known: map[string]knownMembers{}}
}

// current reports whether want is what the target group was last
// confirmed to hold, recently enough.
func (m *members) current(key string, want targets.Set) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.known[key]
	return ok && m.clock.Since(k.at) < m.resync && k.set.Equal(want)
}

func (m *members) confirm(key string, s targets.Set) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.known[key] = knownMembers{set: s, at: m.clock.Now()}
}

func (m *members) forget(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.known, key)
}

// syncResult is what one membership pass did.
type syncResult struct {
	change targets.Change
	total  int // targets the binding has now
}

// syncMembers brings the target group to the wanted targets: registers the
// missing ones first, then deregisters the others (with
// multiClusterTargetGroup, only those this binding registered, by LBC's
// record, which is written before a registration so that a crash never
// leaves a target of ours unrecorded).
func (c *Controller) syncMembers(ctx context.Context, tgb *elbv2api.TargetGroupBinding, tg targetGroup,
	want []model.Target) (syncResult, error) {
	wanted := targets.NewSet(want...)
	res := syncResult{total: len(want)}
	key := membersKey(tgb, tg)
	var record targets.Set
	if tgb.Spec.MultiClusterTargetGroup {
		var err error
		if record, err = c.tracked.get(ctx, tgb); err != nil {
			return res, err
		}
		if record != nil && c.members.current(key, wanted) && record.Equal(wanted) {
			return res, nil
		}
	} else if c.members.current(key, wanted) {
		return res, nil
	}
	have, err := describeMembers(ctx, c.ELBV2, tg)
	if err != nil {
		return res, err
	}
	owned := targets.Set(nil)
	if tgb.Spec.MultiClusterTargetGroup {
		// No record yet: nothing is provably this binding's; the first
		// pass only registers, as LBC's.
		owned = record
		if owned == nil {
			owned = targets.Set{}
		}
	}
	res.change = targets.Plan(want, have, owned)
	if !res.change.Empty() {
		if err := c.clearCheckpoint(ctx, tgb); err != nil {
			return res, err
		}
	}
	if len(res.change.Register) > 0 {
		if tgb.Spec.MultiClusterTargetGroup {
			if err := c.tracked.put(ctx, tgb, owned.Union(res.change.Register...)); err != nil {
				return res, err
			}
		}
		if err := register(ctx, c.ELBV2, tg, res.change.Register); err != nil {
			c.members.forget(key)
			return res, err
		}
		registeredTargets.Add(float64(len(res.change.Register)))
	}
	if len(res.change.Deregister) > 0 {
		if err := deregister(ctx, c.ELBV2, tg, res.change.Deregister); err != nil {
			c.members.forget(key)
			return res, err
		}
		deregisteredTargets.Add(float64(len(res.change.Deregister)))
	}
	if tgb.Spec.MultiClusterTargetGroup {
		if err := c.tracked.put(ctx, tgb, wanted); err != nil {
			return res, err
		}
	}
	c.members.confirm(key, wanted)
	return res, nil
}

// membersKey: what is known is per binding and target group (two bindings
// may share a multi-cluster target group, each with its own targets).
func membersKey(tgb *elbv2api.TargetGroupBinding, tg targetGroup) string {
	return tgb.Namespace + "/" + tgb.Name + "|" + tg.ARN
}
