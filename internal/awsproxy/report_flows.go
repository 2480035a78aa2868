package awsproxy

import (
	"slices"
	"time"
)

// What the rule report asks of the traffic the log shows.

// key returns the flow traffic towards port of group belongs to.
func (t *traffic) key(group string, port int32) flowKey {
	if t.frontend[group] {
		return flowKey{group, port}
	}
	return flowKey{"", port}
}

// knows reports whether the log tells when group receives traffic: always
// for a frontend group, for node groups when targets were registered at all.
// A log without targets (rules only) says nothing: every port a rule
// allowed counts as needed.
func (t *traffic) knows(group string) bool { return t.frontend[group] || t.nodeTargets }

// demandedPorts returns the ports group ever received traffic on, sorted.
func (t *traffic) demandedPorts(group string) []int32 {
	if !t.frontend[group] {
		group = ""
	}
	var out []int32
	for k, f := range t.flows {
		if k.group == group && len(f.demand) > 0 {
			out = append(out, k.port)
		}
	}
	slices.Sort(out)
	return out
}

// demandAt reports whether group receives traffic on port at.
func (t *traffic) demandAt(group string, port int32, at time.Time) bool {
	if !t.knows(group) {
		return true
	}
	if f := t.flows[t.key(group, port)]; f != nil {
		for _, s := range f.demand {
			if !at.Before(s.from) && at.Before(s.to) {
				return true
			}
		}
	}
	return false
}

// demandEnd returns when the demand on port of group that holds at ends,
// if it ends before the end of the window.
func (t *traffic) demandEnd(group string, port int32, at, end time.Time) (time.Time, bool) {
	if f := t.flows[t.key(group, port)]; f != nil {
		for _, s := range f.demand {
			if !at.Before(s.from) && at.Before(s.to) {
				return s.to, s.to.Before(end)
			}
		}
	}
	return time.Time{}, false
}

// firstTrigger returns the first trigger on port of group in [from, to).
func (t *traffic) firstTrigger(group string, port int32, from, to time.Time) (time.Time, bool) {
	if f := t.flows[t.key(group, port)]; f != nil {
		for _, at := range f.triggers {
			if !at.Before(from) && at.Before(to) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// releasedIn reports whether a release on port of group was answered in
// [from, to].
func (t *traffic) releasedIn(group string, port int32, from, to time.Time) bool {
	if f := t.flows[t.key(group, port)]; f != nil {
		for _, at := range f.releases {
			if !at.Before(from) && !at.After(to) {
				return true
			}
		}
	}
	return false
}

// releaseAfter returns the first release on port of group answered after at.
func (t *traffic) releaseAfter(group string, port int32, at time.Time) (time.Time, bool) {
	if f := t.flows[t.key(group, port)]; f != nil {
		for _, r := range f.releases {
			if r.After(at) {
				return r, true
			}
		}
	}
	return time.Time{}, false
}
