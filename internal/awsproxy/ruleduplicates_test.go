package awsproxy

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDuplicateRefusesTheWholeBatch: one existing rule in an authorize
// refuses all of it, before it reaches the emulator.
func TestDuplicateRefusesTheWholeBatch(t *testing.T) {
	described := `<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-n</groupId><ipPermissions>
<item><ipProtocol>tcp</ipProtocol><fromPort>30001</fromPort><toPort>30001</toPort>
<groups><item><groupId>sg-b</groupId></item></groups><ipRanges/><ipv6Ranges/></item>
</ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>`
	var forwarded []string
	next := func(r *Request) *Response {
		forwarded = append(forwarded, r.Action)
		if r.Action == "DescribeSecurityGroups" {
			return &Response{Status: http.StatusOK, Body: []byte(described)}
		}
		return &Response{Status: http.StatusOK}
	}
	h := NewRuleLimit(DefaultRuleLimit).Wrap(next)
	authorize := func(ports ...string) *Request {
		p := url.Values{"Action": {"AuthorizeSecurityGroupIngress"}, "GroupId": {"sg-n"}}
		for i, port := range ports {
			k := "IpPermissions." + string(rune('1'+i)) + "."
			p.Set(k+"IpProtocol", "tcp")
			p.Set(k+"FromPort", port)
			p.Set(k+"ToPort", port)
			p.Set(k+"Groups.1.GroupId", "sg-b")
		}
		return &Request{Service: "ec2", Action: "AuthorizeSecurityGroupIngress", Params: p, Header: http.Header{}}
	}
	tests := []struct {
		name      string
		ports     []string
		status    int
		forwarded []string
	}{
		{"one existing rule among new ones", []string{"30002", "30001"}, http.StatusBadRequest,
			[]string{"DescribeSecurityGroups"}},
		{"only new rules", []string{"30002", "30003"}, http.StatusOK,
			[]string{"DescribeSecurityGroups", "DescribeSecurityGroups", "AuthorizeSecurityGroupIngress"}},
	}
	for _, tt := range tests {
		forwarded = nil
		resp := h(authorize(tt.ports...))
		if d := cmp.Diff([]any{tt.status, tt.forwarded}, []any{resp.Status, forwarded}); d != "" {
			t.Errorf("%s: %s\n%s", tt.name, d, resp.Body)
		}
	}
}

// TestDuplicatePrefixListRule: a prefix-list rule the group holds is a
// duplicate too; the same port from a range is not.
func TestDuplicatePrefixListRule(t *testing.T) {
	described := `<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-f</groupId><ipPermissions>
<item><ipProtocol>tcp</ipProtocol><fromPort>80</fromPort><toPort>80</toPort>
<groups/><ipRanges/><ipv6Ranges/><prefixListIds><item><prefixListId>pl-0123456789abcdef0</prefixListId></item></prefixListIds></item>
</ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>`
	next := func(r *Request) *Response {
		if r.Action == "DescribeSecurityGroups" {
			return &Response{Status: http.StatusOK, Body: []byte(described)}
		}
		return &Response{Status: http.StatusOK}
	}
	h := NewRuleLimit(DefaultRuleLimit).Wrap(next)
	authorize := func(key, source string) *Request {
		p := url.Values{"Action": {"AuthorizeSecurityGroupIngress"}, "GroupId": {"sg-f"},
			"IpPermissions.1.IpProtocol": {"tcp"}, "IpPermissions.1.FromPort": {"80"}, "IpPermissions.1.ToPort": {"80"}}
		p.Set("IpPermissions.1."+key, source)
		return &Request{Service: "ec2", Action: "AuthorizeSecurityGroupIngress", Params: p, Header: http.Header{}}
	}
	got := []int{h(authorize("PrefixListIds.1.PrefixListId", "pl-0123456789abcdef0")).Status,
		h(authorize("IpRanges.1.CidrIp", "0.0.0.0/0")).Status}
	if d := cmp.Diff([]int{http.StatusBadRequest, http.StatusOK}, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestPrefixListRuleAllowsOnlyTheList: in the gap/exposure report a rule
// from a prefix list allows exactly that list.
func TestPrefixListRuleAllowsOnlyTheList(t *testing.T) {
	c := Call{Action: "AuthorizeSecurityGroupIngress", Params: map[string]string{"GroupId": "sg-f",
		"IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "80", "IpPermissions.1.ToPort": "80",
		"IpPermissions.1.PrefixListIds.1.PrefixListId": "pl-0123456789abcdef0"}}
	rules := rulesOf(c)
	want := []ruleKey{{group: "sg-f", proto: "tcp", source: "pl-0123456789abcdef0", from: 80, to: 80}}
	if d := cmp.Diff(want, rules, cmp.AllowUnexported(ruleKey{})); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
	if rules[0].allows("tcp", "0.0.0.0/0", 80) || !rules[0].allows("tcp", "pl-0123456789abcdef0", 80) {
		t.Error("a prefix-list rule allows other sources, or not its list")
	}
}
