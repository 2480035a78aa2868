package awsproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TargetHealth gives registered targets the health life AWS gives them
// (moto reports a target healthy at once and forgets it at once on
// deregistration): a new target is "initial" (Elb.RegistrationInProgress)
// for a while, then moto's state or the state a test forced; a deregistered
// target stays listed as "draining" (Target.DeregistrationInProgress) for
// its target group's deregistration delay, then is gone, and a query naming
// it answers "unused" (Target.NotRegistered). A target registered again
// while draining starts over as initial.
//
// With no initial time and no drain scale (the default) it keeps moto's
// timing, so that tests not about target health see what they always saw.
// It also answers a query for a target that was never registered as AWS
// does (moto says "unavailable").
type TargetHealth struct {
	mu         sync.Mutex
	initial    time.Duration
	drainScale float64
	groups     map[string]map[targetKey]*targetLife // by target group ARN
	now        func() time.Time
}

// targetKey is how AWS tells a group's targets apart: id and port.
type targetKey struct {
	id   string
	port string
}

type targetLife struct {
	registered   time.Time
	deregistered time.Time     // zero, or after registered while draining or gone
	drain        time.Duration // how long it drains after deregistered
	zone         string        // AvailabilityZone given at registration, which moto drops
	checkPort    string        // HealthCheckPort moto reports for the group
	forced       string        // healthy, unhealthy, or "" for moto's
}

// Target health states and the reasons and descriptions AWS gives with them
// (Elastic Load Balancing, "Health check reason codes").
const (
	TargetInitial   = "initial"
	TargetHealthy   = "healthy"
	TargetUnhealthy = "unhealthy"
	TargetDraining  = "draining"
	TargetUnused    = "unused"

	reasonRegistration   = "Elb.RegistrationInProgress"
	reasonDeregistration = "Target.DeregistrationInProgress"
	reasonNotRegistered  = "Target.NotRegistered"
	reasonFailedChecks   = "Target.FailedHealthChecks"
)

var targetHealthElements = map[string]string{
	TargetInitial:   "<TargetHealth><State>initial</State><Reason>" + reasonRegistration + "</Reason><Description>Target registration is in progress</Description></TargetHealth>",
	TargetHealthy:   "<TargetHealth><State>healthy</State></TargetHealth>",
	TargetUnhealthy: "<TargetHealth><State>unhealthy</State><Reason>" + reasonFailedChecks + "</Reason><Description>Health checks failed</Description></TargetHealth>",
	TargetDraining:  "<TargetHealth><State>draining</State><Reason>" + reasonDeregistration + "</Reason><Description>Target deregistration is in progress</Description></TargetHealth>",
	TargetUnused:    "<TargetHealth><State>unused</State><Reason>" + reasonNotRegistered + "</Reason><Description>Target is not registered to the target group</Description></TargetHealth>",
}

// DefaultDeregistrationDelay is AWS's deregistration_delay.timeout_seconds
// when the target group does not say.
const DefaultDeregistrationDelay = 300 * time.Second

// NewTargetHealth returns the behaviour with moto's timing.
func NewTargetHealth() *TargetHealth {
	return &TargetHealth{groups: map[string]map[targetKey]*targetLife{}, now: time.Now}
}

// SetTimes sets how long a new target is initial, and the scale applied to
// target groups' deregistration delays (0.01 drains a 300 s group for 3 s;
// 0 drops a deregistered target at once, as moto does).
func (h *TargetHealth) SetTimes(initial time.Duration, drainScale float64) {
	h.mu.Lock()
	h.initial, h.drainScale = initial, drainScale
	h.mu.Unlock()
}

