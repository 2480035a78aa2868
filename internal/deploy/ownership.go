package deploy

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/internal/model"
)

// Two clusters may share a cluster name (a values file copied from one to
// the other); their resources then carry the same cluster tag. kelb tells
// them apart by the identity tag (model.TagClusterUID) it sets when it
// creates a resource. A resource naming another cluster's UID, or living in
// another VPC, is left out of the inventory: kelb never adopts, changes or
// deletes it. A resource without the identity tag (LBC made it) is this
// cluster's only as far as the record (Deps.Record) says: the caller records
// what it saw with a live owner. Deleting what nobody claims any more takes
// proof, one or the other.

// Kinds of Resource.
const (
	KindLoadBalancer  = "load-balancer"
	KindTargetGroup   = "target-group"
	KindSecurityGroup = "security-group"
)

// Resource is one AWS resource as ownership sees it.
type Resource struct {
	Kind string
	// ID is the ARN of a load balancer or target group, the id of a group.
	ID string
	// ClusterUID is the value of its identity tag, "" when it has none.
	ClusterUID string
	// SecurityGroups are a load balancer's groups.
	SecurityGroups []string
}

// Record answers whether a resource without identity tag was seen with a
// live owner in this cluster (by ARN or group id).
type Record interface {
	Has(id string) bool
}

// Observed is what the last bulk load found, foreign resources left out.
type Observed struct {
	// Stacks maps stack ids (of every kind) to their resources.
	Stacks map[model.StackID][]Resource
	// BackendSG is the managed backend group; nil when there is none.
	BackendSG *Resource
}

var (
	excludedResources = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kelb_foreign_resources",
		Help: "Resources carrying this cluster's name tag that the last inventory load left out, by reason: " +
			"cluster (another cluster's identity tag), vpc (another VPC) or stack-tags (its stack tags name no single " +
			"stack: keys of two kinds, an empty stack tag).",
	}, []string{"reason"})
	unprovenResources = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kelb_unproven_resources_total",
		Help: "Resources kelb would have deleted but did not, lacking proof that they are this cluster's, by kind.",
	}, []string{"kind"})
)

func init() { crmetrics.Registry.MustRegister(excludedResources, unprovenResources) }

// ownership is the deployer's ownership state.
type ownership struct {
	record   Record
	observed atomic.Pointer[Observed]
	// excludedLogged holds the resources already logged as left out; it is
	// used only under the deployer's loadMu.
	excludedLogged map[string]bool
	unprovenLogged sync.Map // id -> true
}

// Proven reports whether r is this cluster's: it carries this cluster's
// identity tag, or the record has it.
func (d *Deployer) Proven(r Resource) bool {
	if d.cfg.ClusterUID != "" && r.ClusterUID == d.cfg.ClusterUID {
		return true
	}
	return d.own.record != nil && d.own.record.Has(r.ID)
}

// Observed returns a copy of what the last bulk load found; false before
// the first load.
func (d *Deployer) Observed() (Observed, bool) {
	o := d.own.observed.Load()
	if o == nil {
		return Observed{}, false
	}
	out := Observed{Stacks: make(map[model.StackID][]Resource, len(o.Stacks))}
	for id, rs := range o.Stacks {
		out.Stacks[id] = copyResources(rs)
	}
	if o.BackendSG != nil {
		b := *o.BackendSG
		out.BackendSG = &b
	}
	return out, true
}

func copyResources(rs []Resource) []Resource {
	out := make([]Resource, len(rs))
	for i, r := range rs {
		r.SecurityGroups = slices.Clone(r.SecurityGroups)
		out[i] = r
	}
	return out
}

// observe builds the ownership view of a fresh snapshot.
func observe(snap *snapshot) *Observed {
	o := &Observed{Stacks: make(map[model.StackID][]Resource, len(snap.stacks))}
	for id, st := range snap.stacks {
		o.Stacks[id] = stackResources(st)
	}
	if sg := snap.backendSG; sg != nil {
		o.BackendSG = &Resource{Kind: KindSecurityGroup, ID: sg.ID, ClusterUID: sg.Tags[model.TagClusterUID]}
	}
	return o
}

// stackResources lists a stack's resources: load balancer, target groups,
// frontend group.
func stackResources(st *StackState) []Resource {
	var out []Resource
	if lb := st.LoadBalancer; lb != nil {
		out = append(out, Resource{Kind: KindLoadBalancer, ID: lb.ARN, ClusterUID: lb.Tags[model.TagClusterUID],
			SecurityGroups: slices.Clone(lb.SecurityGroups)})
	}
	for _, tg := range st.TargetGroups {
		out = append(out, Resource{Kind: KindTargetGroup, ID: tg.ARN, ClusterUID: tg.Tags[model.TagClusterUID]})
	}
	if sg := st.FrontendSG; sg != nil {
		out = append(out, Resource{Kind: KindSecurityGroup, ID: sg.ID, ClusterUID: sg.Tags[model.TagClusterUID]})
	}
	return out
}

// DeleteProven deletes the stack as Delete does, but only when every one of
// its resources is proven this cluster's, judged under the stack's lock.
// Otherwise it deletes nothing and returns the resources without proof:
// deleting part of a load balancer's resources would break whatever still
// uses the rest.
func (d *Deployer) DeleteProven(ctx context.Context, stackID model.StackID) ([]Resource, error) {
	if err := served(stackID); err != nil {
		return nil, err
	}
	st, release := d.inv.acquire(stackID, d.clock.Now)
	defer release()
	var unproven []Resource
	for _, r := range stackResources(st) {
		if !d.Proven(r) {
			unproven = append(unproven, r)
		}
	}
	if len(unproven) > 0 {
		for _, r := range unproven {
			d.countUnproven(r)
		}
		return unproven, nil
	}
	return nil, d.deleteHeld(ctx, st, DeleteOptions{})
}

// countUnproven counts a resource left for lack of proof, once per resource.
func (d *Deployer) countUnproven(r Resource) bool {
	if _, seen := d.own.unprovenLogged.LoadOrStore(r.ID, true); seen {
		return false
	}
	unprovenResources.WithLabelValues(r.Kind).Inc()
	return true
}

// backendSGProven reports whether the managed backend group may be deleted
// as this cluster's; it logs (once) and counts a group without proof.
func (d *Deployer) backendSGProven(ctx context.Context, sg *SecurityGroupState) bool {
	r := Resource{Kind: KindSecurityGroup, ID: sg.ID, ClusterUID: sg.Tags[model.TagClusterUID]}
	if d.Proven(r) {
		return true
	}
	if d.countUnproven(r) {
		log.FromContext(ctx).Info("leaving the shared backend security group: nothing proves it is this cluster's "+
			"(no identity tag of this cluster, never recorded in use by one of its Services)",
			"securityGroup", sg.ID, "identityTag", model.TagClusterUID)
	}
	return false
}
