package vpcendpoint

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// Tracker keeps the last observation of every endpoint kelb manages and
// follows them: each tick, one batched read of every endpoint in a
// transitional state (or just changed by kelb), and once per drift period
// one batched read of all of them. Objects whose endpoint changed are sent
// to the controller, which uses the observation instead of reading again.
type Tracker struct {
	api     EC2
	cluster vpcendpoint.Cluster
	clock   clock.PassiveClock
	drift   time.Duration
	changed chan event.GenericEvent

	primeMu   sync.Mutex // one priming read at a time
	mu        sync.Mutex
	entries   map[string]*entry // by endpoint id
	primed    bool
	lastDrift time.Time
}

type entry struct {
	key     types.NamespacedName // zero until an object claims the endpoint
	obs     *ec2types.VpcEndpoint
	at      time.Time // when obs was read; zero: must be read again
	recheck bool      // kelb changed it: read at the next tick and report
	// released: kelb deleted it and let its object go (as ACK does once
	// AWS accepts the delete). It is followed until AWS says it is gone;
	// should AWS bring it back instead, it is deleted again.
	released bool
}

// NewTracker returns a tracker for the cluster's endpoints.
func NewTracker(api EC2, cluster vpcendpoint.Cluster, drift time.Duration, clk clock.PassiveClock) *Tracker {
	return &Tracker{api: api, cluster: cluster, clock: clk, drift: drift,
		changed: make(chan event.GenericEvent, 1024), entries: map[string]*entry{}}
}

var (
	polls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kelb_vpcendpoint_polls_total",
		Help: "Batched reads of VPC endpoints, by kind: follow (transitional) or drift (all)."}, []string{"kind"})
	followed = prometheus.NewGauge(prometheus.GaugeOpts{Name: "kelb_vpcendpoint_followed",
		Help: "VPC endpoints in a transitional state, re-read every tick."})
)

func init() { metrics.Registry.MustRegister(polls, followed) }

// Prime loads every endpoint tagged for the cluster in one paginated read,
// once, so that reconciling many objects after a start costs no read each.
func (t *Tracker) Prime(ctx context.Context) error {
	t.primeMu.Lock()
	defer t.primeMu.Unlock()
	t.mu.Lock()
	done := t.primed
	t.mu.Unlock()
	if done {
		return nil
	}
	got, err := describeCluster(ctx, t.api, t.cluster.Name)
	if err != nil {
		return err
	}
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, obs := range got {
		if _, ok := t.entries[id]; !ok {
			t.entries[id] = &entry{obs: obs, at: now}
		}
	}
	t.primed, t.lastDrift = true, now
	return nil
}

// Observation returns the last observation of the endpoint if it was read
// at most maxAge ago; nil with true means AWS no longer has it.
func (t *Tracker) Observation(id string, maxAge time.Duration) (*ec2types.VpcEndpoint, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[id]
	if !ok || e.at.IsZero() || t.clock.Since(e.at) > maxAge {
		return nil, false
	}
	return e.obs, true
}

// Owned returns the live endpoint tagged as the object's, nil when none:
// the look-up by tag before a create, answered from the endpoints primed
// at start (one read for all) and those read or created since. An
// endpoint created just before a crash is found here after the restart;
// one whose create answer was lost is returned by AWS for the same client
// token.
//
// An endpoint marked retained is never returned, even while it still has
// the owner tag (its object stopped between marking and untagging it):
// only an explicit adoption takes it again.
func (t *Tracker) Owned(namespace, name string) *ec2types.VpcEndpoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	var best *ec2types.VpcEndpoint
	for _, e := range t.entries {
		if e.obs == nil {
			continue
		}
		tags := awsclient.EC2TagMap(e.obs.Tags)
		if _, retained := tags[vpcendpoint.TagRetainedFrom]; retained ||
			vpcendpoint.OwnershipOf(tags, namespace, name, t.cluster).Owner != vpcendpoint.OwnerThis {
			continue
		}
		if s := string(e.obs.State); s == vpcendpoint.StateDeleted || s == vpcendpoint.StateDeleting {
			continue
		}
		if best == nil || aws.ToTime(e.obs.CreationTimestamp).After(aws.ToTime(best.CreationTimestamp)) {
			best = e.obs
		}
	}
	return best
}

// Record stores what the controller read or was answered for the object's
// endpoint. changed says kelb just changed it: it is read again at the next
// tick and the object reconciled.
func (t *Tracker) Record(id string, key types.NamespacedName, obs *ec2types.VpcEndpoint, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	if e == nil {
		e = &entry{}
		t.entries[id] = e
	}
	e.key, e.obs, e.at, e.released = key, obs, t.clock.Now(), false
	if changed {
		e.recheck, e.at = true, time.Time{}
	}
}

