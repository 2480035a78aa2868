package awsproxy

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"sync"
)

// IAM evaluates an IAM policy on every call kelb makes, and fails a call the
// policy does not allow as AWS does (AccessDenied, AccessDeniedException or
// EC2's UnauthorizedOperation, HTTP 403), before it reaches anything else.
//
// kelb is the caller whose access key is a bare 12-digit account id; every
// other caller (test observers and "other parties" making foreign resources,
// whose keys carry a suffix) is an administrator the policy does not bind.
// Resource tags are read from the emulator at the moment of the call,
// never cached, by calls that bypass the policy and the call log.
//
// Off until SetPolicy. It counts, per action, the calls allowed and denied,
// and keeps every denial for the test suite to report.
type IAM struct {
	mu        sync.Mutex
	policy    *Policy
	accounts  map[string]*Policy // accounts running with a policy of their own
	allowed   map[string]int
	denied    map[string]int
	denials   []Denial
	emulator  Handler
	principal string
}

// Denial is one call the policy refused.
type Denial struct {
	Account  string
	Action   string
	Resource string
	Reason   string
	// Deliberate says the account ran with a policy of its own (a test
	// of a missing permission), not the one under test.
	Deliberate bool
}

func (d Denial) String() string {
	return fmt.Sprintf("%s on %s (account %s): %s", d.Action, d.Resource, d.Account, d.Reason)
}

// NewIAM returns the evaluator, off. Its look-ups go to emulator directly.
func NewIAM(emulator Handler) *IAM {
	return &IAM{accounts: map[string]*Policy{}, allowed: map[string]int{}, denied: map[string]int{}, emulator: emulator,
		principal: "assumed-role/kelb/kelb"}
}

// SetPolicy enforces p on kelb's calls (nil turns enforcement off).
func (i *IAM) SetPolicy(p *Policy) {
	i.mu.Lock()
	i.policy = p
	i.mu.Unlock()
}

// Policy returns the policy in force, nil when off.
func (i *IAM) Policy() *Policy {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.policy
}

// SetAccountPolicy gives kelb in one account a policy of its own (nil:
// back to the common one); its denials are deliberate.
func (i *IAM) SetAccountPolicy(account string, p *Policy) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if p == nil {
		delete(i.accounts, account)
		return
	}
	i.accounts[account] = p
}

// Denials returns the calls refused so far.
func (i *IAM) Denials() []Denial {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Denial(nil), i.denials...)
}

// Exercised returns the actions the common policy allowed at least once,
// sorted: the permissions the tests proved kelb needs.
func (i *IAM) Exercised() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]string, 0, len(i.allowed))
	for a := range i.allowed {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Counts returns, per action, the calls allowed and denied.
func (i *IAM) Counts() (allowed, denied map[string]int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	allowed, denied = map[string]int{}, map[string]int{}
	for k, v := range i.allowed {
		allowed[k] = v
	}
	for k, v := range i.denied {
		denied[k] = v
	}
	return allowed, denied
}

var kelbAccessKey = regexp.MustCompile(`^[0-9]{12}$`)

// policyFor returns the policy binding r's caller, nil for an administrator.
func (i *IAM) policyFor(r *Request) (p *Policy, own bool) {
	if !kelbAccessKey.MatchString(r.Caller) {
		return nil, false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if p, ok := i.accounts[r.Account]; ok {
		return p, true
	}
	return i.policy, false
}

// errResourceGone says a resource the call names does not exist: the call
// goes on, for the emulator to answer as AWS does for a missing resource.
var errResourceGone = errors.New("resource does not exist")

// Wrap implements Middleware.
func (i *IAM) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		policy, own := i.policyFor(r)
		if policy == nil || r.Action == "" {
			return next(r)
		}
		for _, a := range authorizations(r) {
			if a.tagsOf != nil {
				ref := *a.tagsOf
				a.ResourceTags = func() (map[string]string, error) { return i.resourceTags(r, ref) }
			}
			d, err := policy.Evaluate(a.Authorization)
			switch {
			case errors.Is(err, errResourceGone):
				continue
			case err != nil:
				return errorResponse(r, http.StatusInternalServerError, "InternalFailure",
					"reading the tags of "+a.Resource+": "+err.Error())
			}
			i.record(r, a.Authorization, d, own)
			if !d.Allowed {
				return i.deny(r, a.Authorization, d)
			}
		}
		return next(r)
	}
}

