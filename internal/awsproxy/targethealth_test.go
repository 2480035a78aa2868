package awsproxy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

const testGroupARN = "arn:aws:elasticloadbalancing:us-west-2:111111111111:targetgroup/k8s-default-web/0123456789abcdef"

// fakeTargetGroup answers target calls for one target group as moto 5.2.1
// does: targets kept by id alone, every registered one healthy, a
// deregistered one forgotten by listings and "unused" when named, one never
// registered "unavailable"; the group's port 80 and deregistration delay.
type fakeTargetGroup struct {
	targets      map[string]string // id -> port
	deregistered map[string]bool
	delay        string
	calls        []string
}

func newFakeTargetGroup() *fakeTargetGroup {
	return &fakeTargetGroup{targets: map[string]string{}, deregistered: map[string]bool{}, delay: "300"}
}

func (f *fakeTargetGroup) handle(r *Request) *Response {
	f.calls = append(f.calls, r.Action)
	ok := func(body string) *Response {
		return &Response{Status: 200, Body: []byte("<" + r.Action + "Response><" + r.Action + "Result>" + body +
			"</" + r.Action + "Result></" + r.Action + "Response>")}
	}
	switch r.Action {
	case "RegisterTargets":
		for _, t := range requestTargets(r.Params) {
			f.targets[t.key.id] = orDefault(t.key.port, "80")
			delete(f.deregistered, t.key.id)
		}
		return ok("")
	case "DeregisterTargets":
		for _, t := range requestTargets(r.Params) {
			if _, found := f.targets[t.key.id]; !found {
				return errorResponse(r, http.StatusBadRequest, "InvalidTarget", "The specified target does not exist.")
			}
			delete(f.targets, t.key.id)
			f.deregistered[t.key.id] = true
		}
		return ok("")
	case "DescribeTargetHealth":
		member := func(id, port, health string) string {
			return "<member><Target><Id>" + id + "</Id><Port>" + port + "</Port></Target><HealthCheckPort>traffic-port" +
				"</HealthCheckPort><TargetHealth>" + health + "</TargetHealth></member>"
		}
		var members []string
		if named := requestTargets(r.Params); len(named) > 0 {
			for _, t := range named {
				port, registered := f.targets[t.key.id]
				switch {
				case registered:
					members = append(members, member(t.key.id, port, "<State>healthy</State>"))
				case f.deregistered[t.key.id]:
					members = append(members, member(t.key.id, orDefault(t.key.port, "80"), "<State>unused</State>"+
						"<Reason>Target.NotRegistered</Reason><Description>Target is not registered to the target group</Description>"))
				default:
					members = append(members, member(t.key.id, orDefault(t.key.port, "80"), "<State>unavailable</State>"+
						"<Reason>Target.NotRegistered</Reason><Description>Target is not registered</Description>"))
				}
			}
		} else {
			ids := make([]string, 0, len(f.targets))
			for id := range f.targets {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				members = append(members, member(id, f.targets[id], "<State>healthy</State>"))
			}
		}
		if len(members) == 0 {
			return ok("<TargetHealthDescriptions/>")
		}
		return ok("<TargetHealthDescriptions>" + strings.Join(members, "") + "</TargetHealthDescriptions>")
	case "DescribeTargetGroups":
		return ok("<TargetGroups><member><TargetGroupArn>" + testGroupARN + "</TargetGroupArn><Protocol>TCP</Protocol>" +
			"<Port>80</Port><HealthCheckPort>traffic-port</HealthCheckPort></member></TargetGroups>")
	case "DescribeTargetGroupAttributes":
		return ok("<Attributes><member><Key>deregistration_delay.timeout_seconds</Key><Value>" + f.delay +
			"</Value></member><member><Key>stickiness.enabled</Key><Value>false</Value></member></Attributes>")
	}
	return &Response{Status: 500, Body: []byte("unexpected " + r.Action)}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// targetsParams builds a Targets list: "10.0.0.1:8080" or "10.0.0.1" (no port).
func targetsParams(targets ...string) []string {
	var out []string
	for i, t := range targets {
		id, port, _ := strings.Cut(t, ":")
		out = append(out, fmt.Sprintf("Targets.member.%d.Id", i+1), id)
		if port != "" {
			out = append(out, fmt.Sprintf("Targets.member.%d.Port", i+1), port)
		}
	}
	return out
}

func targetCall(action string, targets ...string) *Request {
	return elbCall(action, append([]string{"TargetGroupArn", testGroupARN}, targetsParams(targets...)...)...)
}

var healthMemberParts = regexp.MustCompile(`(?s)<member>.*?<Id>([^<]*)</Id>.*?<Port>([^<]*)</Port>.*?<State>([^<]*)</State>(?:<Reason>([^<]*)</Reason>)?.*?</member>`)

// healthList is an answer's targets as "id:port state [reason]".
func healthList(resp *Response) []string {
	out := []string{}
	for _, m := range healthMemberParts.FindAllStringSubmatch(string(resp.Body), -1) {
		out = append(out, strings.TrimSpace(m[1]+":"+m[2]+" "+m[3]+" "+m[4]))
	}
	return out
}

// TestTargetHealthLife: a target's health over time as AWS reports it:
// initial after registration, then moto's (healthy) or forced state,
// draining for the scaled deregistration delay after deregistration, then
// gone from listings and unused when named; registered again while draining
// it starts over as initial.
func TestTargetHealthLife(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := start
	h := NewTargetHealth()
	h.now = func() time.Time { return clock }
	h.SetTimes(10*time.Second, 0.01) // AWS's 300 s drain lasts 3 s
	emulator := newFakeTargetGroup()
	handle := h.Wrap(emulator.handle)
	describe := targetCall("DescribeTargetHealth")
	steps := []struct {
		name  string
		at    time.Duration
		do    func() error
		query *Request
		want  []string
	}{
		{"registered: initial", 0, func() error {
			return status(handle(targetCall("RegisterTargets", "10.0.0.1:8080", "10.0.0.2:8080")))
		}, describe, []string{"10.0.0.1:8080 initial Elb.RegistrationInProgress", "10.0.0.2:8080 initial Elb.RegistrationInProgress"}},
		{"still initial just before the initial time", 10*time.Second - time.Millisecond, nil, describe,
			[]string{"10.0.0.1:8080 initial Elb.RegistrationInProgress", "10.0.0.2:8080 initial Elb.RegistrationInProgress"}},
		{"then moto's healthy", 10 * time.Second, nil, describe, []string{"10.0.0.1:8080 healthy", "10.0.0.2:8080 healthy"}},
		{"registered again while registered: keeps its health", 10 * time.Second, func() error {
			return status(handle(targetCall("RegisterTargets", "10.0.0.1:8080")))
		}, describe, []string{"10.0.0.1:8080 healthy", "10.0.0.2:8080 healthy"}},
		{"forced unhealthy", 10 * time.Second, func() error {
			return h.Force(testGroupARN, "10.0.0.2", 8080, TargetUnhealthy)
		}, describe, []string{"10.0.0.1:8080 healthy", "10.0.0.2:8080 unhealthy Target.FailedHealthChecks"}},
		{"deregistered: draining, listed though moto forgot it", 11 * time.Second, func() error {
			return status(handle(targetCall("DeregisterTargets", "10.0.0.1:8080")))
		}, describe, []string{"10.0.0.2:8080 unhealthy Target.FailedHealthChecks", "10.0.0.1:8080 draining Target.DeregistrationInProgress"}},
		{"named while draining", 12 * time.Second, nil, targetCall("DescribeTargetHealth", "10.0.0.1:8080"),
			[]string{"10.0.0.1:8080 draining Target.DeregistrationInProgress"}},
		{"registered again while draining: initial", 12 * time.Second, func() error {
			return status(handle(targetCall("RegisterTargets", "10.0.0.1:8080")))
		}, describe, []string{"10.0.0.1:8080 initial Elb.RegistrationInProgress", "10.0.0.2:8080 unhealthy Target.FailedHealthChecks"}},
		{"healthy after its new initial time", 22 * time.Second, nil, describe,
			[]string{"10.0.0.1:8080 healthy", "10.0.0.2:8080 unhealthy Target.FailedHealthChecks"}},
		{"forced healthy", 22 * time.Second, func() error {
			return h.Force(testGroupARN, "10.0.0.2", 8080, TargetHealthy)
		}, describe, []string{"10.0.0.1:8080 healthy", "10.0.0.2:8080 healthy"}},
		{"force lifted: moto's state", 22 * time.Second, func() error {
			if err := h.Force(testGroupARN, "10.0.0.2", 8080, TargetUnhealthy); err != nil {
				return err
			}
			return h.Force(testGroupARN, "10.0.0.2", 8080, "")
		}, describe, []string{"10.0.0.1:8080 healthy", "10.0.0.2:8080 healthy"}},
		{"deregistered without a port: the group's", 30 * time.Second, func() error {
			if err := status(handle(targetCall("RegisterTargets", "10.0.0.3"))); err != nil {
				return err
			}
			return status(handle(targetCall("DeregisterTargets", "10.0.0.1:8080", "10.0.0.3")))
		}, describe, []string{"10.0.0.2:8080 healthy", "10.0.0.1:8080 draining Target.DeregistrationInProgress",
			"10.0.0.3:80 draining Target.DeregistrationInProgress"}},
		{"deregistered again while draining: accepted, its drain goes on", 31 * time.Second, func() error {
			return status(handle(targetCall("DeregisterTargets", "10.0.0.1:8080", "10.0.0.2:8080")))
		}, describe, []string{"10.0.0.1:8080 draining Target.DeregistrationInProgress",
			"10.0.0.2:8080 draining Target.DeregistrationInProgress", "10.0.0.3:80 draining Target.DeregistrationInProgress"}},
		{"draining up to the scaled delay", 33*time.Second - time.Millisecond, nil, describe,
			[]string{"10.0.0.1:8080 draining Target.DeregistrationInProgress",
				"10.0.0.2:8080 draining Target.DeregistrationInProgress", "10.0.0.3:80 draining Target.DeregistrationInProgress"}},
		{"then gone", 33 * time.Second, nil, describe, []string{"10.0.0.2:8080 draining Target.DeregistrationInProgress"}},
		{"named once gone: unused", 33 * time.Second, nil, targetCall("DescribeTargetHealth", "10.0.0.1:8080"),
			[]string{"10.0.0.1:8080 unused Target.NotRegistered"}},
		{"never registered, named: unused as AWS (moto says unavailable)", 33 * time.Second, nil,
			targetCall("DescribeTargetHealth", "10.0.0.9:8080"), []string{"10.0.0.9:8080 unused Target.NotRegistered"}},
		{"all drained", 34 * time.Second, nil, describe, []string{}},
	}
	for _, s := range steps {
		clock = start.Add(s.at)
		if s.do != nil {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		if diff := cmp.Diff(s.want, healthList(handle(s.query))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

func status(resp *Response) error {
	if resp.Status != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.Status, resp.Body)
	}
	return nil
}

// TestTargetHealthDefaultKeepsMoto: unset, the behaviour passes moto's
// answers through unchanged and asks the emulator nothing more.
func TestTargetHealthDefaultKeepsMoto(t *testing.T) {
	emulator := newFakeTargetGroup()
	handle := NewTargetHealth().Wrap(emulator.handle)
	plain := newFakeTargetGroup()
	for _, req := range []*Request{
		targetCall("RegisterTargets", "10.0.0.1:8080", "10.0.0.2:8080"),
		targetCall("DescribeTargetHealth"),
		targetCall("DeregisterTargets", "10.0.0.1:8080"),
		targetCall("DescribeTargetHealth"),
		targetCall("DescribeTargetHealth", "10.0.0.1:8080", "10.0.0.2:8080"),
	} {
		got, want := handle(req), plain.handle(req)
		if diff := cmp.Diff(string(want.Body), string(got.Body)); diff != "" {
			t.Errorf("%s %v (-moto +proxy):\n%s", req.Action, req.Params, diff)
		}
	}
	if diff := cmp.Diff(plain.calls, emulator.calls); diff != "" {
		t.Errorf("calls to the emulator (-moto's own +through the behaviour):\n%s", diff)
	}
}

// TestTargetHealthDrainsForTheGroupsDelay: the drain lasts the group's
// deregistration_delay.timeout_seconds at the time of deregistration,
// scaled; a delay of 0 drops the target at once, as AWS does.
func TestTargetHealthDrainsForTheGroupsDelay(t *testing.T) {
	for _, tc := range []struct {
		delay    string
		scale    float64
		draining time.Duration
	}{
		{"300", 0.01, 3 * time.Second},
		{"120", 0.5, 60 * time.Second},
		{"0", 1, 0},
		{"300", 0, 0},
	} {
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		h := NewTargetHealth()
		h.now = func() time.Time { return clock }
		h.SetTimes(0, tc.scale)
		emulator := newFakeTargetGroup()
		emulator.delay = tc.delay
		handle := h.Wrap(emulator.handle)
		for _, req := range []*Request{targetCall("RegisterTargets", "10.0.0.1:8080"), targetCall("DeregisterTargets", "10.0.0.1:8080")} {
			if err := status(handle(req)); err != nil {
				t.Fatal(err)
			}
		}
		var got time.Duration
		for step := time.Second; step <= 2*time.Minute; step += time.Second {
			if len(healthList(handle(targetCall("DescribeTargetHealth")))) == 0 {
				break
			}
			got = step
			clock = clock.Add(time.Second)
		}
		if got != tc.draining {
			t.Errorf("delay %s s scaled by %v: draining for %v, want %v", tc.delay, tc.scale, got, tc.draining)
		}
	}
}

// TestTargetHealthAnswerAsAWS: the elements the behaviour writes, word for
// word, and as the SDK reads them: AWS's reasons and descriptions, the
// Availability Zone moto drops, and a draining target moto forgot.
func TestTargetHealthAnswerAsAWS(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := NewTargetHealth()
	h.now = func() time.Time { return clock }
	h.SetTimes(time.Minute, 1)
	handle := h.Wrap(newFakeTargetGroup().handle)
	register := targetCall("RegisterTargets", "10.0.0.1:8080", "10.0.0.2:8080")
	register.Params.Set("Targets.member.2.AvailabilityZone", "all")
	for _, req := range []*Request{register, targetCall("DeregisterTargets", "10.0.0.2:8080")} {
		if err := status(handle(req)); err != nil {
			t.Fatal(err)
		}
	}
	want := `<DescribeTargetHealthResponse><DescribeTargetHealthResult><TargetHealthDescriptions>` +
		`<member><Target><Id>10.0.0.1</Id><Port>8080</Port></Target><HealthCheckPort>traffic-port</HealthCheckPort>` +
		`<TargetHealth><State>initial</State><Reason>Elb.RegistrationInProgress</Reason>` +
		`<Description>Target registration is in progress</Description></TargetHealth></member>` +
		`<member><Target><Id>10.0.0.2</Id><Port>8080</Port><AvailabilityZone>all</AvailabilityZone></Target>` +
		`<HealthCheckPort>traffic-port</HealthCheckPort><TargetHealth><State>draining</State>` +
		`<Reason>Target.DeregistrationInProgress</Reason><Description>Target deregistration is in progress</Description>` +
		`</TargetHealth></member></TargetHealthDescriptions></DescribeTargetHealthResult></DescribeTargetHealthResponse>`
	if diff := cmp.Diff(want, string(handle(targetCall("DescribeTargetHealth")).Body)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	if err := h.Force(testGroupARN, "10.0.0.1", 8080, "sick"); err == nil {
		t.Error("forcing an unknown state: no error")
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			t.Error(err)
		}
		resp := handle(&Request{Service: "elasticloadbalancing", Action: req.Form.Get("Action"), Params: req.Form, Header: req.Header})
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	}))
	defer srv.Close()
	api := elasticloadbalancingv2.NewFromConfig(aws.Config{Region: "us-west-2", Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1}, func(o *elasticloadbalancingv2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	clock = clock.Add(time.Minute)
	if err := h.Force(testGroupARN, "10.0.0.1", 8080, TargetUnhealthy); err != nil {
		t.Fatal(err)
	}
	out, err := api.DescribeTargetHealth(context.Background(), &elasticloadbalancingv2.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(testGroupARN), Targets: []elbtypes.TargetDescription{
			{Id: aws.String("10.0.0.1"), Port: aws.Int32(8080)}, {Id: aws.String("10.0.0.2"), Port: aws.Int32(8080)}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range out.TargetHealthDescriptions {
		got = append(got, fmt.Sprintf("%s:%d %s %s %s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port),
			d.TargetHealth.State, d.TargetHealth.Reason, aws.ToString(d.TargetHealth.Description)))
	}
	wantSDK := []string{
		"10.0.0.1:8080 unhealthy Target.FailedHealthChecks Health checks failed",
		"10.0.0.2:8080 draining Target.DeregistrationInProgress Target deregistration is in progress",
	}
	if diff := cmp.Diff(wantSDK, got); diff != "" {
		t.Errorf("as the SDK reads it (-want +got):\n%s", diff)
	}
}

// TestCountByTargetGroup: the call log tells DescribeTargetHealth calls
// apart by target group.
func TestCountByTargetGroup(t *testing.T) {
	l := NewCallLog()
	handle := l.Wrap(func(*Request) *Response { return &Response{Status: 200} })
	for _, arn := range []string{"arn:tg/a", "arn:tg/b", "arn:tg/a"} {
		handle(elbCall("DescribeTargetHealth", "TargetGroupArn", arn))
	}
	handle(elbCall("RegisterTargets", "TargetGroupArn", "arn:tg/a", "Targets.member.1.Id", "10.0.0.1"))
	want := map[string]int{"arn:tg/a": 2, "arn:tg/b": 1}
	if diff := cmp.Diff(want, CountByTargetGroup(l.Calls(), "DescribeTargetHealth")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTargetHealthControl: the proxy's control API sets the times and
// forces a target, and refuses what it cannot take.
func TestTargetHealthControl(t *testing.T) {
	p, err := New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	put := func(query string) int {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(http.MethodPut, controlPrefix+"target-health?"+query, nil))
		return w.Code
	}
	got := []int{
		put("initial=5s&drain-scale=0.01"),
		put("arn=" + testGroupARN + "&id=10.0.0.1&port=8080&state=unhealthy"),
		put("initial=5&drain-scale=0.01"),
		put("initial=5s&drain-scale=-1"),
		put("arn=" + testGroupARN + "&id=10.0.0.1&port=8080&state=sick"),
		put("id=10.0.0.1&port=8080&state=healthy"),
	}
	if diff := cmp.Diff([]int{200, 200, 400, 400, 400, 400}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	h := p.TargetHealth
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.initial != 5*time.Second || h.drainScale != 0.01 ||
		h.groups[testGroupARN][targetKey{"10.0.0.1", "8080"}].forced != TargetUnhealthy {
		t.Errorf("initial %v, drain scale %v, groups %+v", h.initial, h.drainScale, h.groups)
	}
}
