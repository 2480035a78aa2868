package awsproxy

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RuleReport measures, from the call log, how rule changes on security
// groups treated traffic during a window of calls:
//
//   - Gap: for every (group, protocol, port, source) allowed both at the
//     start and at the end, the time it was not allowed in between. A
//     revoke-before-authorize shows here.
//   - Exposure: for every one allowed at the end but not at the start, the
//     time between the first call that sends traffic its way and the moment
//     it was allowed. Traffic to a port of a node group starts with a target
//     registered on that port, or an attribute change of a target group with
//     targets on it; traffic to a load balancer's own group starts with a
//     listener on that port. An attribute flipped before its rules shows here.
type RuleReport struct {
	Gap      time.Duration
	Exposure time.Duration
	// Details name each pair that contributed.
	Details []string
}

type ruleKey struct {
	group, proto, source string
	from, to             int32
}

var permParam = regexp.MustCompile(`^IpPermissions\.(\d+)\.(IpRanges|Ipv6Ranges|Groups)\.(\d+)\.(CidrIp|CidrIpv6|GroupId)$`)

// rulesOf returns the rules an Authorize or Revoke call names.
func rulesOf(c Call) []ruleKey {
	var out []ruleKey
	for k, v := range c.Params {
		m := permParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		p := "IpPermissions." + m[1] + "."
		from, _ := strconv.Atoi(c.Params[p+"FromPort"])
		to, _ := strconv.Atoi(c.Params[p+"ToPort"])
		if c.Params[p+"IpProtocol"] == "-1" {
			from, to = 0, 65535
		}
		out = append(out, ruleKey{group: c.Params["GroupId"], proto: c.Params[p+"IpProtocol"], source: v,
			from: int32(from), to: int32(to)})
	}
	return out
}

// Analyze replays the calls of one account (all of them since its groups
// were made, so that the state before the window is known) and reports on
// the window [from, end].
func Analyze(calls []Call, from, end time.Time) RuleReport {
	calls = append([]Call(nil), calls...)
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].Time.Before(calls[j].Time) })
	state := map[ruleKey]bool{}
	var window []Call
	for _, c := range calls {
		if !c.Time.Before(from) {
			if !c.Time.After(end) {
				window = append(window, c)
			}
			continue
		}
		if c.Status == 200 && c.Action == "AuthorizeSecurityGroupIngress" {
			for _, r := range rulesOf(c) {
				state[r] = true
			}
		} else if c.Status == 200 && c.Action == "RevokeSecurityGroupIngress" {
			for _, r := range rulesOf(c) {
				delete(state, r)
			}
		}
	}
	history := calls
	calls = window
	type step struct {
		at    time.Time
		state map[ruleKey]bool
	}
	start := map[ruleKey]bool{}
	for k := range state {
		start[k] = true
	}
	var steps []step
	tr := newTriggers(history)
	for _, c := range calls {
		if c.Status != 200 {
			continue
		}
		switch c.Action {
		case "AuthorizeSecurityGroupIngress":
			for _, r := range rulesOf(c) {
				state[r] = true
			}
		case "RevokeSecurityGroupIngress":
			for _, r := range rulesOf(c) {
				delete(state, r)
			}
		case "ModifyTargetGroupAttributes", "RegisterTargets", "CreateListener":
			tr.observe(c)
			continue
		default:
			continue
		}
		snap := map[ruleKey]bool{}
		for k := range state {
			snap[k] = true
		}
		steps = append(steps, step{at: c.Time.Add(c.Duration), state: snap})
	}
	final := state
	var rep RuleReport
	// Candidate points: every port a rule starts or ends at; coverage is
	// the same between such points.
	type point struct {
		group, proto, source string
		port                 int32
	}
	points := map[point]bool{}
	for _, set := range []map[ruleKey]bool{start, final} {
		for r := range set {
			points[point{r.group, r.proto, r.source, r.from}] = true
			points[point{r.group, r.proto, r.source, r.to}] = true
		}
	}
	covers := func(set map[ruleKey]bool, p point) bool {
		for r := range set {
			if r.group == p.group && r.source == p.source && (r.proto == p.proto || r.proto == "-1") &&
				r.from <= p.port && p.port <= r.to {
				return true
			}
		}
		return false
	}
	for p := range points {
		before, after := covers(start, p), covers(final, p)
		switch {
		case before && after: // gap: uncovered time between steps
			var gap time.Duration
			for i, s := range steps {
				if !covers(s.state, p) {
					next := end
					if i+1 < len(steps) {
						next = steps[i+1].at
					}
					gap += next.Sub(s.at)
				}
			}
			if gap > 0 {
				rep.Gap += gap
				rep.Details = append(rep.Details, fmt.Sprintf("gap %s on %s %s/%d from %s", gap, p.group, p.proto, p.port, p.source))
			}
		case after && !before: // exposure: allowed only after traffic was sent
			trigger, ok := tr.first(p.group, p.port)
			if !ok {
				continue
			}
			for _, s := range steps {
				if covers(s.state, p) {
					if s.at.After(trigger) {
						d := s.at.Sub(trigger)
						rep.Exposure += d
						rep.Details = append(rep.Details, fmt.Sprintf("exposure %s on %s %s/%d from %s", d, p.group, p.proto, p.port, p.source))
					}
					break
				}
			}
		}
	}
	sort.Strings(rep.Details)
	return rep
}

