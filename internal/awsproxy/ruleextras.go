package awsproxy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// RuleExtras carries what moto 5.2.1 cannot hold of an ALB listener rule,
// so that rules answer as AWS's do:
//   - Transforms (host-header-rewrite, url-rewrite): moto takes them and
//     never describes them. The proxy keeps each rule's transforms by rule
//     ARN (CreateRule; ModifyRule with Transforms replaces them,
//     ResetTransforms removes them, neither keeps them; DeleteRule forgets
//     them) and puts them into every answer that shows the rule (CreateRule,
//     ModifyRule, DescribeRules, SetRulePriorities). A ModifyRule that
//     changes only the transforms, which AWS takes and moto refuses ("Either
//     conditions or actions must be specified"), is answered from the rule
//     as it is.
//   - RegexValues of host-header, path-pattern and http-header conditions:
//     moto answers them with HTTP 500. The proxy sends each regular
//     expression to moto as a plain value marked regexMarker, and turns the
//     marked values of every answer back into RegexValues, so the rule keeps
//     its conditions in moto itself, whatever later moves it.
//
// It refuses, as AWS does, Transforms together with ResetTransforms, two
// transforms of one type, a transform without the config of its type or
// without rewrites, and a rewrite without a regex of 1 to 1024 characters
// or with a longer replacement (AWS's words for these are not known; the
// codes are AWS's).
type RuleExtras struct {
	mu         sync.Mutex
	transforms map[string][]ruleTransform // by rule ARN
}

// NewRuleExtras returns the behaviour with no rule known.
func NewRuleExtras() *RuleExtras {
	return &RuleExtras{transforms: map[string][]ruleTransform{}}
}

// regexMarker marks a regular expression stored in moto as a plain value.
const regexMarker = "~regex~"

// Transform types and the config each needs (ELBv2 TransformTypeEnum).
var transformConfigs = map[string]string{
	"host-header-rewrite": "HostHeaderRewriteConfig",
	"url-rewrite":         "UrlRewriteConfig",
}

// maxRewriteLength is AWS's limit on a rewrite's regex and replacement.
const maxRewriteLength = 1024

type ruleTransform struct {
	Type     string
	Rewrites []rewritePair
}

type rewritePair struct{ Regex, Replace string }

// Wrap implements Middleware.
func (x *RuleExtras) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		switch r.Action {
		case "CreateRule", "ModifyRule":
			return x.writeRule(next, r)
		case "DescribeRules", "SetRulePriorities":
			return x.answer(next(r))
		case "DeleteRule":
			resp := next(r)
			if resp.Status == http.StatusOK {
				x.mu.Lock()
				delete(x.transforms, r.Params.Get("RuleArn"))
				x.mu.Unlock()
			}
			return resp
		}
		return next(r)
	}
}

// writeRule serves CreateRule and ModifyRule: checks the transforms, sends
// moto the rule without them and with marked regular expressions, then
// records the transforms of the rule it answers with.
func (x *RuleExtras) writeRule(next Handler, r *Request) *Response {
	transforms, named, refusal := requestTransforms(r)
	if refusal != nil {
		return refusal
	}
	reset := r.Params.Get("ResetTransforms") == "true"
	if named && reset {
		return errorResponse(r, http.StatusBadRequest, "ValidationError",
			"You cannot specify both Transforms and ResetTransforms")
	}
	params := paramsForMoto(r.Params)
	var resp *Response
	if r.Action == "ModifyRule" && !hasRuleContent(params) {
		if !named && !reset {
			return next(r) // moto's own refusal
		}
		resp = x.ruleAsModified(next, r)
	} else {
		fwd := *r
		fwd.Params, fwd.Body = params, []byte(params.Encode())
		resp = next(&fwd)
	}
	if resp.Status != http.StatusOK {
		return resp
	}
	arns := ruleARNElem.FindAllSubmatch(resp.Body, -1)
	if len(arns) == 1 {
		arn := string(arns[0][1])
		x.mu.Lock()
		switch {
		case r.Action == "CreateRule" || named:
			x.transforms[arn] = transforms
		case reset:
			delete(x.transforms, arn)
		}
		x.mu.Unlock()
	}
	return x.answer(resp)
}

// hasRuleContent says whether a ModifyRule names conditions or actions.
func hasRuleContent(params url.Values) bool {
	for k := range params {
		if k == "Conditions" || k == "Actions" || strings.HasPrefix(k, "Conditions.") || strings.HasPrefix(k, "Actions.") {
			return true
		}
	}
	return false
}

