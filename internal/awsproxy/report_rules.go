package awsproxy

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// ruleKey is one inbound rule: a port range of a protocol from one source.
type ruleKey struct {
	group, proto, source string
	from, to             int32
}

// allows reports whether r lets proto traffic from source (any source when
// "") reach port. A rule of every protocol (-1) allows each of them.
func (r ruleKey) allows(proto, source string, port int32) bool {
	return (source == "" || r.source == source) && (r.proto == proto || r.proto == "-1") && r.from <= port && port <= r.to
}

// ruleEvent is a rule becoming allowed (once its authorize is answered) or
// gone (as soon as its revoke is sent): both err on the side of a gap.
type ruleEvent struct {
	at    time.Time
	allow bool
	rule  ruleKey
}

// ruleEvents returns the successful rule changes up to end per group, in
// time order.
func ruleEvents(calls []Call, end time.Time) map[string][]ruleEvent {
	out := map[string][]ruleEvent{}
	for _, c := range calls {
		if c.Status != 200 || (c.Action != "AuthorizeSecurityGroupIngress" && c.Action != "RevokeSecurityGroupIngress") {
			continue
		}
		allow, at := c.Action == "AuthorizeSecurityGroupIngress", c.Time
		if allow {
			at = c.Time.Add(c.Duration)
		}
		if at.After(end) {
			continue
		}
		for _, r := range rulesOf(c) {
			out[r.group] = append(out[r.group], ruleEvent{at: at, allow: allow, rule: r})
		}
	}
	for _, evs := range out {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	}
	return out
}

// change is the moment a point becomes allowed or not.
type change struct {
	at      time.Time
	allowed bool
}

// coverage replays events and returns when proto traffic from source (any
// when "") to port of the group became allowed or stopped being allowed.
func coverage(events []ruleEvent, proto, source string, port int32) []change {
	var out []change
	active := map[ruleKey]bool{}
	for _, e := range events {
		if !e.rule.allows(proto, source, port) || active[e.rule] == e.allow {
			continue
		}
		if e.allow {
			active[e.rule] = true
		} else {
			delete(active, e.rule)
		}
		if allowed := len(active) > 0; len(out) == 0 || out[len(out)-1].allowed != allowed {
			out = append(out, change{at: e.at, allowed: allowed})
		}
	}
	return out
}

// point is ports from..to of a group for one protocol and source, treated
// alike by every rule and by the traffic the log shows.
type point struct {
	group, proto, source string
	from, to             int32
}

func (p point) String() string {
	ports := strconv.Itoa(int(p.from))
	if p.to != p.from {
		ports += "-" + strconv.Itoa(int(p.to))
	}
	return p.group + " " + p.proto + "/" + ports + " from " + p.source
}

// pointsOf returns what to check in every group the rules talk about:
// where the log tells which ports receive traffic, each such port that a
// rule ever allowed; elsewhere every stretch of ports between the bounds of
// the rules ever seen, so that a port inside a range is checked too.
func pointsOf(events map[string][]ruleEvent, tr *traffic) []point {
	var out []point
	for group, evs := range events {
		lanes := map[[2]string]map[ruleKey]bool{} // (proto, source) -> the rules that apply to it
		for _, e := range evs {
			lanes[[2]string{e.rule.proto, e.rule.source}] = map[ruleKey]bool{}
		}
		for _, e := range evs {
			for lane, rules := range lanes {
				if r := e.rule; r.source == lane[1] && (r.proto == lane[0] || r.proto == "-1") {
					rules[r] = true
				}
			}
		}
		for lane, rules := range lanes {
			allowedEver := func(port int32) bool {
				for r := range rules {
					if r.allows(lane[0], lane[1], port) {
						return true
					}
				}
				return false
			}
			if tr.knows(group) {
				for _, port := range tr.demandedPorts(group) {
					if allowedEver(port) {
						out = append(out, point{group, lane[0], lane[1], port, port})
					}
				}
				continue
			}
			var bounds []int32
			for r := range rules {
				bounds = append(bounds, r.from, r.to+1)
			}
			slices.Sort(bounds)
			bounds = slices.Compact(bounds)
			for i := 0; i+1 < len(bounds); i++ {
				if allowedEver(bounds[i]) {
					out = append(out, point{group, lane[0], lane[1], bounds[i], bounds[i+1] - 1})
				}
			}
		}
	}
	return out
}
