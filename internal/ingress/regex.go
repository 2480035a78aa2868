package ingress

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
)

// regexError says why AWS would refuse a regular expression of a rule
// condition (RegexValues, a use-regex-path-match path) or of a transform's
// rewrite, or "" when it may take it:
//   - empty or longer than max;
//   - broken in a way no dialect accepts (an unclosed group or class, a
//     repetition of nothing, a trailing backslash, a reversed range);
//   - using what AWS documents as unsupported in rule conditions and
//     transforms: lookaheads, lookbehinds, backreferences, atomic groups,
//     possessive quantifiers, subroutines, recursion and Unicode character
//     classes (\p{L}).
//
// Go's dialect is not AWS's: what only Go refuses (some escapes such as
// \h) is left to AWS rather than refused here.
func regexError(re string, maxLen int) string {
	allowed := fmt.Sprintf("a regular expression of 1 to %d characters", maxLen)
	if re == "" || len(re) > maxLen {
		return allowed
	}
	unsupported := allowed + " without lookarounds, backreferences, atomic groups, possessive quantifiers, " +
		"subroutines, recursion or \\p classes (AWS does not support them)"
	_, err := syntax.Parse(re, syntax.Perl)
	var serr *syntax.Error
	if errors.As(err, &serr) {
		switch serr.Code {
		case syntax.ErrMissingParen, syntax.ErrUnexpectedParen, syntax.ErrMissingBracket,
			syntax.ErrMissingRepeatArgument, syntax.ErrTrailingBackslash, syntax.ErrInvalidCharRange:
			return allowed + " (" + string(serr.Code) + ")"
		case syntax.ErrInvalidPerlOp, syntax.ErrInvalidRepeatOp: // (?= (?! (?> (?R) (?1), a*+
			return unsupported
		case syntax.ErrInvalidNamedCapture: // Go reads (?<= and (?<! as names
			if strings.HasPrefix(serr.Expr, "(?<=") || strings.HasPrefix(serr.Expr, "(?<!") {
				return unsupported
			}
		case syntax.ErrInvalidEscape: // \1 \g1 \k<name>
			if len(serr.Expr) >= 2 && strings.ContainsRune("123456789gk", rune(serr.Expr[1])) {
				return unsupported
			}
		}
	}
	for i := 0; i+1 < len(re); i++ {
		if re[i] == '\\' {
			if re[i+1] == 'p' || re[i+1] == 'P' { // Go takes \p{L}, AWS does not
				return unsupported
			}
			i++ // the escaped character
		}
	}
	return ""
}
