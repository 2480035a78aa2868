package awsproxy

import (
	"fmt"
	"sort"
	"time"
)

// RuleReport measures, from the call log, how rule changes on security
// groups treated traffic during a window of calls. It replays, for every
// (group, protocol, port, source) that traffic may need, when a rule allowed
// it and when traffic was sent its way (see traffic for what the log
// tells), and adds up two kinds of bad time:
//
//   - Gap: the time a point went unallowed after a revoke while it was still
//     needed. A point stops being needed when its traffic stops (targets
//     deregistered, target group, listener or load balancer deleted) or
//     when where traffic comes from changes (preserve_client_ip flipped,
//     SetSubnets, SetSecurityGroups); a revoke sent before such a change is
//     answered is a gap until it is. A point allowed again later in the
//     window was needed all along: the whole time counts. A source revoked
//     for good with no such change in the window is taken as dropped on
//     purpose (a source range edited away): only the time no source at all
//     allowed the port counts. A revoke-before-authorize, a range narrowed
//     past a port with targets, and a rule revoked while its targets stay
//     show here.
//   - Exposure: the time between a call that sends traffic towards a point
//     that no rule allows (a target registered, an attribute flipped, a
//     listener created) and the moment a rule allowed it. An attribute
//     flipped before its rules shows here.
//
// Where the log shows no traffic at all for a group (no targets in a log of
// rule calls only), every port a rule allowed counts as needed from then on.
// Ports are checked one by one where traffic is known, else by stretches of
// ports between the bounds of every rule ever seen, so a port inside a range
// is checked too. The window is taken to hold one change: only changes of
// where traffic comes from inside it excuse a revoke.
type RuleReport struct {
	Gap      time.Duration
	Exposure time.Duration
	// Details name each point that contributed, sorted.
	Details []string
}

// Analyze replays the calls of one account (all of them since its groups
// were made, so that the state before the window is known) and reports on
// the window [from, end].
func Analyze(calls []Call, from, end time.Time) RuleReport {
	calls = append([]Call(nil), calls...)
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].Time.Before(calls[j].Time) })
	a := &analysis{from: from, end: end, events: ruleEvents(calls, end), traffic: newTraffic(calls, end)}
	var rep RuleReport
	for _, p := range pointsOf(a.events, a.traffic) {
		gap, exposure := a.judge(p)
		if gap > 0 {
			rep.Gap += gap
			rep.Details = append(rep.Details, fmt.Sprintf("gap %s on %s", gap, p))
		}
		if exposure > 0 {
			rep.Exposure += exposure
			rep.Details = append(rep.Details, fmt.Sprintf("exposure %s on %s", exposure, p))
		}
	}
	sort.Strings(rep.Details)
	return rep
}

type analysis struct {
	from, end time.Time
	events    map[string][]ruleEvent
	traffic   *traffic
}

// judge walks the window for one point and returns its gap and exposure.
func (a *analysis) judge(p point) (gap, exposure time.Duration) {
	changes := coverage(a.events[p.group], p.proto, p.source, p.from)
	allowed, since := false, time.Time{}
	i := 0
	for ; i < len(changes) && changes[i].at.Before(a.from); i++ {
		allowed, since = changes[i].allowed, changes[i].at
	}
	// An unallowed stretch starts at u: lost when a revoke in the window
	// ended a stretch allowed since allowedSince.
	u, lost, allowedSince := a.from, false, time.Time{}
	for ; i < len(changes); i++ {
		c := changes[i]
		if c.allowed {
			g, e := a.unallowed(p, u, c.at, true, lost, allowedSince)
			gap, exposure = gap+g, exposure+e
		} else {
			u, lost, allowedSince = c.at, true, since
		}
		allowed, since = c.allowed, c.at
	}
	if !allowed {
		g, e := a.unallowed(p, u, a.end, false, lost, allowedSince)
		gap, exposure = gap+g, exposure+e
	}
	return gap, exposure
}

// unallowed judges the stretch [u, v) in which p was not allowed; allowedAgain
// says whether a rule allowed it at v, lost whether a revoke at u ended a
// stretch allowed since allowedSince.
func (a *analysis) unallowed(p point, u, v time.Time, allowedAgain, lost bool, allowedSince time.Time) (gap, exposure time.Duration) {
	tr, port := a.traffic, p.from
	needFrom := u // from when a need that arises counts as exposure
	if lost && a.needed(p, u, allowedSince) {
		until := v // the need ends at v, or when its traffic ends or moves
		if at, ok := tr.demandEnd(p.group, port, u, a.end); ok && at.Before(until) {
			until = at
		}
		if at, ok := tr.releaseAfter(p.group, port, u); ok && at.Before(until) {
			until = at
		}
		if until.Equal(v) && !allowedAgain {
			gap = a.alone(p, u, v) // revoked for good: maybe on purpose
		} else {
			gap = until.Sub(u)
		}
		needFrom = until
	}
	if allowedAgain {
		if at, ok := tr.firstTrigger(p.group, port, needFrom, v); ok {
			exposure = v.Sub(at)
		}
	}
	return gap, exposure
}

// needed reports whether p was needed when a revoke at u made it unallowed:
// traffic went its way, and where it comes from did not change between the
// later of the window's start and allowedSince, and u.
func (a *analysis) needed(p point, u, allowedSince time.Time) bool {
	if !a.traffic.demandAt(p.group, p.from, u) {
		return false
	}
	since := allowedSince
	if since.Before(a.from) {
		since = a.from
	}
	return !a.traffic.releasedIn(p.group, p.from, since, u)
}

// alone returns how long in [u, v) no rule from any source allowed p's
// protocol and port.
func (a *analysis) alone(p point, u, v time.Time) time.Duration {
	changes := coverage(a.events[p.group], p.proto, "", p.from)
	var total time.Duration
	allowed, at := false, u
	for _, c := range changes {
		if !c.at.After(u) {
			allowed = c.allowed
			continue
		}
		if c.at.After(v) {
			break
		}
		if !allowed {
			total += c.at.Sub(at)
		}
		allowed, at = c.allowed, c.at
	}
	if !allowed {
		total += v.Sub(at)
	}
	return total
}
