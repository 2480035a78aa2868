package sweeper

import (
	"slices"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
)

// The sweeper's decisions, pure: what the record holds after a pass, which
// orphans may be deleted, and when a sweep is too big to be believed.

// nextRecord returns the record after a pass: what prev holds that AWS
// still has, plus the resources without identity tag of every stack whose
// Service is live (claimed by this kelb, with its finalizer), and the
// shared backend group when such a stack's load balancer uses it. Resources
// with this cluster's identity tag need no record; another cluster's are
// not in observed at all. Stacks are keyed by ownership.StackKey.
func nextRecord(prev ownership.Entries, observed deploy.Observed, live map[model.StackID]bool) ownership.Entries {
	exists := map[string]bool{}
	for _, rs := range observed.Stacks {
		for _, r := range rs {
			exists[ownership.Ref(r.ID)] = true
		}
	}
	if b := observed.BackendSG; b != nil {
		exists[ownership.Ref(b.ID)] = true
	}
	next := ownership.Entries{}
	add := func(key, id string) {
		ref := ownership.Ref(id)
		if !slices.Contains(next[key], ref) {
			next[key] = append(next[key], ref)
			slices.Sort(next[key])
		}
	}
	for key, refs := range prev {
		for _, ref := range refs {
			if exists[ref] {
				add(key, ref)
			}
		}
	}
	inUse := map[string]bool{}
	for id, rs := range observed.Stacks {
		if !live[id] {
			continue
		}
		for _, r := range rs {
			for _, sg := range r.SecurityGroups {
				inUse[sg] = true
			}
			if r.ClusterUID == "" {
				add(ownership.StackKey(id), r.ID)
			}
		}
	}
	if b := observed.BackendSG; b != nil && b.ClusterUID == "" && inUse[b.ID] {
		add(ownership.BackendSGKey, b.ID)
	}
	return next
}

// judge splits orphans (past their grace period) into the stacks whose
// every resource is proven this cluster's, and the others with their
// resources lacking proof.
func judge(orphans []model.StackID, resources map[model.StackID][]deploy.Resource, proven func(deploy.Resource) bool) (
	deletable []model.StackID, unproven map[model.StackID][]deploy.Resource) {
	unproven = map[model.StackID][]deploy.Resource{}
	for _, id := range orphans {
		var missing []deploy.Resource
		for _, r := range resources[id] {
			if !proven(r) {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			unproven[id] = missing
		} else {
			deletable = append(deletable, id)
		}
	}
	return deletable, unproven
}

// massDeletionFloor: a sweep that would delete more stacks than this and
// more than half of all stacks only reports them. A cluster name shared by
// two clusters, or kelb pointed at the wrong cluster, looks exactly like
// that; proof of ownership should already stop it, this is the net below.
const massDeletionFloor = 5

// tooMany reports whether deleting n of total stacks at once is refused.
func tooMany(n, total int) bool {
	return n > massDeletionFloor && 2*n > total
}

// resourceIDs lists the ids of resources, for a log line.
func resourceIDs(rs []deploy.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
