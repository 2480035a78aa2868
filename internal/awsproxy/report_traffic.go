package awsproxy

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// traffic is what the call log tells about traffic towards a port of a
// security group, for the rule report:
//
//   - A group some load balancer carries (a frontend group) receives
//     traffic on the ports of that load balancer's listeners, from
//     CreateListener (or the group's arrival on the load balancer) until
//     DeleteListener, DeleteLoadBalancer or SetSecurityGroups without it.
//   - Any other group (a node group) receives traffic on every port a
//     target is registered on, from RegisterTargets until the last target
//     on that port is deregistered or its target group deleted. Which node
//     group a target is in is not in the log: the port counts for every
//     node group the rules talk about.
//
// Beside demand, two kinds of moments matter:
//
//   - triggers: traffic starts or may come from new sources (a demand
//     starting, a target-group attribute change, a listener moved to a
//     target group, SetSubnets or SetSecurityGroups on the load balancer in
//     front): a rule needed for it must be in by then, or it is exposure.
//   - releases: where traffic comes from may change (preserve_client_ip
//     flipped, SetSubnets, SetSecurityGroups): a source allowed before may
//     no longer be needed once the change is answered.
type traffic struct {
	frontend    map[string]bool // groups some load balancer carried
	nodeTargets bool            // the log registers targets at all
	flows       map[flowKey]*flow
}

// flowKey names traffic towards a port: group "" is every node group.
type flowKey struct {
	group string
	port  int32
}

type flow struct {
	demand    []span // sorted; the last may end at the end of the window
	triggers  []time.Time
	releases  []time.Time
	demanding bool
}

type span struct{ from, to time.Time }

type target struct {
	id   string
	port int32
}

// trafficBuilder replays the calls into a traffic.
type trafficBuilder struct {
	*traffic
	lbGroups    map[string][]string        // load balancer name -> its groups
	lbListeners map[string]map[int32]int   // load balancer name -> listener port -> listeners
	listeners   map[string]flowKey         // listener ARN -> load balancer name and port
	lbTGs       map[string]map[string]bool // load balancer name -> target groups it forwarded to
	targets     map[string]map[target]bool // target group ARN -> registered targets
	onPort      map[int32]int              // port -> registrations on it, all target groups
	preserveIP  map[string]string          // target group ARN -> preserve_client_ip.enabled
}

// newTraffic replays the successful calls (sorted by time) up to end.
func newTraffic(calls []Call, end time.Time) *traffic {
	b := &trafficBuilder{traffic: &traffic{frontend: map[string]bool{}, flows: map[flowKey]*flow{}},
		lbGroups: map[string][]string{}, lbListeners: map[string]map[int32]int{}, listeners: map[string]flowKey{},
		lbTGs: map[string]map[string]bool{}, targets: map[string]map[target]bool{}, onPort: map[int32]int{},
		preserveIP: map[string]string{}}
	for _, c := range calls {
		if c.Status == 200 && (c.Action == "CreateLoadBalancer" || c.Action == "SetSecurityGroups") {
			for _, g := range memberValues(c.Params, "SecurityGroups.member.") {
				b.frontend[g] = true
			}
		}
	}
	for _, c := range calls {
		if c.Status == 200 && !c.Time.After(end) {
			b.observe(c)
		}
	}
	for _, f := range b.flows {
		if f.demanding {
			f.demand[len(f.demand)-1].to = end
		}
		slices.SortFunc(f.releases, time.Time.Compare)
	}
	return b.traffic
}

