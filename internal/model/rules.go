package model

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// What an application load balancer does with a request: each listener
// has rules, tried in priority order, and default actions for requests no
// rule matches. The types follow the ELBv2 API's (RuleCondition, Action)
// closely, so a deployer maps them field by field, and they carry every
// action and condition an Ingress can ask for (custom actions and
// conditions come from annotations), not only what a plain Ingress path
// needs.

// Action types (ELBv2 ActionTypeEnum values kelb builds).
const (
	ActionForward       = "forward"
	ActionRedirect      = "redirect"
	ActionFixedResponse = "fixed-response"
	// The authenticate actions come before a rule's (or default's)
	// terminal action: AWS runs a rule's actions by Order, which the
	// deployer numbers from the list's order.
	ActionAuthenticateCognito = "authenticate-cognito"
	ActionAuthenticateOIDC    = "authenticate-oidc"
)

// Condition fields (ELBv2 rule condition field names).
const (
	ConditionHostHeader        = "host-header"
	ConditionPathPattern       = "path-pattern"
	ConditionHTTPHeader        = "http-header"
	ConditionHTTPRequestMethod = "http-request-method"
	ConditionQueryString       = "query-string"
	ConditionSourceIP          = "source-ip"
)

// ApplicationStack is the desired state of an application load balancer:
// the generic stack (load balancer, listeners with protocol, certificates
// and SSL policy, target groups, security groups, bindings) plus what only
// application load balancers have. Listeners in Stack have no
// TargetGroupID: Routing says where their requests go.
type ApplicationStack struct {
	Stack
	// Routing is one entry per listener, in Stack.Listeners' order.
	Routing []ListenerRouting
	// TargetGroupOptions holds the application-only settings of each
	// target group, by ResourceID.
	TargetGroupOptions map[string]ApplicationTargetGroup
	// MutualAuthentication is the mutual TLS of HTTPS listeners, by port;
	// listeners without an entry are left as AWS has them.
	MutualAuthentication map[int32]MutualAuthentication
	// AddOns are the load balancer's web ACLs and Shield protection.
	AddOns LoadBalancerAddOns
	// Members are the keys ("<namespace>/<name>") of every Ingress of an
	// explicit group, built or kept; KeptMembers are those left out of the
	// build (invalid or conflicting input), whose rules, target groups and
	// bindings in AWS stay as they are (see ListenerRule.KeptMember).
	Members, KeptMembers []string
}

// MemberOfResource says which of members ("<namespace>/<name>") a target
// group's resource id ("<namespace>/<ingress>-<service>:<port>") belongs
// to: the longest "<namespace>/<name>-" prefix, so that Ingresses "a" and
// "a-b" of one namespace are told apart; "" for none.
func MemberOfResource(resourceID string, members []string) string {
	best := ""
	for _, m := range members {
		if strings.HasPrefix(resourceID, m+"-") && len(m) > len(best) {
			best = m
		}
	}
	return best
}

// ApplicationTargetGroup are the settings only an application load
// balancer's target groups have.
type ApplicationTargetGroup struct {
	// ProtocolVersion is HTTP1, HTTP2 or GRPC.
	ProtocolVersion string
	// GRPCMatcher: HealthCheck.Matcher holds gRPC codes (GrpcCode), not
	// HTTP codes (HttpCode).
	GRPCMatcher bool
}

// ListenerRouting is what one listener does with requests.
type ListenerRouting struct {
	Port int32
	// DefaultActions apply when no rule matches.
	DefaultActions []Action
	// Rules are in priority order; Priority is set on each.
	Rules []ListenerRule
}

// ListenerRule is one rule of a listener.
type ListenerRule struct {
	// Priority is 1 to 50000, lowest first.
	Priority   int32
	Conditions []RuleCondition
	Actions    []Action
	// Transforms rewrite a matching request before its action: at most
	// one of each type (AWS's limit).
	Transforms []RuleTransform
	Tags       map[string]string
	// KeptMember, when set, makes this entry a place holder: the rules AWS
	// has on the listener that forward to the kept target groups of that
	// group member go here, in their current order (Conditions and Actions
	// are empty). The deployer numbers the rules again from 1 once they
	// are known.
	KeptMember string
}

// Transform types (ELBv2 TransformTypeEnum values).
const (
	TransformHostHeaderRewrite = "host-header-rewrite"
	TransformURLRewrite        = "url-rewrite"
)

// RuleTransform rewrites the host header or the URL of a request that
// matches the rule, by its rewrites in order.
type RuleTransform struct {
	Type     string
	Rewrites []Rewrite
}

// Rewrite replaces what Regex matches by Replace, which may name Regex's
// capture groups ($1).
type Rewrite struct {
	Regex   string
	Replace string
}

// RuleCondition is one condition of a rule; exactly the config of Field is
// set. A rule matches when all its conditions do; a condition matches when
// any of its values does. Host-header and path-pattern conditions hold
// either plain values (with wildcards) or regular expressions (the *Regex
// fields), never both.
type RuleCondition struct {
	Field       string
	HostHeader  []string // host-header: host names, with * and ? wildcards
	PathPattern []string // path-pattern: paths, with * and ? wildcards
	// HostHeaderRegex and PathPatternRegex are regular expressions of
	// host-header and path-pattern conditions (AWS's RegexValues).
	HostHeaderRegex   []string
	PathPatternRegex  []string
	HTTPHeader        *HTTPHeaderCondition
	HTTPRequestMethod []string // http-request-method: GET, POST, ...
	QueryString       []QueryStringPair
	SourceIP          []string // source-ip: CIDRs
}

// HTTPHeaderCondition matches a header's value.
type HTTPHeaderCondition struct {
	Name   string
	Values []string
	// RegexValues are regular expressions the value may match instead.
	RegexValues []string
}

