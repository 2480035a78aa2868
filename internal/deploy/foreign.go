package deploy

import (
	"context"
	"maps"
	"slices"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kelb-dev/kelb/internal/model"
)

// Reasons a resource tagged with the cluster name is not this cluster's.
const (
	excludedCluster = "cluster"
	excludedVPC     = "vpc"
	// excludedStackTags: its stack tags name no single stack (keys of two
	// kinds, an empty stack tag): not kelb's to decide on.
	excludedStackTags = "stack-tags"
)

// exclusion returns why a resource carrying this cluster's name tag is not
// this cluster's, "" when it may be: its identity tag names another
// cluster, or it lives in another VPC.
func exclusion(cfg Config, tags map[string]string, vpcID string) string {
	if uid := tags[model.TagClusterUID]; uid != "" && uid != cfg.ClusterUID {
		return excludedCluster
	}
	if vpcID != cfg.VPCID {
		return excludedVPC
	}
	return ""
}

// exclusions tracks what one bulk load leaves out.
type exclusions struct {
	d      *Deployer
	logger logr.Logger
	counts map[string]int
	seen   map[string]bool
}

// newExclusions starts tracking a load; call it with loadMu held.
func (d *Deployer) newExclusions(ctx context.Context) *exclusions {
	if d.own.excludedLogged == nil {
		d.own.excludedLogged = map[string]bool{}
	}
	return &exclusions{d: d, logger: log.FromContext(ctx).WithName("inventory"), counts: map[string]int{}, seen: map[string]bool{}}
}

// excluded reports whether the resource is left out, logging it the first
// time this deployer leaves it out.
func (e *exclusions) excluded(id string, tags map[string]string, vpcID string) bool {
	reason := exclusion(e.d.cfg, tags, vpcID)
	if reason == "" {
		return false
	}
	e.counts[reason]++
	e.seen[id] = true
	if !e.d.own.excludedLogged[id] {
		e.d.own.excludedLogged[id] = true
		e.logger.V(1).Info("leaving out a resource of another cluster with the same cluster name", "resource", id,
			"reason", reason, "identityTag", tags[model.TagClusterUID], "vpc", vpcID)
	}
	return true
}

// stackOf returns the stack a resource of this cluster belongs to; false
// when it has no stack tag, is left out as another cluster's, or its stack
// tags name no single stack.
func (e *exclusions) stackOf(id string, tags map[string]string, vpcID string) (model.StackID, bool) {
	if !model.HasStackTags(tags) || e.excluded(id, tags, vpcID) {
		return model.StackID{}, false
	}
	return e.parseStack(id, tags)
}

// parseStack reads the stack of a resource known to be this cluster's. One
// whose stack tags name no single stack is left out and reported once, at
// info level: someone has to look at it.
func (e *exclusions) parseStack(id string, tags map[string]string) (model.StackID, bool) {
	stack, ok, err := model.StackOf(tags)
	if err != nil {
		e.counts[excludedStackTags]++
		e.seen[id] = true
		if !e.d.own.excludedLogged[id] {
			e.d.own.excludedLogged[id] = true
			e.logger.Info("leaving out a resource whose tags name no single stack: kelb neither adopts, changes "+
				"nor deletes it", "resource", id, "reason", err.Error())
		}
		return model.StackID{}, false
	}
	return stack, ok
}

// done publishes the load's counts and forgets resources no longer seen.
func (e *exclusions) done() {
	for _, reason := range []string{excludedCluster, excludedVPC, excludedStackTags} {
		excludedResources.WithLabelValues(reason).Set(float64(e.counts[reason]))
	}
	for _, id := range slices.Collect(maps.Keys(e.d.own.excludedLogged)) {
		if !e.seen[id] {
			delete(e.d.own.excludedLogged, id)
		}
	}
}
