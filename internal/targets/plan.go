package targets

import (
	"sort"
	"strconv"
	"strings"

	"github.com/kelb-dev/kelb/internal/model"
)

// Member is a target AWS lists in a target group.
type Member struct {
	model.Target
	// Draining: deregistered and draining; AWS still lists it for the
	// deregistration delay. It is no member to keep or to deregister
	// again, and registering it again stops the drain.
	Draining bool
}

// Change is what brings a target group to the wanted members: the new
// ones are registered first, then the others deregistered.
type Change struct {
	Register, Deregister []model.Target
}

// Empty reports whether nothing changes.
func (c Change) Empty() bool { return len(c.Register) == 0 && len(c.Deregister) == 0 }

// Plan compares the wanted targets with the members AWS has. When owned
// is not nil (a target group shared with other clusters or tools), only
// members in owned are ever deregistered; otherwise every member not
// wanted is.
func Plan(want []model.Target, have []Member, owned Set) Change {
	wanted := NewSet(want...)
	present := Set{}
	for _, m := range have {
		if !m.Draining {
			present[m.Target] = true
		}
	}
	var c Change
	for _, t := range want {
		if !present[t] {
			c.Register = append(c.Register, t)
		}
	}
	for t := range present {
		if !wanted[t] && (owned == nil || owned[t]) {
			c.Deregister = append(c.Deregister, t)
		}
	}
	Sort(c.Register)
	Sort(c.Deregister)
	return c
}

// Sort orders targets by id, then port.
func Sort(ts []model.Target) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].ID != ts[j].ID {
			return ts[i].ID < ts[j].ID
		}
		return ts[i].Port < ts[j].Port
	})
}

// Set is a set of targets.
type Set map[model.Target]bool

// NewSet returns the set of ts.
func NewSet(ts ...model.Target) Set {
	s := Set{}
	for _, t := range ts {
		s[t] = true
	}
	return s
}

// Union returns a new set with the members of s and ts.
func (s Set) Union(ts ...model.Target) Set {
	out := Set{}
	for t := range s {
		out[t] = true
	}
	for _, t := range ts {
		out[t] = true
	}
	return out
}

// Sorted returns the members in order.
func (s Set) Sorted() []model.Target {
	out := make([]model.Target, 0, len(s))
	for t := range s {
		out = append(out, t)
	}
	Sort(out)
	return out
}

// Equal reports whether s and o have the same members.
func (s Set) Equal(o Set) bool {
	if len(s) != len(o) {
		return false
	}
	for t := range s {
		if !o[t] {
			return false
		}
	}
	return true
}

// EncodeTracked writes targets as LBC records the targets a multi-cluster
// binding registered: "id:port" items joined by commas, in order.
func EncodeTracked(s Set) string {
	items := make([]string, 0, len(s))
	for _, t := range s.Sorted() {
		items = append(items, t.ID+":"+strconv.Itoa(int(t.Port)))
	}
	return strings.Join(items, ",")
}

// DecodeTracked reads EncodeTracked's form (LBC's). Items without a port
// are skipped: they name no target this binding could have registered.
// An IPv6 address keeps its colons: the port follows the last one.
func DecodeTracked(csv string) Set {
	s := Set{}
	for _, item := range strings.Split(csv, ",") {
		item = strings.TrimSpace(item)
		i := strings.LastIndex(item, ":")
		if i <= 0 {
			continue
		}
		port, err := strconv.ParseInt(item[i+1:], 10, 32)
		if err != nil {
			continue
		}
		s[model.Target{ID: item[:i], Port: int32(port)}] = true
	}
	return s
}
