package awsproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// Policy is an IAM identity-based policy, as far as the proxy evaluates
// one: Allow and Deny statements of Action, Resource and Condition. Any
// other element, or a condition operator the evaluator does not know, fails
// the parse: a policy the proxy cannot read exactly must not pass tests.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Policy.
type Statement struct {
	Sid       string                           `json:"Sid,omitempty"`
	Effect    string                           `json:"Effect"`
	Action    stringList                       `json:"Action"`
	Resource  stringList                       `json:"Resource"`
	Condition map[string]map[string]stringList `json:"Condition,omitempty"`
}

// stringList is a policy value that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("policy value %s is neither a string nor a list of strings", b)
	}
	*l = many
	return nil
}

// conditionOperators are the operators Evaluate knows.
var conditionOperators = map[string]bool{"StringEquals": true, "StringNotEquals": true, "StringLike": true,
	"StringNotLike": true, "Null": true, "ForAnyValue:StringEquals": true, "ForAnyValue:StringLike": true,
	"ForAllValues:StringEquals": true, "ForAllValues:StringLike": true}

// ParsePolicy reads a policy document.
func ParsePolicy(doc []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("reading IAM policy: %w", err)
	}
	for i, s := range p.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fmt.Errorf("IAM policy statement %d: Effect %q is not Allow or Deny", i, s.Effect)
		}
		if len(s.Action) == 0 || len(s.Resource) == 0 {
			return nil, fmt.Errorf("IAM policy statement %d: Action and Resource are required", i)
		}
		for op := range s.Condition {
			if !conditionOperators[op] {
				return nil, fmt.Errorf("IAM policy statement %d: condition operator %q is not evaluated by the proxy", i, op)
			}
		}
	}
	return &p, nil
}

// LoadPolicy reads a policy document from a file.
func LoadPolicy(file string) (*Policy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading IAM policy: %w", err)
	}
	return ParsePolicy(b)
}

// Without returns a copy of the policy in which no statement grants
// action: what an operator's policy missing one permission looks like.
func (p *Policy) Without(action string) *Policy {
	out := &Policy{Version: p.Version}
	for _, s := range p.Statement {
		var kept stringList
		for _, a := range s.Action {
			if !strings.EqualFold(a, action) {
				kept = append(kept, a)
			}
		}
		if len(kept) > 0 {
			s.Action = kept
			out.Statement = append(out.Statement, s)
		}
	}
	return out
}