// Force makes a target report state (healthy, or unhealthy with
// Target.FailedHealthChecks) once past initial and while registered; ""
// gives it moto's state again.
func (h *TargetHealth) Force(targetGroupARN, id string, port int32, state string) error {
	switch state {
	case "", TargetHealthy, TargetUnhealthy:
	default:
		return fmt.Errorf("forcing target %s:%d: state %q is not one of healthy, unhealthy or empty", id, port, state)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.life(targetGroupARN, targetKey{id, strconv.Itoa(int(port))}).forced = state
	return nil
}

func (h *TargetHealth) life(arn string, k targetKey) *targetLife {
	g := h.groups[arn]
	if g == nil {
		g = map[targetKey]*targetLife{}
		h.groups[arn] = g
	}
	l := g[k]
	if l == nil {
		l = &targetLife{}
		g[k] = l
	}
	return l
}

// Wrap implements Middleware.
func (h *TargetHealth) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		switch r.Action {
		case "RegisterTargets":
			return h.register(next, r)
		case "DeregisterTargets":
			return h.deregister(next, r)
		case "DeleteTargetGroup":
			resp := next(r)
			if resp.Status == http.StatusOK {
				h.mu.Lock()
				delete(h.groups, r.Params.Get("TargetGroupArn"))
				h.mu.Unlock()
			}
			return resp
		case "DescribeTargetHealth":
			resp := next(r)
			if resp.Status == http.StatusOK {
				resp.Body = h.rewrite(resp.Body, r.Params.Get("TargetGroupArn"), len(requestTargets(r.Params)) > 0)
			}
			return resp
		}
		return next(r)
	}
}

// requestTarget is one member of a request's Targets list.
type requestTarget struct {
	key  targetKey
	zone string
}

func requestTargets(p url.Values) []requestTarget {
	var out []requestTarget
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Targets.member.%d.", i)
		id := p.Get(prefix + "Id")
		if id == "" {
			return out
		}
		out = append(out, requestTarget{targetKey{id, p.Get(prefix + "Port")}, p.Get(prefix + "AvailabilityZone")})
	}
}

var (
	groupPort      = regexp.MustCompile(`<Port>([0-9]+)</Port>`)
	groupCheckPort = regexp.MustCompile(`<HealthCheckPort>([^<]*)</HealthCheckPort>`)
	delayAttribute = regexp.MustCompile(`<Key>deregistration_delay\.timeout_seconds</Key>\s*<Value>([0-9]+)</Value>`)
)

// groupFacts reads what the group's targets default to from the emulator:
// its port (a target registered without one gets it) and health-check port.
func groupFacts(next Handler, r *Request, arn string) (port, checkPort string) {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeTargetGroups"},
		"Version": {"2015-12-01"}, "TargetGroupArns.member.1": {arn}}))
	if m := groupPort.FindSubmatch(resp.Body); m != nil {
		port = string(m[1])
	}
	if m := groupCheckPort.FindSubmatch(resp.Body); m != nil {
		checkPort = string(m[1])
	}
	return port, checkPort
}

// withPorts fills in the group's port for targets given without one.
func withPorts(targets []requestTarget, port string) []requestTarget {
	for i := range targets {
		if targets[i].key.port == "" {
			targets[i].key.port = port
		}
	}
	return targets
}

func missingPort(targets []requestTarget) bool {
	for _, t := range targets {
		if t.key.port == "" {
			return true
		}
	}
	return false
}

