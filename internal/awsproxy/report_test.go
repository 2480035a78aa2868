package awsproxy

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const s = time.Second

// ranged is a rule change on the node group sg-n.
func ranged(action string, when time.Duration, from, to int, source string) Call {
	return Call{Time: at(when), Action: action, Status: 200, Params: map[string]string{
		"GroupId": "sg-n", "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": strconv.Itoa(from),
		"IpPermissions.1.ToPort": strconv.Itoa(to), "IpPermissions.1.IpRanges.1.CidrIp": source}}
}

func allow(when time.Duration, port int, source string) Call {
	return ranged("AuthorizeSecurityGroupIngress", when, port, port, source)
}

func revoke(when time.Duration, port int, source string) Call {
	return ranged("RevokeSecurityGroupIngress", when, port, port, source)
}

// inGroup moves a rule change to another group.
func inGroup(group string, c Call) Call {
	c.Params["GroupId"] = group
	return c
}

func elb(action string, when time.Duration, params ...string) Call {
	c := Call{Time: at(when), Action: action, Status: 200, Params: map[string]string{}}
	for i := 0; i+1 < len(params); i += 2 {
		c.Params[params[i]] = params[i+1]
	}
	return c
}

func register(when time.Duration, tg string, port int) Call {
	return elb("RegisterTargets", when, "TargetGroupArn", tg, "Targets.member.1.Id", "i-1",
		"Targets.member.1.Port", strconv.Itoa(port))
}

func preserveClientIP(when time.Duration, tg, value string) Call {
	return elb("ModifyTargetGroupAttributes", when, "TargetGroupArn", tg,
		"Attributes.member.1.Key", "preserve_client_ip.enabled", "Attributes.member.1.Value", value)
}

const lbARN = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/lb/1"

// frontend is a load balancer carrying sg-f with a listener on port 80.
func frontend() []Call {
	listener := elb("CreateListener", 0, "LoadBalancerArn", lbARN, "Port", "80")
	listener.Created = "listener-80"
	return []Call{elb("CreateLoadBalancer", 0, "Name", "lb", "SecurityGroups.member.1", "sg-f"), listener}
}

