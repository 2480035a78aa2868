package ingress

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRegexError: what no regular-expression dialect takes, what AWS
// documents as unsupported in rule conditions and transforms, and the
// length limits are refused; what only Go's dialect lacks is left to AWS.
func TestRegexError(t *testing.T) {
	const allowed = "a regular expression of 1 to 128 characters"
	const unsupported = allowed + " without lookarounds, backreferences, atomic groups, possessive quantifiers, " +
		"subroutines, recursion or \\p classes (AWS does not support them)"
	tests := []struct{ re, want string }{
		{`^/api/v[0-9]+/.+$`, ""},
		{`^\d+\.example\.com$`, ""},
		{`^/a\\p$`, ""},   // an escaped backslash, then p
		{`^\Qa.b\E$`, ""}, // quoting
		{`^\h$`, ""},      // not Go's: left to AWS
		{"", allowed},
		{strings.Repeat("a", 129), allowed},
		{`^(api$`, allowed + " (missing closing ))"},
		{`^api)$`, allowed + " (unexpected ))"},
		{`^[ab$`, allowed + " (missing closing ])"},
		{`*a`, allowed + " (missing argument to repetition operator)"},
		{`a\`, allowed + " (trailing backslash at end of expression)"},
		{`[z-a]`, allowed + " (invalid character class range)"},
		{`^(?!admin).*$`, unsupported}, // lookahead
		{`^(?<=a)b$`, unsupported},     // lookbehind
		{`^(?<!a)b$`, unsupported},
		{`^(a)\1$`, unsupported},    // backreference
		{`^(?>a+)b$`, unsupported},  // atomic group
		{`^a*+b$`, unsupported},     // possessive quantifier
		{`^(a|(?R))$`, unsupported}, // recursion
		{`^\p{L}+$`, unsupported},   // Unicode class
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, regexError(tt.re, 128)); diff != "" {
			t.Errorf("regexError(%q) (-want +got):\n%s", tt.re, diff)
		}
	}
}