// register notes when each target accepted became registered. A target
// already registered keeps its time: AWS leaves its health as it was.
func (h *TargetHealth) register(next Handler, r *Request) *Response {
	resp := next(r)
	if resp.Status != http.StatusOK {
		return resp
	}
	arn, targets := r.Params.Get("TargetGroupArn"), requestTargets(r.Params)
	if missingPort(targets) {
		port, _ := groupFacts(next, r, arn)
		targets = withPorts(targets, port)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for _, t := range targets {
		l := h.life(arn, t.key)
		if l.registered.IsZero() || !l.deregistered.IsZero() {
			l.registered, l.deregistered = now, time.Time{}
		}
		l.zone = t.zone
	}
	return resp
}

// deregister notes when each target accepted was deregistered and how long
// it drains: its group's deregistration delay, scaled. The delay is read
// from the emulator, which keeps the group's attributes, only when
// draining is asked for. Then a target already draining is not passed on
// (moto forgot it and would refuse it): AWS accepts its deregistration
// again and its drain goes on.
func (h *TargetHealth) deregister(next Handler, r *Request) *Response {
	arn, targets := r.Params.Get("TargetGroupArn"), requestTargets(r.Params)
	h.mu.Lock()
	scale := h.drainScale
	h.mu.Unlock()
	var checkPort string
	if scale > 0 || missingPort(targets) {
		var port string
		port, checkPort = groupFacts(next, r, arn)
		targets = withPorts(targets, port)
	}
	pass := targets
	if scale > 0 {
		pass = h.notDraining(arn, targets)
	}
	var resp *Response
	switch {
	case len(pass) == len(targets):
		resp = next(r)
	case len(pass) == 0:
		resp = deregistered()
	default:
		resp = next(withTargets(r, pass))
	}
	if resp.Status != http.StatusOK || len(pass) == 0 {
		return resp
	}
	var drain time.Duration
	if scale > 0 {
		drain = time.Duration(float64(deregistrationDelay(next, r, arn)) * scale)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for _, t := range pass {
		l := h.life(arn, t.key)
		l.deregistered, l.drain, l.checkPort = now, drain, checkPort
	}
	return resp
}

// notDraining returns the targets that are not draining now.
func (h *TargetHealth) notDraining(arn string, targets []requestTarget) []requestTarget {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	var out []requestTarget
	for _, t := range targets {
		if l := h.groups[arn][t.key]; l == nil || h.state(l, now) != TargetDraining {
			out = append(out, t)
		}
	}
	return out
}

// withTargets is r with its Targets list replaced by targets.
func withTargets(r *Request, targets []requestTarget) *Request {
	params := url.Values{}
	for k, v := range r.Params {
		if !strings.HasPrefix(k, "Targets.member.") {
			params[k] = v
		}
	}
	for i, t := range targets {
		prefix := fmt.Sprintf("Targets.member.%d.", i+1)
		params.Set(prefix+"Id", t.key.id)
		params.Set(prefix+"Port", t.key.port)
		if t.zone != "" {
			params.Set(prefix+"AvailabilityZone", t.zone)
		}
	}
	out := *r
	out.Params, out.Body = params, []byte(params.Encode())
	return &out
}

// deregistered is AWS's answer to an accepted DeregisterTargets.
func deregistered() *Response {
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: []byte(`<DeregisterTargetsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">` +
			`<DeregisterTargetsResult/><ResponseMetadata><RequestId>kelb-proxy</RequestId></ResponseMetadata>` +
			`</DeregisterTargetsResponse>`)}
}

func deregistrationDelay(next Handler, r *Request, arn string) time.Duration {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeTargetGroupAttributes"},
		"Version": {"2015-12-01"}, "TargetGroupArn": {arn}}))
	if m := delayAttribute.FindSubmatch(resp.Body); m != nil {
		if s, err := strconv.Atoi(string(m[1])); err == nil {
			return time.Duration(s) * time.Second
		}
	}
	return DefaultDeregistrationDelay
}

// state is what AWS would say of a target now: one of the states above,
// "gone" for a target whose draining is over, or "" to keep moto's.
func (h *TargetHealth) state(l *targetLife, now time.Time) string {
	switch {
	case !l.deregistered.IsZero():
		if now.Sub(l.deregistered) < l.drain {
			return TargetDraining
		}
		return "gone"
	case l.registered.IsZero():
		return "" // forced before registration: moto's until registered
	case now.Sub(l.registered) < h.initial:
		return TargetInitial
	}
	return l.forced
}

