package awsproxy

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func rule(action string, at time.Duration, port, cidr string) Call {
	return Call{Time: t0.Add(at), Action: action, Status: 200, Params: map[string]string{
		"GroupId": "sg-n", "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": port,
		"IpPermissions.1.ToPort": port, "IpPermissions.1.IpRanges.1.CidrIp": cidr}}
}

func TestReportGap(t *testing.T) {
	base := []Call{rule("AuthorizeSecurityGroupIngress", 0, "80", "10.0.0.0/8")}
	makeBeforeBreak := append(append([]Call(nil), base...),
		rule("AuthorizeSecurityGroupIngress", 10*time.Second, "80", "0.0.0.0/0"),
		rule("AuthorizeSecurityGroupIngress", 11*time.Second, "80", "10.0.0.0/8"), // already there
		rule("RevokeSecurityGroupIngress", 12*time.Second, "80", "0.0.0.0/0"))
	if r := Analyze(makeBeforeBreak, t0.Add(5*time.Second), t0.Add(20*time.Second)); r.Gap != 0 {
		t.Errorf("make before break: gap %s %v", r.Gap, r.Details)
	}
	breakBeforeMake := append(append([]Call(nil), base...),
		rule("RevokeSecurityGroupIngress", 10*time.Second, "80", "10.0.0.0/8"),
		rule("AuthorizeSecurityGroupIngress", 13*time.Second, "80", "10.0.0.0/8"))
	if r := Analyze(breakBeforeMake, t0.Add(5*time.Second), t0.Add(20*time.Second)); r.Gap != 3*time.Second {
		t.Errorf("break before make: gap %s, want 3s %v", r.Gap, r.Details)
	}
}

func TestReportExposure(t *testing.T) {
	register := Call{Time: t0, Action: "RegisterTargets", Status: 200,
		Params: map[string]string{"TargetGroupArn": "tg", "Targets.member.1.Id": "i-1", "Targets.member.1.Port": "80"}}
	flip := Call{Time: t0.Add(10 * time.Second), Action: "ModifyTargetGroupAttributes", Status: 200,
		Params: map[string]string{"TargetGroupArn": "tg"}}
	late := []Call{register, flip, rule("AuthorizeSecurityGroupIngress", 12*time.Second, "80", "0.0.0.0/0")}
	if r := Analyze(late, t0.Add(time.Second), t0.Add(20*time.Second)); r.Exposure != 2*time.Second {
		t.Errorf("rule after the flip: exposure %s, want 2s %v", r.Exposure, r.Details)
	}
	early := []Call{register, rule("AuthorizeSecurityGroupIngress", 8*time.Second, "80", "0.0.0.0/0"), flip}
	if r := Analyze(early, t0.Add(time.Second), t0.Add(20*time.Second)); r.Exposure != 0 {
		t.Errorf("rule before the flip: exposure %s %v", r.Exposure, r.Details)
	}
}

func TestReportRangesCoverPorts(t *testing.T) {
	calls := []Call{rule("AuthorizeSecurityGroupIngress", 0, "30001", "sg-b"),
		{Time: t0.Add(10 * time.Second), Action: "AuthorizeSecurityGroupIngress", Status: 200, Params: map[string]string{
			"GroupId": "sg-n", "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "30000",
			"IpPermissions.1.ToPort": "30005", "IpPermissions.1.IpRanges.1.CidrIp": "sg-b"}},
		rule("RevokeSecurityGroupIngress", 11*time.Second, "30001", "sg-b")}
	if r := Analyze(calls, t0.Add(5*time.Second), t0.Add(20*time.Second)); r.Gap != 0 {
		t.Errorf("a range replacing a port: gap %s %v", r.Gap, r.Details)
	}
}

func TestReportExposureIsPerPort(t *testing.T) {
	calls := []Call{
		{Time: t0.Add(time.Second), Action: "RegisterTargets", Status: 200,
			Params: map[string]string{"TargetGroupArn": "tg-a", "Targets.member.1.Port": "30001"}},
		rule("AuthorizeSecurityGroupIngress", 2*time.Second, "30002", "sg-b"), // for another Service, before its targets
		{Time: t0.Add(3 * time.Second), Action: "RegisterTargets", Status: 200,
			Params: map[string]string{"TargetGroupArn": "tg-b", "Targets.member.1.Port": "30002"}},
	}
	if r := Analyze(calls, t0, t0.Add(10*time.Second)); r.Exposure != 0 {
		t.Errorf("another Service's registration is not this rule's trigger: %s %v", r.Exposure, r.Details)
	}
}