// ruleAsModified answers a ModifyRule that changes only transforms with
// the rule as moto describes it.
func (x *RuleExtras) ruleAsModified(next Handler, r *Request) *Response {
	resp := next(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeRules"},
		"Version": {"2015-12-01"}, "RuleArns.member.1": {r.Params.Get("RuleArn")}}))
	if resp.Status != http.StatusOK {
		return resp
	}
	body := bytes.ReplaceAll(resp.Body, []byte("DescribeRulesResponse"), []byte("ModifyRuleResponse"))
	body = bytes.ReplaceAll(body, []byte("DescribeRulesResult"), []byte("ModifyRuleResult"))
	return &Response{Status: resp.Status, Header: resp.Header, Body: body}
}

var (
	transformParam = regexp.MustCompile(`^Transforms\.member\.(\d+)\.(.+)$`)
	rewriteParam   = regexp.MustCompile(`^(HostHeaderRewriteConfig|UrlRewriteConfig)\.Rewrites\.member\.(\d+)\.(Regex|Replace)$`)
	regexValuesKey = regexp.MustCompile(`^(Conditions\.member\.\d+\.(?:HostHeaderConfig|PathPatternConfig|HttpHeaderConfig))\.RegexValues\.member\.(\d+)$`)
)

// requestTransforms reads the Transforms of a CreateRule or ModifyRule and
// whether the request names them at all.
func requestTransforms(r *Request) ([]ruleTransform, bool, *Response) {
	type rewrite struct{ regex, replace *string }
	type raw struct {
		typ      string
		rewrites map[string]map[int]*rewrite // config -> index -> rewrite
	}
	_, named := r.Params["Transforms"]
	byIndex := map[int]*raw{}
	for k, v := range r.Params {
		m := transformParam.FindStringSubmatch(k)
		if m == nil || len(v) == 0 {
			continue
		}
		named = true
		i, _ := strconv.Atoi(m[1])
		t := byIndex[i]
		if t == nil {
			t = &raw{rewrites: map[string]map[int]*rewrite{}}
			byIndex[i] = t
		}
		if m[2] == "Type" {
			t.typ = v[0]
			continue
		}
		if rm := rewriteParam.FindStringSubmatch(m[2]); rm != nil {
			j, _ := strconv.Atoi(rm[2])
			if t.rewrites[rm[1]] == nil {
				t.rewrites[rm[1]] = map[int]*rewrite{}
			}
			rw := t.rewrites[rm[1]][j]
			if rw == nil {
				rw = &rewrite{}
				t.rewrites[rm[1]][j] = rw
			}
			value := v[0]
			if rm[3] == "Regex" {
				rw.regex = &value
			} else {
				rw.replace = &value
			}
		}
	}
	indexes := sortedIndexes(byIndex)
	refuse := func(msg string) ([]ruleTransform, bool, *Response) {
		return nil, named, errorResponse(r, http.StatusBadRequest, "ValidationError", msg)
	}
	var out []ruleTransform
	seen := map[string]bool{}
	for _, i := range indexes {
		t := byIndex[i]
		config, ok := transformConfigs[t.typ]
		if !ok {
			return refuse(fmt.Sprintf("1 validation error detected: Value '%s' at 'transforms.%d.member.type' failed to "+
				"satisfy constraint: Member must satisfy enum value set: [host-header-rewrite, url-rewrite]", t.typ, i))
		}
		if seen[t.typ] {
			return refuse(fmt.Sprintf("A rule can only have one '%s' transform", t.typ))
		}
		seen[t.typ] = true
		rws := t.rewrites[config]
		if len(rws) == 0 || len(t.rewrites) != 1 {
			return refuse(fmt.Sprintf("A '%s' transform must have %s with one or more rewrites", t.typ, config))
		}
		rt := ruleTransform{Type: t.typ}
		for _, j := range sortedIndexes(rws) {
			rw := rws[j]
			if rw.regex == nil || rw.replace == nil || *rw.regex == "" || len(*rw.regex) > maxRewriteLength ||
				len(*rw.replace) > maxRewriteLength {
				return refuse(fmt.Sprintf("A rewrite needs a regex of 1 to %d characters and a replace of at most %d",
					maxRewriteLength, maxRewriteLength))
			}
			rt.Rewrites = append(rt.Rewrites, rewritePair{Regex: *rw.regex, Replace: *rw.replace})
		}
		out = append(out, rt)
	}
	return out, named, nil
}

