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
