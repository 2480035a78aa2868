package model

import "testing"

// TestConditionValueCount counts what AWS counts towards its limit of
// condition values per rule.
func TestConditionValueCount(t *testing.T) {
	tests := []struct {
		name string
		c    RuleCondition
		want int
	}{
		{"host-header", RuleCondition{Field: ConditionHostHeader, HostHeader: []string{"a", "b"}}, 2},
		{"path-pattern", RuleCondition{Field: ConditionPathPattern, PathPattern: []string{"/a", "/a/*"}}, 2},
		{"http-header", RuleCondition{Field: ConditionHTTPHeader,
			HTTPHeader: &HTTPHeaderCondition{Name: "X-Env", Values: []string{"blue", "green", "red"}}}, 3},
		{"http-request-method", RuleCondition{Field: ConditionHTTPRequestMethod, HTTPRequestMethod: []string{"GET"}}, 1},
		{"query-string", RuleCondition{Field: ConditionQueryString,
			QueryString: []QueryStringPair{{Key: "a", Value: "1"}, {Value: "x"}}}, 2},
		{"source-ip", RuleCondition{Field: ConditionSourceIP, SourceIP: []string{"10.0.0.0/8"}}, 1},
		{"host-header regular expressions", RuleCondition{Field: ConditionHostHeader,
			HostHeaderRegex: []string{"^a$", "^b$"}}, 2},
		{"path-pattern regular expression", RuleCondition{Field: ConditionPathPattern,
			PathPatternRegex: []string{"^/a/.+$"}}, 1},
		{"http-header values and regular expressions", RuleCondition{Field: ConditionHTTPHeader,
			HTTPHeader: &HTTPHeaderCondition{Name: "X-Env", Values: []string{"blue"}, RegexValues: []string{"^g.+$"}}}, 2},
	}
	for _, tt := range tests {
		if got := tt.c.ValueCount(); got != tt.want {
			t.Errorf("%s: ValueCount = %d, want %d", tt.name, got, tt.want)
		}
	}
}
