// Package ownership keeps kelb's record of the AWS resources without identity
// tag (LBC made them, or a kelb before identity tags) that it has seen
// claimed by a live Service of this cluster. After the Service is gone, the
// record is the proof that those resources were this cluster's, so that the
// orphan sweeper may delete them; without it they are only reported.
//
// The record lives in one ConfigMap, one line per stack:
//
//	<stack key> <resource> <resource> ...
//
// where the key is StackKey's: a Service stack's "<namespace>/<name>", as
// every version has written it, and "<kind>:<name>" for other kinds.
//
// where a resource is a group id, or the part of an ARN after the account
// ("loadbalancer/net/<name>/<id>", "targetgroup/<name>/<id>"): the sweeper
// compares it only with resources of its own account and region.
package ownership

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/kelb-dev/kelb/internal/model"
)

// BackendSGKey is the record's key for the shared backend security group; no
// stack id can be spelled so (Kubernetes names have no underscore).
const BackendSGKey = "_backend-sg"

// StackKey is the record's key of a stack. A Service stack keeps the key
// records have always had, its name "<namespace>/<name>", so a record
// written before stacks had kinds reads the same. Other kinds are
// "<kind>:<name>" (StackID.String): a Kubernetes name holds no ":", so
// no Service key, and no BackendSGKey, can be spelled so.
func StackKey(id model.StackID) string {
	if id.Kind == model.ServiceKind {
		return id.Name
	}
	return id.String()
}

// Entries maps record keys (StackKey, BackendSGKey) to resource refs (Ref).
type Entries map[string][]string

// Ref is how the record spells a resource: the part of an ARN after its
// fifth colon (arn:partition:service:region:account:), or the id as it is.
func Ref(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) < 6 {
		return id
	}
	return parts[5]
}

// Record is the record in memory: the sweeper sets it, the deployer asks it.
type Record struct {
	mu      sync.RWMutex
	entries Entries
	refs    map[string]bool
}

// Has reports whether the record holds the resource (an ARN or a group id).
func (r *Record) Has(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.refs[Ref(id)]
}

// Entries returns a copy of the record.
func (r *Record) Entries() Entries {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.entries.Clone()
}

// Set replaces the record with a copy of e.
func (r *Record) Set(e Entries) {
	e = e.Clone()
	refs := map[string]bool{}
	for _, rs := range e {
		for _, ref := range rs {
			refs[ref] = true
		}
	}
	r.mu.Lock()
	r.entries, r.refs = e, refs
	r.mu.Unlock()
}

// Clone returns a deep copy.
func (e Entries) Clone() Entries {
	out := make(Entries, len(e))
	for k, v := range e {
		out[k] = slices.Clone(v)
	}
	return out
}

// Equal reports whether two records hold the same refs under the same keys.
func (e Entries) Equal(o Entries) bool {
	return maps.EqualFunc(e, o, slices.Equal[[]string])
}

// Encode writes the record as sorted lines, each ref list sorted.
func Encode(e Entries) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(e)) {
		b.WriteString(line(k, e[k]))
	}
	return b.String()
}

func line(key string, refs []string) string {
	refs = slices.Clone(refs)
	sort.Strings(refs)
	return key + " " + strings.Join(refs, " ") + "\n"
}

// Decode reads what Encode wrote; blank lines and keys without refs are
// skipped.
func Decode(s string) Entries {
	out := Entries{}
	for _, l := range strings.Split(s, "\n") {
		fields := strings.Fields(l)
		if len(fields) < 2 {
			continue
		}
		refs := slices.Clone(fields[1:])
		sort.Strings(refs)
		out[fields[0]] = slices.Compact(refs)
	}
	return out
}

// Fit returns the part of next whose encoding takes at most maxBytes, and
// the keys left out. Keys of prev go first, so that what was proven stays
// proven; the rest in order.
func Fit(prev, next Entries, maxBytes int) (Entries, []string) {
	keys := slices.Sorted(maps.Keys(next))
	sort.SliceStable(keys, func(i, j int) bool {
		_, pi := prev[keys[i]]
		_, pj := prev[keys[j]]
		return pi && !pj
	})
	out, size := Entries{}, 0
	var left []string
	for _, k := range keys {
		n := len(line(k, next[k]))
		if size+n > maxBytes {
			left = append(left, k)
			continue
		}
		size += n
		out[k] = slices.Clone(next[k])
	}
	sort.Strings(left)
	return out, left
}
