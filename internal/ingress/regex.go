package ingress

import (
	"errors"
	"fmt"
	"regexp/syntax"
)

// regexError says why AWS would refuse a regular expression of a condition
// or a transform, or "" when it may take it: empty, longer than max, or
// broken in a way no regular-expression dialect accepts (an unclosed group
// or class, a repetition of nothing, a trailing backslash). AWS's dialect
// is not Go's: what only Go refuses (look-around, possessive repetition,
// some escapes) is left to AWS rather than refused here.
func regexError(re string, max int) string {
	allowed := fmt.Sprintf("a regular expression of 1 to %d characters", max)
	if re == "" || len(re) > max {
		return allowed
	}
	_, err := syntax.Parse(re, syntax.Perl)
	var serr *syntax.Error
	if errors.As(err, &serr) {
		switch serr.Code {
		case syntax.ErrMissingParen, syntax.ErrUnexpectedParen, syntax.ErrMissingBracket,
			syntax.ErrMissingRepeatArgument, syntax.ErrTrailingBackslash, syntax.ErrInvalidCharRange:
			return allowed + " (" + string(serr.Code) + ")"
		}
	}
	return ""
}
