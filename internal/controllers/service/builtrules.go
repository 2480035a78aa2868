package service

import (
	"context"
	"reflect"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// builtRules remembers, per Service, the backend rules its last build gave
// and what that build was made from. The node-rules writer asks for every
// Service's needs on each run (a second after a burst of deploys); building
// 1,000 stacks each time was most of kelb's CPU while 1,000 Services
// converged. A Service is built again only when something the build reads
// differs: the Service's, its endpoint slices' or any node's resource
// version, or a fact (subnets, security groups, certificates, what AWS
// holds of its load balancer). The build is a pure function of those, so
// the needs are the same as building anew.
type builtRules struct {
	mu        sync.Mutex
	byService map[types.UID]builtEntry
}

type builtEntry struct {
	service, nodes, slices string // resource versions
	facts                  service.Facts
	rules                  []model.BackendRule
}

// backendRules returns the rules the Service needs in the node groups now.
func (c *Controller) backendRules(ctx context.Context, svc *corev1.Service, v *view,
	slices []*discoveryv1.EndpointSlice) ([]model.BackendRule, error) {
	in, err := c.input(ctx, svc, v, slices)
	if err != nil {
		return nil, err
	}
	key := builtEntry{service: svc.ResourceVersion, nodes: v.nodeVersions(), slices: sliceVersions(slices), facts: in.Facts}
	if rules, ok := c.built.get(svc.UID, key); ok {
		return rules, nil
	}
	stack, err := service.Build(c.Config, in)
	if err != nil {
		return nil, err
	}
	key.rules = stack.BackendRules
	c.built.put(svc.UID, key)
	return stack.BackendRules, nil
}

func (b *builtRules) get(uid types.UID, key builtEntry) ([]model.BackendRule, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.byService[uid]
	if !ok || e.service != key.service || e.nodes != key.nodes || e.slices != key.slices ||
		!reflect.DeepEqual(e.facts, key.facts) {
		return nil, false
	}
	return e.rules, true
}

func (b *builtRules) put(uid types.UID, e builtEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byService == nil {
		b.byService = map[types.UID]builtEntry{}
	}
	b.byService[uid] = e
}

// keepOnly forgets the Services not in keep (gone, deleting, invalid).
func (b *builtRules) keepOnly(keep map[types.UID]bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for uid := range b.byService {
		if !keep[uid] {
			delete(b.byService, uid)
		}
	}
}

// nodeVersions identifies the nodes of the view (sorted by name), computed
// once per view.
func (v *view) nodeVersions() string {
	v.nodesOnce.Do(func() {
		var b strings.Builder
		for _, n := range v.nodes {
			b.WriteString(n.Name + "@" + n.ResourceVersion + ",")
		}
		v.nodesVersion = b.String()
	})
	return v.nodesVersion
}

func sliceVersions(slices []*discoveryv1.EndpointSlice) string {
	var b strings.Builder
	for _, s := range slices {
		b.WriteString(s.Name + "@" + s.ResourceVersion + ",")
	}
	return b.String()
}