// QueryStringPair matches a query parameter; an empty Key matches any key
// with that value.
type QueryStringPair struct {
	Key   string
	Value string
}

// ValueCount is how many values the condition holds, which AWS limits per
// rule.
func (c RuleCondition) ValueCount() int {
	n := len(c.HostHeader) + len(c.PathPattern) + len(c.HostHeaderRegex) + len(c.PathPatternRegex) +
		len(c.HTTPRequestMethod) + len(c.QueryString) + len(c.SourceIP)
	if c.HTTPHeader != nil {
		n += len(c.HTTPHeader.Values) + len(c.HTTPHeader.RegexValues)
	}
	return n
}

// Action is one action of a rule or of a listener's default; exactly the
// config of Type is set.
type Action struct {
	Type                string
	Forward             *ForwardAction
	Redirect            *RedirectAction
	FixedResponse       *FixedResponseAction
	AuthenticateCognito *AuthenticateCognitoAction
	AuthenticateOIDC    *AuthenticateOIDCAction
}

// Authentication is what the two authenticate actions share; empty values
// are AWS's defaults (AuthDefault*).
type Authentication struct {
	// ExtraParams are query parameters added to the redirect to the
	// identity provider.
	ExtraParams map[string]string
	// OnUnauthenticatedRequest is authenticate, allow or deny.
	OnUnauthenticatedRequest string
	Scope                    string
	SessionCookieName        string
	// SessionTimeout is in seconds.
	SessionTimeout int64
}

// AWS's defaults of the authenticate actions' settings.
const (
	AuthDefaultOnUnauthenticated = "authenticate"
	AuthDefaultScope             = "openid"
	AuthDefaultSessionCookie     = "AWSELBAuthSessionCookie"
	AuthDefaultSessionTimeout    = 604800
)

// AuthenticateCognitoAction authenticates users through an Amazon Cognito
// user pool.
type AuthenticateCognitoAction struct {
	UserPoolARN      string
	UserPoolClientID string
	UserPoolDomain   string
	Authentication
}

// AuthenticateOIDCAction authenticates users through an OpenID Connect
// identity provider.
type AuthenticateOIDCAction struct {
	Issuer                string
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserInfoEndpoint      string
	ClientID              string
	// ClientSecret is written to AWS and never read back (AWS does not
	// return it), logged or shown.
	ClientSecret Secret
	// ClientFingerprint identifies ClientID and ClientSecret without
	// revealing them (OIDCClientFingerprint): the deployer keeps it in a
	// tag to know when the secret changed.
	ClientFingerprint string
	Authentication
}

// Secret is a value that must never be printed: fmt and JSON show it
// redacted.
type Secret string

// String implements fmt.Stringer.
func (Secret) String() string { return "(redacted)" }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return `"(redacted)"` }

// MarshalJSON keeps it out of JSON.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"(redacted)"`), nil }

// OIDCClientFingerprint identifies an OIDC client's id and secret, keyed
// with the Kubernetes Secret's UID: the value is stored in an AWS tag, and
// without the key (which AWS never sees) it cannot be used to guess the
// secret.
func OIDCClientFingerprint(key, clientID string, clientSecret Secret) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(clientID))
	mac.Write([]byte{0})
	mac.Write([]byte(clientSecret))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// TagOIDCClient is kelb's tag on a listener rule (or a listener, for its
// default actions) whose authenticate-oidc action kelb wrote: the
// ClientFingerprint it wrote. A rule without it (LBC made it) is taken as
// it is; only a different fingerprint makes kelb write the action again.
const TagOIDCClient = "kelb.dev/oidc-client"

// ForwardAction sends requests to one or more target groups, by weight.
type ForwardAction struct {
	TargetGroups []WeightedTargetGroup
	// Stickiness keeps a client on one target group; nil leaves it off.
	Stickiness *ForwardStickiness
}

// WeightedTargetGroup is a target group of a forward action: one of the
// stack (TargetGroupID, a ResourceID) or an existing one by ARN.
type WeightedTargetGroup struct {
	TargetGroupID  string
	TargetGroupARN string
	// Weight is 0 to 999; nil when the user gave none (AWS takes 1).
	Weight *int32
}

// ForwardStickiness is target group stickiness of a forward action.
type ForwardStickiness struct {
	Enabled         bool
	DurationSeconds int32
}

// RedirectAction answers with a redirect; empty fields keep the request's
// value (AWS's #{protocol}, #{host}, #{port}, /#{path}, #{query}).
type RedirectAction struct {
	Protocol   string
	Host       string
	Port       string
	Path       string
	Query      string
	StatusCode string // HTTP_301 | HTTP_302
}

// FixedResponseAction answers with a fixed response.
type FixedResponseAction struct {
	StatusCode  string
	ContentType string
	MessageBody string
}

// ForwardTo is a forward action to one target group of the stack, in the
// form LBC writes it (a ForwardConfig with one target group, no weight).
func ForwardTo(targetGroupID string) Action {
	return Action{Type: ActionForward, Forward: &ForwardAction{
		TargetGroups: []WeightedTargetGroup{{TargetGroupID: targetGroupID}}}}
}

// MutualAuthentication is an HTTPS listener's mutual TLS.
type MutualAuthentication struct {
	Mode string // off | passthrough | verify
	// TrustStore is the trust store's ARN, or its name until resolved
	// (verify only).
	TrustStore string
	// IgnoreClientCertificateExpiry is set for verify only.
	IgnoreClientCertificateExpiry *bool
	// AdvertiseTrustStoreCANames is "on", "off", or "" to leave it to AWS.
	AdvertiseTrustStoreCANames string
}