// paramsForMoto is a rule write as moto can take it: without transforms,
// and with each condition's RegexValues as marked plain values of the same
// config, numbered after its plain values.
func paramsForMoto(in url.Values) url.Values {
	out := url.Values{}
	regex := map[string]map[int]string{} // config prefix -> index -> regex
	for k, v := range in {
		switch m := regexValuesKey.FindStringSubmatch(k); {
		case k == "Transforms" || strings.HasPrefix(k, "Transforms.") || k == "ResetTransforms":
		case m != nil && len(v) > 0:
			if regex[m[1]] == nil {
				regex[m[1]] = map[int]string{}
			}
			i, _ := strconv.Atoi(m[2])
			regex[m[1]][i] = v[0]
		default:
			out[k] = v
		}
	}
	for prefix, byIndex := range regex {
		n := 0
		for out.Has(fmt.Sprintf("%s.Values.member.%d", prefix, n+1)) {
			n++
		}
		for _, i := range sortedIndexes(byIndex) {
			n++
			out.Set(fmt.Sprintf("%s.Values.member.%d", prefix, n), regexMarker+byIndex[i])
		}
	}
	return out
}

var (
	rulesListElem = regexp.MustCompile(`(?s)<Rules>(.*)</Rules>`)
	configElems   = map[string]*regexp.Regexp{}
	valuesElem    = regexp.MustCompile(`(?s)<Values>(.*?)</Values>`)
	memberElem    = regexp.MustCompile(`(?s)<member>(.*?)</member>`)
)

func init() {
	for _, c := range []string{"HostHeaderConfig", "PathPatternConfig", "HttpHeaderConfig"} {
		configElems[c] = regexp.MustCompile(`(?s)<` + c + `>.*?</` + c + `>`)
	}
}

// answer puts back what moto cannot hold into an answer listing rules:
// each rule's transforms, and its marked values as RegexValues.
func (x *RuleExtras) answer(resp *Response) *Response {
	if resp.Status != http.StatusOK {
		return resp
	}
	loc := rulesListElem.FindSubmatchIndex(resp.Body)
	if loc == nil {
		return resp
	}
	inner := resp.Body[loc[2]:loc[3]]
	var rules bytes.Buffer
	last := 0
	for _, m := range topLevelMembers(inner) {
		at := bytes.Index(inner[last:], m) + last
		rules.Write(inner[last:at])
		rules.Write(x.restoreRule(m))
		last = at + len(m)
	}
	rules.Write(inner[last:])
	body := append([]byte(nil), resp.Body[:loc[2]]...)
	body = append(body, rules.Bytes()...)
	body = append(body, resp.Body[loc[3]:]...)
	return &Response{Status: resp.Status, Header: resp.Header, Body: body}
}

// restoreRule rewrites one <member> of a rule list.
func (x *RuleExtras) restoreRule(rule []byte) []byte {
	for _, re := range configElems {
		rule = re.ReplaceAllFunc(rule, restoreRegexValues)
	}
	arn := ruleARNElem.FindSubmatch(rule)
	if arn == nil {
		return rule
	}
	x.mu.Lock()
	transforms := x.transforms[string(arn[1])]
	x.mu.Unlock()
	if len(transforms) == 0 {
		return rule
	}
	end := bytes.LastIndex(rule, []byte("</member>"))
	out := append([]byte(nil), rule[:end]...)
	out = append(out, transformsXML(transforms)...)
	return append(out, rule[end:]...)
}

// restoreRegexValues splits one condition config's values into the plain
// ones (Values) and the marked ones (RegexValues, unmarked).
func restoreRegexValues(config []byte) []byte {
	if !bytes.Contains(config, []byte(regexMarker)) {
		return config
	}
	return valuesElem.ReplaceAllFunc(config, func(values []byte) []byte {
		var plain, regex []byte
		for _, m := range memberElem.FindAllSubmatch(values, -1) {
			if v, ok := bytes.CutPrefix(m[1], []byte(regexMarker)); ok {
				regex = append(regex, "<member>"+string(v)+"</member>"...)
			} else {
				plain = append(plain, m[0]...)
			}
		}
		out := []byte("<Values>" + string(plain) + "</Values>")
		if len(plain) == 0 {
			out = []byte("<Values/>")
		}
		return append(out, "<RegexValues>"+string(regex)+"</RegexValues>"...)
	})
}

// sortedIndexes are the keys of a map by list position, in order.
func sortedIndexes[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for i := range m {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// transformsXML is a rule's transforms as AWS lists them.
func transformsXML(ts []ruleTransform) []byte {
	var b bytes.Buffer
	b.WriteString("<Transforms>")
	for _, t := range ts {
		config := transformConfigs[t.Type]
		b.WriteString("<member><Type>" + t.Type + "</Type><" + config + "><Rewrites>")
		for _, rw := range t.Rewrites {
			b.WriteString("<member><Regex>")
			_ = xml.EscapeText(&b, []byte(rw.Regex))
			b.WriteString("</Regex><Replace>")
			_ = xml.EscapeText(&b, []byte(rw.Replace))
			b.WriteString("</Replace></member>")
		}
		b.WriteString("</Rewrites></" + config + "></member>")
	}
	b.WriteString("</Transforms>")
	return b.Bytes()
}
