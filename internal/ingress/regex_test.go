package ingress

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegexError: only what no regular-expression dialect takes (and the
// length limits) is refused; what only Go's dialect lacks is left to AWS.
func TestRegexError(t *testing.T) {
	const allowed = "a regular expression of 1 to 128 characters"
	tests := []struct{ re, want string }{
		{`^/api/v[0-9]+/.+$`, ""},
		{`^(?!admin).*$`, ""}, // look-ahead: not Go's, left to AWS
		{`^(?<=a)b$`, ""},     // look-behind
		{`^a*+$`, ""},         // possessive repetition
		{`^\Qa.b\E$`, ""},     // quoting
		{"", allowed},         // empty
		{strings.Repeat("a", 129), allowed},
		{`^(api$`, allowed + " (missing closing ))"},
		{`^api)$`, allowed + " (unexpected ))"},
		{`^[ab$`, allowed + " (missing closing ])"},
		{`*a`, allowed + " (missing argument to repetition operator)"},
		{`a\`, allowed + " (trailing backslash at end of expression)"},
		{`[z-a]`, allowed + " (invalid character class range)"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, regexError(tt.re, 128)); diff != "" {
			t.Errorf("regexError(%q) (-want +got):\n%s", tt.re, diff)
		}
	}
}

// TestTransformRegexError: a transform's regex is also refused for what
// AWS documents as not supported in transforms.
func TestTransformRegexError(t *testing.T) {
	tests := []struct{ re, want string }{
		{`^/api/(.+)$`, ""},
		{`^/a\\p$`, ""}, // an escaped backslash, then p
		{`^\d+\.example\.com$`, ""},
		{`^(?!admin).*$`, transformRegexAllowed}, // lookahead
		{`^(?<=a)b$`, transformRegexAllowed},     // lookbehind
		{`^(a)\1$`, transformRegexAllowed},       // backreference
		{`^(?>a+)b$`, transformRegexAllowed},     // atomic group
		{`^a*+b$`, transformRegexAllowed},        // possessive quantifier
		{`^(a|(?R))$`, transformRegexAllowed},    // recursion
		{`^\p{L}+$`, transformRegexAllowed},      // Unicode class
		{`^(api$`, "a regular expression of 1 to 1024 characters (missing closing ))"},
		{strings.Repeat("a", 1025), "a regular expression of 1 to 1024 characters"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, transformRegexError(tt.re)); diff != "" {
			t.Errorf("transformRegexError(%q) (-want +got):\n%s", tt.re, diff)
		}
	}
}
