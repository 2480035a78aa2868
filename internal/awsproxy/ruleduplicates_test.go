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