// Observe stores what was read of an endpoint without changing which
// object, if any, it belongs to.
func (t *Tracker) Observe(id string, obs *ec2types.VpcEndpoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	if e == nil {
		e = &entry{}
		t.entries[id] = e
	}
	e.obs, e.at = obs, t.clock.Now()
}

// Claim notes which object an endpoint known to the tracker belongs to,
// without touching its observation.
func (t *Tracker) Claim(id string, key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.entries[id]; ok {
		e.key, e.released = key, false
	}
}

// Release notes that kelb deleted the endpoint of key and let the object
// go: it is followed until gone, and deleted again if AWS brings it back.
func (t *Tracker) Release(id string, key types.NamespacedName, obs *ec2types.VpcEndpoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries[id] = &entry{key: key, obs: obs, released: true, recheck: true}
}

// Released is a released endpoint and what was last read of it.
type Released struct {
	ID  string
	Obs *ec2types.VpcEndpoint
}

// ReleasedOf returns the released endpoints of the object key.
func (t *Tracker) ReleasedOf(key types.NamespacedName) []Released {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Released
	for id, e := range t.entries {
		if e.key == key && e.released {
			out = append(out, Released{ID: id, Obs: e.obs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Unclaimed returns the live endpoints no object has claimed since kelb
// started (nor released) whose tags name an object of this cluster: the
// candidates of the orphan sweep.
func (t *Tracker) Unclaimed() []Released {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Released
	for id, e := range t.entries {
		if e.key.Name != "" || e.obs == nil || vpcendpoint.Gone(e.obs) {
			continue
		}
		if _, _, ok := vpcendpoint.OwnedBy(awsclient.EC2TagMap(e.obs.Tags), t.cluster); ok {
			out = append(out, Released{ID: id, Obs: e.obs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Len is how many endpoints the tracker knows.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// Forget stops following an endpoint.
func (t *Tracker) Forget(id string) {
	t.mu.Lock()
	delete(t.entries, id)
	t.mu.Unlock()
}

// ForgetObject stops following the endpoints of an object that is gone
// (released ones excepted: they are followed until AWS has deleted them)
// and returns their ids.
func (t *Tracker) ForgetObject(key types.NamespacedName) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for id, e := range t.entries {
		if e.key == key && !e.released {
			delete(t.entries, id)
			ids = append(ids, id)
		}
	}
	return ids
}

// Tick reads what needs reading and sends the objects whose endpoint
// changed. It is called every poll interval on the leader.
func (t *Tracker) Tick(ctx context.Context) {
	now := t.clock.Now()
	ids, full := t.due(now)
	if len(ids) == 0 {
		return
	}
	kind := "follow"
	if full {
		kind = "drift"
	}
	polls.WithLabelValues(kind).Inc()
	got, err := describeIDs(ctx, t.api, ids)
	if err != nil {
		log.FromContext(ctx).WithName(Name).Error(err, "reading VPC endpoints", "count", len(ids))
		return
	}
	var send []types.NamespacedName
	t.mu.Lock()
	for _, id := range ids {
		e, ok := t.entries[id]
		if !ok {
			continue
		}
		obs := got[id]
		if full || e.recheck || stateOf(e.obs) != stateOf(obs) {
			send = append(send, e.key)
		}
		e.obs, e.at, e.recheck = obs, now, false
	}
	t.mu.Unlock()
	for _, key := range send {
		obj := &v1alpha1.VPCEndpoint{}
		obj.Namespace, obj.Name = key.Namespace, key.Name
		select {
		case t.changed <- event.GenericEvent{Object: obj}:
		case <-ctx.Done():
			return
		}
	}
}

// due returns the endpoints to read now: every claimed one once per drift
// period, else those in a transitional state or just changed.
func (t *Tracker) due(now time.Time) (ids []string, full bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	full = t.drift > 0 && now.Sub(t.lastDrift) >= t.drift
	n := 0
	for id, e := range t.entries {
		if e.key.Name == "" {
			continue
		}
		follow := e.recheck || e.obs != nil && vpcendpoint.Transitional(string(e.obs.State))
		if follow {
			n++
		}
		if full || follow {
			ids = append(ids, id)
		}
	}
	followed.Set(float64(n))
	if full {
		t.lastDrift = now
	}
	sort.Strings(ids)
	return ids, full
}

func stateOf(obs *ec2types.VpcEndpoint) string {
	if obs == nil {
		return ""
	}
	return string(obs.State)
}