func (b *trafficBuilder) observe(c Call) {
	start, done := c.Time, c.Time.Add(c.Duration)
	switch c.Action {
	case "CreateLoadBalancer", "SetSecurityGroups":
		lb := c.Params["Name"]
		if lb == "" {
			lb = lbName(c.Params["LoadBalancerArn"])
		}
		before := b.lbGroups[lb]
		b.lbGroups[lb] = memberValues(c.Params, "SecurityGroups.member.")
		b.frontendChanged(lb, before, nil, start, done)
		if c.Action == "SetSecurityGroups" {
			b.sourcesChanged(lb, start, done)
		}
	case "SetSubnets":
		b.sourcesChanged(lbName(c.Params["LoadBalancerArn"]), start, done)
	case "CreateListener":
		lb := lbName(c.Params["LoadBalancerArn"])
		port := atoi32(c.Params["Port"])
		if b.lbListeners[lb] == nil {
			b.lbListeners[lb] = map[int32]int{}
		}
		b.lbListeners[lb][port]++
		b.listeners[c.Created] = flowKey{lb, port}
		b.forwardsTo(lb, c, start)
		b.frontendChanged(lb, nil, []int32{port}, start, done)
	case "ModifyListener":
		b.forwardsTo(lbName(c.Params["ListenerArn"]), c, start)
	case "DeleteListener":
		if l, ok := b.listeners[c.Params["ListenerArn"]]; ok {
			delete(b.listeners, c.Params["ListenerArn"])
			b.lbListeners[l.group][l.port]--
			b.frontendChanged(l.group, nil, []int32{l.port}, start, done)
		}
	case "DeleteLoadBalancer":
		lb := lbName(c.Params["LoadBalancerArn"])
		groups, ports := b.lbGroups[lb], b.listenerPorts(lb)
		delete(b.lbGroups, lb)
		delete(b.lbListeners, lb)
		b.frontendChanged(lb, groups, ports, start, done)
	case "RegisterTargets":
		b.nodeTargets = true
		tg := c.Params["TargetGroupArn"]
		if b.targets[tg] == nil {
			b.targets[tg] = map[target]bool{}
		}
		for _, t := range targetsOf(c.Params) {
			if !b.targets[tg][t] {
				b.targets[tg][t] = true
				b.register(t.port, 1, start)
			}
			b.flow(flowKey{"", t.port}).trigger(start)
		}
	case "DeregisterTargets":
		tg := c.Params["TargetGroupArn"]
		for _, t := range targetsOf(c.Params) {
			if b.targets[tg][t] {
				delete(b.targets[tg], t)
				b.register(t.port, -1, done)
			}
		}
	case "DeleteTargetGroup":
		tg := c.Params["TargetGroupArn"]
		for t := range b.targets[tg] {
			b.register(t.port, -1, done)
		}
		delete(b.targets, tg)
	case "ModifyTargetGroupAttributes":
		tg := c.Params["TargetGroupArn"]
		flipped := false
		for i := 1; c.Params["Attributes.member."+strconv.Itoa(i)+".Key"] != ""; i++ {
			p := "Attributes.member." + strconv.Itoa(i) + "."
			if c.Params[p+"Key"] == "preserve_client_ip.enabled" {
				flipped = b.preserveIP[tg] != c.Params[p+"Value"]
				b.preserveIP[tg] = c.Params[p+"Value"]
			}
		}
		for _, port := range b.portsOf(tg) {
			f := b.flow(flowKey{"", port})
			f.trigger(start)
			if flipped {
				f.releases = append(f.releases, done)
			}
		}
	}
}

func (b *trafficBuilder) flow(k flowKey) *flow {
	f := b.flows[k]
	if f == nil {
		f = &flow{}
		b.flows[k] = f
	}
	return f
}

func (f *flow) trigger(at time.Time) { f.triggers = append(f.triggers, at) }

// setDemand opens demand at start or closes it at done.
func (f *flow) setDemand(on bool, start, done time.Time) {
	switch {
	case on && !f.demanding:
		f.demand = append(f.demand, span{from: start})
		f.trigger(start)
	case !on && f.demanding:
		f.demand[len(f.demand)-1].to = done
	}
	f.demanding = on
}

// register counts a target on port in or out.
func (b *trafficBuilder) register(port int32, delta int, at time.Time) {
	b.onPort[port] += delta
	b.flow(flowKey{"", port}).setDemand(b.onPort[port] > 0, at, at)
}

// frontendChanged recomputes demand on the groups and listener ports of lb,
// plus those it had before.
func (b *trafficBuilder) frontendChanged(lb string, groups []string, ports []int32, start, done time.Time) {
	groups = append(append([]string(nil), groups...), b.lbGroups[lb]...)
	ports = append(append([]int32(nil), ports...), b.listenerPorts(lb)...)
	for _, g := range groups {
		for _, port := range ports {
			b.flow(flowKey{g, port}).setDemand(b.listened(g, port), start, done)
		}
	}
}

// listened reports whether any load balancer carrying group listens on port.
func (b *trafficBuilder) listened(group string, port int32) bool {
	for lb, groups := range b.lbGroups {
		if b.lbListeners[lb][port] > 0 && slices.Contains(groups, group) {
			return true
		}
	}
	return false
}

func (b *trafficBuilder) listenerPorts(lb string) []int32 {
	var out []int32
	for port, n := range b.lbListeners[lb] {
		if n > 0 {
			out = append(out, port)
		}
	}
	return out
}

// forwardsTo notes the target groups a listener call names; traffic starts
// towards their targets.
func (b *trafficBuilder) forwardsTo(lb string, c Call, start time.Time) {
	if b.lbTGs[lb] == nil {
		b.lbTGs[lb] = map[string]bool{}
	}
	for k, tg := range c.Params {
		if strings.HasSuffix(k, "TargetGroupArn") {
			b.lbTGs[lb][tg] = true
			for _, port := range b.portsOf(tg) {
				b.flow(flowKey{"", port}).trigger(start)
			}
		}
	}
}

// sourcesChanged notes a change of where lb's traffic to its targets comes
// from.
func (b *trafficBuilder) sourcesChanged(lb string, start, done time.Time) {
	for tg := range b.lbTGs[lb] {
		for _, port := range b.portsOf(tg) {
			f := b.flow(flowKey{"", port})
			f.trigger(start)
			f.releases = append(f.releases, done)
		}
	}
}

// portsOf returns the ports targets are registered on in tg.
func (b *trafficBuilder) portsOf(tg string) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for t := range b.targets[tg] {
		if !seen[t.port] {
			seen[t.port] = true
			out = append(out, t.port)
		}
	}
	return out
}
