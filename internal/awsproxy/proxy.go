// Package awsproxy is a reverse proxy in front of an AWS emulator (moto) used by
// kelb's tests, benchmarks and sandbox. It records every call, injects faults
// (throttling, 5xx, latency) and adds behaviour the emulator lacks. Each
// behaviour is a Middleware in its own file; the proxy chains them in order.
package awsproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Request is one AWS API call as the middlewares see it.
type Request struct {
	Service string     // signing name: ec2, elasticloadbalancing, tagging, ...
	Action  string     // API action, e.g. CreateLoadBalancer
	Params  url.Values // query-protocol parameters (empty for JSON protocols)
	Account string     // account the emulator should use, "" for its default
	Caller  string     // the access key that signed the call
	Body    []byte
	Header  http.Header
	Path    string
}

// Response is what the emulator (or a middleware) answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Handler answers a Request.
type Handler func(*Request) *Response

// Middleware wraps the next handler. It may answer by itself, change the
// request, or rewrite the response.
type Middleware interface {
	Wrap(next Handler) Handler
}

// Proxy forwards AWS calls to the emulator through its middlewares.
type Proxy struct {
	Log          *CallLog
	Faults       *Faults
	Provisioning *Provisioning
	Dependencies *Dependencies
	RuleLimit    *RuleLimit
	VPCEndpoints *VPCEndpoints
	Crash        *Crash
	Certificates *Certificates
	LBExtras     *LoadBalancerExtras
	// ListenerCertificates holds listeners' certificates as AWS does.
	ListenerCertificates *ListenerCertificates
	Capacity             *CapacityReservations
	// TargetHealth gives targets AWS's initial and draining states.
	TargetHealth *TargetHealth
	// ListenerRules holds ALB listener rules to AWS's quotas, checks and
	// order.
	ListenerRules *ListenerRules
	// RuleExtras carries rule transforms and regular-expression
	// conditions, which moto cannot hold.
	RuleExtras *RuleExtras
	// WAFRegional emulates classic regional WAF, which moto lacks.
	WAFRegional *WAFRegional
	// IAM enforces an IAM policy on kelb's calls (off until given one).
	IAM *IAM

	upstream *url.URL
	client   *http.Client
	mu       sync.RWMutex
	chain    Handler
	extra    []Middleware
}

// New returns a proxy to the emulator at upstream with the standard behaviours:
// call log (outermost, so it sees injected faults), faults, then the emulator
// gap fillers (provisioning state, dependency violations, AWS's limits,
// certificates not yet usable, refusals AWS makes and moto does not, target
// health over time: off until set, so answers keep moto's timing). The
// gap fillers' own look-ups go straight to the emulator and are not logged.
func New(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		Log:           NewCallLog(),
		Faults:        NewFaults(),
		Provisioning:  NewProvisioning(0),
		Dependencies:  NewDependencies(0),
		RuleLimit:     NewRuleLimit(DefaultRuleLimit),
		VPCEndpoints:  NewVPCEndpoints(),
		Crash:         NewCrash(),
		Certificates:  NewCertificates(),
		LBExtras:      NewLoadBalancerExtras(),
		Capacity:      NewCapacityReservations(),
		TargetHealth:  NewTargetHealth(),
		ListenerRules: NewListenerRules(DefaultRulesPerLoadBalancer),
		RuleExtras:    NewRuleExtras(),
		WAFRegional:   NewWAFRegional(),
		upstream:      u,
		client:        &http.Client{Timeout: 60 * time.Second},
	}
	p.ListenerCertificates = NewListenerCertificates()
	p.IAM = NewIAM(p.forward)
	p.rebuild()
	return p, nil
}

// Use appends a middleware innermost (closest to the emulator).
func (p *Proxy) Use(m Middleware) {
	p.mu.Lock()
	p.extra = append(p.extra, m)
	p.mu.Unlock()
	p.rebuild()
}

func (p *Proxy) rebuild() {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := Handler(p.forward)
	for i := len(p.extra) - 1; i >= 0; i-- {
		h = p.extra[i].Wrap(h)
	}
	for _, m := range []Middleware{wafv2Associations{}, shieldSubscription{}, p.WAFRegional, p.Capacity, p.TargetHealth, p.LBExtras, p.VPCEndpoints, forwardEcho{}, authActions{}, p.RuleExtras, p.ListenerCertificates, ELBRefusals{}, p.ListenerRules, DeletionProtection{}, p.Certificates, prefixListRefusals{}, p.RuleLimit, filterLimit{},
		p.Dependencies, p.Provisioning, p.Faults, p.Crash, p.IAM, accountFromAccessKey{}, p.Log} {
		h = m.Wrap(h)
	}
	p.chain = h
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		p.serveControl(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/moto-api") {
		httputil.NewSingleHostReverseProxy(p.upstream).ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req := parseRequest(r, body)
	p.mu.RLock()
	chain := p.chain
	p.mu.RUnlock()
	resp := chain(req)
	for k, vs := range resp.Header {
		if strings.EqualFold(k, "Content-Length") {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func (p *Proxy) forward(req *Request) *Response {
	u := *p.upstream
	u.Path = req.Path
	out, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return errorResponse(req, http.StatusInternalServerError, "InternalError", err.Error())
	}
	out.Header = req.Header.Clone()
	out.Header.Del("Accept-Encoding")
	if req.Account != "" {
		out.Header.Set("x-moto-account-id", req.Account)
	}
	resp, err := p.client.Do(out)
	if err != nil {
		return errorResponse(req, http.StatusBadGateway, "ServiceUnavailable", err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/aws4_request`)

func parseRequest(r *http.Request, body []byte) *Request {
	req := &Request{Body: body, Header: r.Header, Path: r.URL.Path, Params: url.Values{}}
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.Service = m[2]
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if i := strings.LastIndex(target, "."); i >= 0 {
			req.Action = target[i+1:]
		}
		return req
	}
	if v, err := url.ParseQuery(string(body)); err == nil {
		req.Params = v
		req.Action = v.Get("Action")
	}
	return req
}

func accessKey(r *Request) string {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

// accountFromAccessKey gives every access key that starts with 12 digits the
// emulator account of those digits, so that tests sharing one emulator do
// not see each other. What follows the digits names the caller: kelb uses
// the bare account id, tests and benchmarks a suffix, and the call log tells
// them apart.
type accountFromAccessKey struct{}

var accountPrefix = regexp.MustCompile(`^[0-9]{12}`)

func (accountFromAccessKey) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		r.Caller = accessKey(r)
		if acct := accountPrefix.FindString(r.Caller); acct != "" {
			r.Account = acct
		}
		return next(r)
	}
}