func (i *IAM) record(r *Request, a Authorization, d Decision, own bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if d.Allowed {
		if !own {
			i.allowed[a.Action]++
		}
		return
	}
	i.denied[a.Action]++
	i.denials = append(i.denials, Denial{Account: r.Account, Action: a.Action, Resource: a.Resource, Reason: d.Reason,
		Deliberate: own})
}

// deny answers as AWS does for a call no policy allows.
func (i *IAM) deny(r *Request, a Authorization, d Decision) *Response {
	user := fmt.Sprintf("arn:aws:sts::%s:%s", accountOr(r.Account), i.principal)
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", user, a.Action, a.Resource,
		d.Reason)
	switch {
	case r.Service == "ec2":
		encoded := base64.RawURLEncoding.EncodeToString([]byte(msg))
		return errorResponse(r, http.StatusForbidden, "UnauthorizedOperation",
			"You are not authorized to perform this operation. "+msg+". Encoded authorization failure message: "+encoded)
	case r.Header.Get("X-Amz-Target") != "":
		return errorResponse(r, http.StatusForbidden, "AccessDeniedException", msg)
	}
	return errorResponse(r, http.StatusForbidden, "AccessDenied", msg)
}

var (
	elbTagMember = regexp.MustCompile(`(?s)<member>((?:[^<]|<Key>|</Key>|<Value>|</Value>|<Value/>)*)</member>`)
	elbTagKey    = regexp.MustCompile(`<Key>([^<]*)</Key>`)
	elbTagValue  = regexp.MustCompile(`<Value>([^<]*)</Value>`)
	ec2TagSet    = regexp.MustCompile(`(?s)<tagSet>(.*?)</tagSet>`)
	ec2TagItem   = regexp.MustCompile(`(?s)<item>\s*<key>([^<]*)</key>\s*(?:<value>([^<]*)</value>|<value\s*/>)?\s*</item>`)
	notFoundCode = regexp.MustCompile(`NotFound`)
)

// resourceTags reads a resource's current tags from the emulator.
func (i *IAM) resourceTags(r *Request, ref resourceRef) (map[string]string, error) {
	var resp *Response
	switch ref.kind {
	case "elb":
		resp = i.emulator(subRequest(r, "elasticloadbalancing", url.Values{"Action": {"DescribeTags"},
			"Version": {"2015-12-01"}, "ResourceArns.member.1": {ref.id}}))
	case "security-group":
		resp = i.emulator(subRequest(r, "ec2", url.Values{"Action": {"DescribeSecurityGroups"},
			"Version": {"2016-11-15"}, "GroupId.1": {ref.id}}))
	case "vpc-endpoint":
		resp = i.emulator(subRequest(r, "ec2", url.Values{"Action": {"DescribeVpcEndpoints"},
			"Version": {"2016-11-15"}, "VpcEndpointId.1": {ref.id}}))
	default:
		return nil, nil
	}
	if resp.Status != http.StatusOK {
		if notFoundCode.MatchString(errorCode(resp.Body)) {
			return nil, errResourceGone
		}
		return nil, fmt.Errorf("emulator answered %d: %s", resp.Status, errorCode(resp.Body))
	}
	tags := map[string]string{}
	if ref.kind == "elb" {
		// A tag's Key and Value come in either order.
		for _, m := range elbTagMember.FindAllSubmatch(resp.Body, -1) {
			k, v := elbTagKey.FindSubmatch(m[1]), elbTagValue.FindSubmatch(m[1])
			if k == nil {
				continue
			}
			tags[xmlText(k[1])] = ""
			if v != nil {
				tags[xmlText(k[1])] = xmlText(v[1])
			}
		}
		return tags, nil
	}
	set := ec2TagSet.FindSubmatch(resp.Body)
	if set == nil {
		return tags, nil
	}
	for _, m := range ec2TagItem.FindAllSubmatch(set[1], -1) {
		tags[xmlText(m[1])] = xmlText(m[2])
	}
	return tags, nil
}

func xmlText(b []byte) string { return html.UnescapeString(string(b)) }