// Actions returns every action pattern the policy's Allow statements name,
// sorted.
func (p *Policy) Actions() []string {
	seen := map[string]bool{}
	for _, s := range p.Statement {
		if s.Effect == "Allow" {
			for _, a := range s.Action {
				seen[a] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Authorization is one permission a call needs: an action on a resource,
// with the request's context.
type Authorization struct {
	Action   string // service prefix and operation, e.g. ec2:CreateTags
	Resource string // the resource's ARN, "*" for actions without one
	// RequestTags are the tags the request sets (aws:RequestTag/...,
	// aws:TagKeys); nil when it sets none.
	RequestTags map[string]string
	// Keys are other condition keys of the request, lower case, e.g.
	// ec2:createaction.
	Keys map[string][]string
	// ResourceTags reads the resource's current tags, when a condition
	// asks for them (nil: the resource has none, e.g. it is being made).
	ResourceTags func() (map[string]string, error)
}

// Decision is the outcome of evaluating a policy for an Authorization.
type Decision struct {
	Allowed bool
	// ExplicitDeny says a Deny statement matched.
	ExplicitDeny bool
	// Reason says why, for a denied call.
	Reason string
}

// Evaluate decides whether the policy allows a: an explicit Deny wins,
// then any Allow; nothing matching is an implicit deny.
func (p *Policy) Evaluate(a Authorization) (Decision, error) {
	ctx := &evalContext{a: a}
	allowed := false
	for _, s := range p.Statement {
		if !s.matchesAction(a.Action) || !s.matchesResource(a.Resource) {
			continue
		}
		ok, err := s.conditionsHold(ctx)
		if err != nil {
			return Decision{}, err
		}
		if !ok {
			continue
		}
		if s.Effect == "Deny" {
			return Decision{ExplicitDeny: true, Reason: "with an explicit deny in an identity-based policy"}, nil
		}
		allowed = true
	}
	if allowed {
		return Decision{Allowed: true}, nil
	}
	return Decision{Reason: "because no identity-based policy allows the " + a.Action + " action"}, nil
}

func (s Statement) matchesAction(action string) bool {
	for _, pat := range s.Action {
		if globMatch(strings.ToLower(pat), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

func (s Statement) matchesResource(arn string) bool {
	for _, pat := range s.Resource {
		if pat == "*" || globMatch(pat, arn) {
			return true
		}
	}
	return false
}

// globMatch matches IAM's wildcards: * any run of characters, ? one.
func globMatch(pattern, s string) bool {
	// path.Match's * stops at '/', IAM's does not: match segment-free by
	// replacing '/' in both with a character neither holds.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(escapeBrackets(pattern), "/", sep), strings.ReplaceAll(s, "/", sep))
	return err == nil && ok
}

// escapeBrackets keeps '[' and '\' literal, as IAM has no character classes.
func escapeBrackets(p string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`).Replace(p)
}

// evalContext answers condition keys for one Authorization, reading the
// resource's tags at most once.
type evalContext struct {
	a            Authorization
	resourceTags map[string]string
	read         bool
}

// values returns the key's values and whether the request has the key.
func (c *evalContext) values(key string) ([]string, bool, error) {
	lower := strings.ToLower(key)
	switch {
	case strings.HasPrefix(lower, "aws:requesttag/"):
		v, ok := c.a.RequestTags[key[len("aws:RequestTag/"):]]
		return []string{v}, ok, nil
	case strings.HasPrefix(lower, "aws:resourcetag/"):
		if !c.read {
			c.read = true
			if c.a.ResourceTags != nil {
				tags, err := c.a.ResourceTags()
				if err != nil {
					return nil, false, err
				}
				c.resourceTags = tags
			}
		}
		v, ok := c.resourceTags[key[len("aws:ResourceTag/"):]]
		return []string{v}, ok, nil
	case lower == "aws:tagkeys":
		if len(c.a.RequestTags) == 0 {
			return nil, false, nil
		}
		keys := make([]string, 0, len(c.a.RequestTags))
		for k := range c.a.RequestTags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys, true, nil
	}
	v, ok := c.a.Keys[lower]
	return v, ok, nil
}

// conditionsHold ANDs every operator and key; a key's values are ORed.
func (s Statement) conditionsHold(ctx *evalContext) (bool, error) {
	for op, keys := range s.Condition {
		for key, want := range keys {
			got, present, err := ctx.values(key)
			if err != nil {
				return false, err
			}
			if !conditionHolds(op, want, got, present) {
				return false, nil
			}
		}
	}
	return true, nil
}

func conditionHolds(op string, want, got []string, present bool) bool {
	anyMatch := func(v string, like bool) bool {
		for _, w := range want {
			if v == w || like && globMatch(w, v) {
				return true
			}
		}
		return false
	}
	switch op {
	case "Null":
		// "true": the key must be absent; "false": present.
		return len(want) == 1 && (want[0] == "true") == !present
	case "StringEquals", "StringLike":
		return present && anyMatch(got[0], op == "StringLike")
	case "StringNotEquals", "StringNotLike":
		// Negated operators hold for an absent key, as in IAM.
		return !present || !anyMatch(got[0], op == "StringNotLike")
	case "ForAnyValue:StringEquals", "ForAnyValue:StringLike":
		for _, v := range got {
			if anyMatch(v, op == "ForAnyValue:StringLike") {
				return true
			}
		}
		return false
	case "ForAllValues:StringEquals", "ForAllValues:StringLike":
		for _, v := range got {
			if !anyMatch(v, op == "ForAllValues:StringLike") {
				return false
			}
		}
		return true
	}
	return false
}

// Unexercised returns the action patterns of the policy's Allow statements
// that match none of the exercised actions: permissions no test proved kelb
// needs.
func (p *Policy) Unexercised(exercised []string) []string {
	var out []string
	for _, pat := range p.Actions() {
		used := false
		for _, a := range exercised {
			if globMatch(strings.ToLower(pat), strings.ToLower(a)) {
				used = true
				break
			}
		}
		if !used {
			out = append(out, pat)
		}
	}
	return out
}