var (
	healthDescriptions = regexp.MustCompile(`(?s)<TargetHealthDescriptions>(.*?)</TargetHealthDescriptions>|<TargetHealthDescriptions/>`)
	healthMember       = regexp.MustCompile(`(?s)<member>.*?</member>`)
	memberID           = regexp.MustCompile(`<Id>([^<]*)</Id>`)
	memberPort         = regexp.MustCompile(`<Port>([^<]*)</Port>`)
	memberZone         = regexp.MustCompile(`<AvailabilityZone>`)
	memberTargetEnd    = regexp.MustCompile(`</Target>`)
	memberHealth       = regexp.MustCompile(`(?s)<TargetHealth>.*?</TargetHealth>`)
	memberNotRegister  = regexp.MustCompile(`<Reason>Target\.NotRegistered</Reason>`)
	memberHealthy      = regexp.MustCompile(`<State>healthy</State>`)
)

// rewrite sets each listed target's health as AWS would report it now and,
// when the query named no targets, adds the draining ones moto forgot.
func (h *TargetHealth) rewrite(body []byte, arn string, named bool) []byte {
	loc := healthDescriptions.FindSubmatchIndex(body)
	if loc == nil {
		return body
	}
	inner := ""
	if loc[2] >= 0 {
		inner = string(body[loc[2]:loc[3]])
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	group := h.groups[arn]
	listed := map[targetKey]bool{}
	var out strings.Builder
	last := 0
	for _, m := range healthMember.FindAllStringIndex(inner, -1) {
		out.WriteString(inner[last:m[0]])
		last = m[1]
		member := inner[m[0]:m[1]]
		k := targetKey{firstGroup(memberID, member), firstGroup(memberPort, member)}
		listed[k] = true
		l := group[k]
		state := ""
		if l != nil {
			state = h.state(l, now)
			if l.zone != "" && !memberZone.MatchString(member) {
				member = memberTargetEnd.ReplaceAllLiteralString(member, "<AvailabilityZone>"+l.zone+"</AvailabilityZone></Target>")
			}
		}
		switch {
		case state == TargetInitial && !memberHealthy.MatchString(member):
			state = "" // moto knows better: a stopped instance is unused, never initial
		case state == "gone" && named, state == "" && memberNotRegister.MatchString(member):
			state = TargetUnused
		case state == "gone":
			state = "" // listed by moto though deregistered here: moto's word
		}
		if el := targetHealthElements[state]; el != "" {
			member = memberHealth.ReplaceAllLiteralString(member, el)
		}
		out.WriteString(member)
	}
	out.WriteString(inner[last:])
	if !named {
		out.WriteString(h.drainingMembers(group, listed, now))
	}
	h.prune(arn, now)
	return []byte(string(body[:loc[0]]) + "<TargetHealthDescriptions>" + out.String() +
		"</TargetHealthDescriptions>" + string(body[loc[1]:]))
}

// drainingMembers renders the group's draining targets that an answer does
// not list, in AWS's member shape, ordered by id and port.
func (h *TargetHealth) drainingMembers(group map[targetKey]*targetLife, listed map[targetKey]bool, now time.Time) string {
	var keys []targetKey
	for k, l := range group {
		if !listed[k] && h.state(l, now) == TargetDraining {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].id != keys[j].id {
			return keys[i].id < keys[j].id
		}
		return keys[i].port < keys[j].port
	})
	var b strings.Builder
	for _, k := range keys {
		l := group[k]
		b.WriteString("<member><Target><Id>" + k.id + "</Id><Port>" + k.port + "</Port>")
		writeElement(&b, "AvailabilityZone", l.zone)
		b.WriteString("</Target>")
		writeElement(&b, "HealthCheckPort", l.checkPort)
		b.WriteString(targetHealthElements[TargetDraining] + "</member>")
	}
	return b.String()
}

// prune forgets the group's targets that are gone and carry no forced state.
func (h *TargetHealth) prune(arn string, now time.Time) {
	for k, l := range h.groups[arn] {
		if l.forced == "" && h.state(l, now) == "gone" {
			delete(h.groups[arn], k)
		}
	}
}

func firstGroup(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
