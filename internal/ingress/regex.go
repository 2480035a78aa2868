package ingress

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
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

// transformRegexError is regexError for the regex of a transform's rewrite
// (1 to 1024 characters), which AWS reads in a narrower dialect: its
// documentation of rule transforms lists lookaheads, lookbehinds,
// backreferences, atomic groups, possessive quantifiers, subroutines,
// recursion and Unicode character classes (\p{L}) as not supported, so
// those are refused too.
func transformRegexError(re string) string {
	if msg := regexError(re, maxRewriteLength); msg != "" {
		return msg
	}
	unsupported := fmt.Sprintf("a regular expression of 1 to %d characters without lookarounds, backreferences, "+
		"atomic groups, possessive quantifiers, subroutines, recursion or \\p classes (AWS does not support them "+
		"in transforms)", maxRewriteLength)
	_, err := syntax.Parse(re, syntax.Perl)
	var serr *syntax.Error
	if errors.As(err, &serr) {
		switch serr.Code {
		case syntax.ErrInvalidPerlOp, syntax.ErrInvalidRepeatOp:
			return unsupported
		case syntax.ErrInvalidNamedCapture: // Go reads (?<= and (?<! as names
			if strings.HasPrefix(serr.Expr, "(?<=") || strings.HasPrefix(serr.Expr, "(?<!") {
				return unsupported
			}
		case syntax.ErrInvalidEscape:
			if len(serr.Expr) >= 2 && strings.ContainsRune("123456789gk", rune(serr.Expr[1])) {
				return unsupported
			}
		}
	}
	for i := 0; i+1 < len(re); i++ {
		if re[i] == '\\' {
			if re[i+1] == 'p' || re[i+1] == 'P' {
				return unsupported
			}
			i++ // the escaped character
		}
	}
	return ""
}