// triggers remembers, per port, when traffic towards it started.
type triggers struct {
	lbGroups   map[string][]string // load balancer name -> its security groups
	frontend   map[string]bool     // groups of load balancers
	tgPorts    map[string][]int32  // target group ARN -> ports registered
	nodePort   map[int32]time.Time // first registration or attribute change sending to a port
	listenerOn map[string]map[int32]time.Time
}

func newTriggers(history []Call) *triggers {
	t := &triggers{lbGroups: map[string][]string{}, frontend: map[string]bool{}, tgPorts: map[string][]int32{},
		nodePort: map[int32]time.Time{}, listenerOn: map[string]map[int32]time.Time{}}
	for _, c := range history {
		if c.Status != 200 {
			continue
		}
		switch c.Action {
		case "CreateLoadBalancer", "SetSecurityGroups":
			name := c.Params["Name"]
			if name == "" {
				name = lbName(c.Params["LoadBalancerArn"])
			}
			var groups []string
			for k, v := range c.Params {
				if strings.HasPrefix(k, "SecurityGroups.member.") {
					groups = append(groups, v)
					t.frontend[v] = true
				}
			}
			t.lbGroups[name] = groups
		case "RegisterTargets":
			for k, v := range c.Params {
				if strings.HasPrefix(k, "Targets.member.") && strings.HasSuffix(k, ".Port") {
					port, _ := strconv.Atoi(v)
					t.tgPorts[c.Params["TargetGroupArn"]] = append(t.tgPorts[c.Params["TargetGroupArn"]], int32(port))
				}
			}
		}
	}
	return t
}

var lbNameInARN = regexp.MustCompile(`loadbalancer/[a-z]+/([^/]+)/`)

func lbName(arn string) string {
	if m := lbNameInARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}

func (t *triggers) observe(c Call) {
	var ports []int32
	switch c.Action {
	case "CreateListener":
		port, _ := strconv.Atoi(c.Params["Port"])
		for _, g := range t.lbGroups[lbName(c.Params["LoadBalancerArn"])] {
			if t.listenerOn[g] == nil {
				t.listenerOn[g] = map[int32]time.Time{}
			}
			if _, ok := t.listenerOn[g][int32(port)]; !ok {
				t.listenerOn[g][int32(port)] = c.Time
			}
		}
		return
	case "RegisterTargets":
		for k, v := range c.Params {
			if strings.HasPrefix(k, "Targets.member.") && strings.HasSuffix(k, ".Port") {
				port, _ := strconv.Atoi(v)
				ports = append(ports, int32(port))
			}
		}
	case "ModifyTargetGroupAttributes":
		ports = t.tgPorts[c.Params["TargetGroupArn"]]
	}
	for _, p := range ports {
		if _, ok := t.nodePort[p]; !ok {
			t.nodePort[p] = c.Time
		}
	}
}

// first returns when traffic towards port in group started.
func (t *triggers) first(group string, port int32) (time.Time, bool) {
	if t.frontend[group] {
		at, ok := t.listenerOn[group][port]
		return at, ok
	}
	at, ok := t.nodePort[port]
	return at, ok
}