func calls(groups ...[]Call) []Call {
	var out []Call
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func TestRuleReport(t *testing.T) {
	for _, tc := range []struct {
		name  string
		calls []Call
		want  RuleReport
	}{
		// Good sequences.
		{name: "make before break", calls: []Call{allow(0, 80, "10.0.0.0/8"),
			allow(10*s, 80, "0.0.0.0/0"), allow(11*s, 80, "10.0.0.0/8"), revoke(12*s, 80, "0.0.0.0/0")}},
		{name: "a range replacing a port", calls: []Call{allow(0, 30001, "sg-b"),
			ranged("AuthorizeSecurityGroupIngress", 10*s, 30000, 30005, "sg-b"), revoke(11*s, 30001, "sg-b")}},
		{name: "rule before the attribute flip", calls: []Call{register(0, "tg", 80), allow(8*s, 80, "0.0.0.0/0"),
			elb("ModifyTargetGroupAttributes", 10*s, "TargetGroupArn", "tg")}},
		{name: "another Service's registration is not this rule's trigger", calls: []Call{register(s, "tg-a", 30001),
			allow(2*s, 30002, "sg-b"), register(3*s, "tg-b", 30002)}},
		{name: "preserve_client_ip flipped between the new source and the old one's revoke",
			calls: []Call{register(0, "tg", 8080), allow(0, 8080, "10.0.10.0/24"),
				allow(6*s, 8080, "10.0.0.0/16"), preserveClientIP(7*s, "tg", "true"), revoke(8*s, 8080, "10.0.10.0/24")}},
		{name: "a source range edited away while another one stays",
			calls: calls(frontend(), []Call{inGroup("sg-f", allow(0, 80, "10.1.0.0/16")), inGroup("sg-f", allow(0, 80, "10.2.0.0/16")),
				inGroup("sg-f", allow(6*s, 80, "10.3.0.0/16")), inGroup("sg-f", revoke(7*s, 80, "10.1.0.0/16"))})},
		{name: "a node port moved: old targets gone before the old rule",
			calls: []Call{register(0, "tg-a", 31300), allow(0, 31300, "sg-b"),
				allow(6*s, 31500, "sg-b"), register(7*s, "tg-b", 31500),
				elb("DeleteTargetGroup", 8*s, "TargetGroupArn", "tg-a"), revoke(9*s, 31300, "sg-b")}},
		{name: "a listener port moved: old listener gone before the old rule",
			calls: calls(frontend(), []Call{inGroup("sg-f", allow(0, 80, "0.0.0.0/0")),
				inGroup("sg-f", allow(6*s, 81, "0.0.0.0/0")), elb("CreateListener", 7*s, "LoadBalancerArn", lbARN, "Port", "81"),
				elb("DeleteListener", 8*s, "ListenerArn", "listener-80"), inGroup("sg-f", revoke(9*s, 80, "0.0.0.0/0"))})},
		{name: "a range narrowed past a port without targets",
			calls: []Call{register(0, "tg-a", 30000), register(0, "tg-b", 30010),
				ranged("AuthorizeSecurityGroupIngress", 0, 30000, 30010, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 6*s, 30000, 30004, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 6*s, 30006, 30010, "sg-b"),
				ranged("RevokeSecurityGroupIngress", 7*s, 30000, 30010, "sg-b")}},

		// Bad sequences.
		{name: "break before make", calls: []Call{allow(0, 80, "10.0.0.0/8"),
			revoke(10*s, 80, "10.0.0.0/8"), allow(13*s, 80, "10.0.0.0/8")},
			want: RuleReport{Gap: 3 * s, Details: []string{"gap 3s on sg-n tcp/80 from 10.0.0.0/8"}}},
		{name: "(a) a range revoked and authorized again counts once",
			calls: []Call{ranged("AuthorizeSecurityGroupIngress", 0, 30000, 30010, "sg-b"),
				ranged("RevokeSecurityGroupIngress", 10*s, 30000, 30010, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 13*s, 30000, 30010, "sg-b")},
			want: RuleReport{Gap: 3 * s, Details: []string{"gap 3s on sg-n tcp/30000-30010 from sg-b"}}},
		{name: "(a) a range split and restored around a port with targets",
			calls: []Call{register(0, "tg", 30005), ranged("AuthorizeSecurityGroupIngress", 0, 30000, 30010, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 6*s, 30000, 30004, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 6*s, 30006, 30010, "sg-b"),
				ranged("RevokeSecurityGroupIngress", 7*s, 30000, 30010, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 10*s, 30000, 30010, "sg-b")},
			want: RuleReport{Gap: 3 * s, Details: []string{"gap 3s on sg-n tcp/30005 from sg-b"}}},
		{name: "(b) a rule authorized then revoked while its port still has targets",
			calls: []Call{register(0, "tg", 80), allow(6*s, 80, "sg-b"), revoke(8*s, 80, "sg-b")},
			want:  RuleReport{Gap: 12 * s, Details: []string{"gap 12s on sg-n tcp/80 from sg-b"}}},
		{name: "(c) a range split past a port with a registered target",
			calls: []Call{register(0, "tg", 30005), ranged("AuthorizeSecurityGroupIngress", 0, 30000, 30010, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 6*s, 30000, 30004, "sg-b"),
				ranged("AuthorizeSecurityGroupIngress", 6*s, 30006, 30010, "sg-b"),
				ranged("RevokeSecurityGroupIngress", 7*s, 30000, 30010, "sg-b")},
			want: RuleReport{Gap: 13 * s, Details: []string{"gap 13s on sg-n tcp/30005 from sg-b"}}},
		{name: "the old source revoked before preserve_client_ip flips",
			calls: []Call{register(0, "tg", 8080), allow(0, 8080, "10.0.10.0/24"),
				revoke(6*s, 8080, "10.0.10.0/24"), allow(7*s, 8080, "10.0.0.0/16"), preserveClientIP(9*s, "tg", "true")},
			want: RuleReport{Gap: 3 * s, Details: []string{"gap 3s on sg-n tcp/8080 from 10.0.10.0/24"}}},
		{name: "the attribute flipped before its rule",
			calls: []Call{register(0, "tg", 80), elb("ModifyTargetGroupAttributes", 10*s, "TargetGroupArn", "tg"),
				allow(12*s, 80, "0.0.0.0/0")},
			want: RuleReport{Exposure: 2 * s, Details: []string{"exposure 2s on sg-n tcp/80 from 0.0.0.0/0"}}},
		{name: "a node port's rule revoked before its targets",
			calls: []Call{register(0, "tg-a", 31300), allow(0, 31300, "sg-b"), allow(6*s, 31500, "sg-b"),
				register(7*s, "tg-b", 31500), revoke(8*s, 31300, "sg-b"), elb("DeleteTargetGroup", 11*s, "TargetGroupArn", "tg-a")},
			want: RuleReport{Gap: 3 * s, Details: []string{"gap 3s on sg-n tcp/31300 from sg-b"}}},
		{name: "every source of a listener revoked",
			calls: calls(frontend(), []Call{inGroup("sg-f", allow(0, 80, "10.1.0.0/16")),
				inGroup("sg-f", revoke(10*s, 80, "10.1.0.0/16"))}),
			want: RuleReport{Gap: 10 * s, Details: []string{"gap 10s on sg-f tcp/80 from 10.1.0.0/16"}}},
		{name: "a revoke sent before the authorize replacing it is answered",
			calls: []Call{allow(0, 80, "sg-b"), withDuration(ranged("AuthorizeSecurityGroupIngress", 10*s, 0, 100, "sg-b"), s),
				withDuration(revoke(10*s+s/2, 80, "sg-b"), s/10)},
			want: RuleReport{Gap: s / 2, Details: []string{"gap 500ms on sg-n tcp/80 from sg-b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Analyze(tc.calls, at(5*s), at(20*s))
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func withDuration(c Call, d time.Duration) Call {
	c.Duration = d
	return c
}
