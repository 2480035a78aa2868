package awsproxy

import (
	"encoding/json"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Call is one recorded AWS call.
type Call struct {
	Time      time.Time         `json:"time"`
	Account   string            `json:"account,omitempty"`
	Caller    string            `json:"caller,omitempty"`
	Service   string            `json:"service"`
	Action    string            `json:"action"`
	Params    map[string]string `json:"params,omitempty"`
	Status    int               `json:"status"`
	ErrorCode string            `json:"errorCode,omitempty"`
	Duration  time.Duration     `json:"duration"`
	// Created is the ARN or id of what a successful create made, from the
	// answer: the only way to tell later which listener a DeleteListener
	// removed.
	Created string `json:"created,omitempty"`
}

// Mutating reports whether the action changes state (by its verb).
func (c Call) Mutating() bool {
	for _, p := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(c.Action, p) {
			return false
		}
	}
	return true
}

// CallLog records every call that passes the proxy.
type CallLog struct {
	mu    sync.Mutex
	calls []Call
	sink  io.Writer
}

// NewCallLog returns an empty log.
func NewCallLog() *CallLog { return &CallLog{} }

// Tee also writes every call as a JSON line to w.
func (l *CallLog) Tee(w io.Writer) {
	l.mu.Lock()
	l.sink = w
	l.mu.Unlock()
}

// fullParams are the actions whose every parameter is kept: the report
// replays them.
var fullParams = map[string]bool{"AuthorizeSecurityGroupIngress": true, "RevokeSecurityGroupIngress": true,
	"ModifyTargetGroupAttributes": true, "RegisterTargets": true, "DeregisterTargets": true,
	"CreateLoadBalancer": true, "SetSecurityGroups": true, "CreateListener": true}

// createdElement finds, per create action, the ARN or id of what it made in
// the answer.
var createdElement = map[string]*regexp.Regexp{
	"CreateListener":      regexp.MustCompile(`<ListenerArn>([^<]+)</ListenerArn>`),
	"CreateTargetGroup":   regexp.MustCompile(`<TargetGroupArn>([^<]+)</TargetGroupArn>`),
	"CreateLoadBalancer":  regexp.MustCompile(`<LoadBalancerArn>([^<]+)</LoadBalancerArn>`),
	"CreateSecurityGroup": regexp.MustCompile(`<groupId>([^<]+)</groupId>`),
}

// keyParams are the parameters worth keeping in the log: names, ids, ports.
var keyParams = regexp.MustCompile(`(?i)(Name|Arn|Id|Port|Protocol|Type|Scheme|Key|Value)(s?\.member\.[0-9]+|\.[0-9]+)?$`)

// Wrap implements Middleware.
func (l *CallLog) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		start := time.Now()
		resp := next(r)
		c := Call{Time: start, Account: r.Account, Caller: r.Caller, Service: r.Service, Action: r.Action, Status: resp.Status, Duration: time.Since(start)}
		keepAll := fullParams[r.Action]
		for k, v := range r.Params {
			// An OIDC client secret is never recorded.
			if k != "Action" && k != "Version" && (keepAll || keyParams.MatchString(k)) && len(v) > 0 &&
				!strings.HasSuffix(k, ".ClientSecret") {
				if c.Params == nil {
					c.Params = map[string]string{}
				}
				c.Params[k] = v[0]
			}
		}
		if resp.Status >= 300 {
			c.ErrorCode = errorCode(resp.Body)
		} else if re := createdElement[r.Action]; re != nil {
			if m := re.FindSubmatch(resp.Body); m != nil {
				c.Created = string(m[1])
			}
		}
		l.mu.Lock()
		l.calls = append(l.calls, c)
		if l.sink != nil {
			b, _ := json.Marshal(c)
			_, _ = l.sink.Write(append(b, '\n'))
		}
		l.mu.Unlock()
		return resp
	}
}

var codeElement = regexp.MustCompile(`<Code>([^<]+)</Code>|"__type"\s*:\s*"([^"]+)"`)

func errorCode(body []byte) string {
	if m := codeElement.FindSubmatch(body); m != nil {
		return string(m[1]) + string(m[2])
	}
	return ""
}

// Calls returns a copy of the calls recorded since the last Reset.
func (l *CallLog) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

// Reset forgets the recorded calls.
func (l *CallLog) Reset() {
	l.mu.Lock()
	l.calls = nil
	l.mu.Unlock()
}

// Since returns the calls made at or after t.
func (l *CallLog) Since(t time.Time) []Call {
	var out []Call
	for _, c := range l.Calls() {
		if !c.Time.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// CountByAction counts calls per action.
func CountByAction(calls []Call) map[string]int {
	m := map[string]int{}
	for _, c := range calls {
		m[c.Action]++
	}
	return m
}

// Actions returns the distinct actions of calls, sorted.
func Actions(counts map[string]int) []string {
	out := make([]string, 0, len(counts))
	for a := range counts {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// CountByTargetGroup counts the calls of action per target group (their
// TargetGroupArn parameter), e.g. DescribeTargetHealth: one per group per
// pass is what a controller following target health should cost.
func CountByTargetGroup(calls []Call, action string) map[string]int {
	m := map[string]int{}
	for _, c := range calls {
		if c.Action == action {
			m[c.Params["TargetGroupArn"]]++
		}
	}
	return m
}
