package awsproxy

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// authActions makes the authenticate actions of listeners and rules behave
// as AWS's where moto 5.2.1 does not:
//   - No answer ever shows an OIDC action's client secret (moto echoes
//     ClientSecret, and UseExistingClientSecret, everywhere), and AWS's
//     defaults of the settings not given are filled in (scope openid,
//     session cookie AWSELBAuthSessionCookie, timeout 604800,
//     on-unauthenticated-request authenticate), as AWS reports them.
//   - Creating an OIDC action needs its ClientSecret (moto takes none).
//   - Modifying one takes either a ClientSecret or UseExistingClientSecret
//     true, not both (AWS's own message); with UseExistingClientSecret the
//     secret the rule or listener holds is kept (moto drops it).
type authActions struct{}

var (
	oidcActionParam   = regexp.MustCompile(`^((?:Default)?Actions\.member\.\d+)\.Type$`)
	oidcConfigElem    = regexp.MustCompile(`(?s)<AuthenticateOidcConfig>(.*?)</AuthenticateOidcConfig>`)
	cognitoConfigElem = regexp.MustCompile(`(?s)<AuthenticateCognitoConfig>(.*?)</AuthenticateCognitoConfig>`)
	clientSecretElem  = regexp.MustCompile(`<ClientSecret>[^<]*</ClientSecret>|<ClientSecret/>`)
	useExistingElem   = regexp.MustCompile(`<UseExistingClientSecret>[^<]*</UseExistingClientSecret>`)
	clientSecretValue = regexp.MustCompile(`<ClientSecret>([^<]*)</ClientSecret>`)
)

// authDefaults are the settings AWS reports when they were not given.
var authDefaults = []struct{ name, value string }{
	{"SessionCookieName", "AWSELBAuthSessionCookie"}, {"Scope", "openid"}, {"SessionTimeout", "604800"},
	{"OnUnauthenticatedRequest", "authenticate"},
}

// Wrap implements Middleware.
func (authActions) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "elasticloadbalancing" {
			return next(r)
		}
		switch r.Action {
		case "CreateRule", "CreateListener":
			if refusal := refuseNewOIDC(r); refusal != nil {
				return refusal
			}
		case "ModifyRule", "ModifyListener":
			if refusal := useExistingSecret(next, r); refusal != nil {
				return refusal
			}
		}
		resp := next(r)
		switch r.Action {
		case "CreateRule", "ModifyRule", "DescribeRules", "SetRulePriorities", "CreateListener", "ModifyListener",
			"DescribeListeners":
			if resp.Status == http.StatusOK {
				resp.Body = hideClientSecrets(resp.Body)
			}
		}
		return resp
	}
}

// oidcActions are the parameter prefixes of the request's authenticate-oidc
// actions ("Actions.member.1", ...).
func oidcActions(params url.Values) []string {
	var out []string
	for k, v := range params {
		if m := oidcActionParam.FindStringSubmatch(k); m != nil && len(v) > 0 && v[0] == "authenticate-oidc" {
			out = append(out, m[1])
		}
	}
	return out
}

func refuseNewOIDC(r *Request) *Response {
	for _, p := range oidcActions(r.Params) {
		if r.Params.Get(p+".AuthenticateOidcConfig.UseExistingClientSecret") == "true" {
			return errorResponse(r, http.StatusBadRequest, "InvalidLoadBalancerAction",
				"UseExistingClientSecret can only be set when modifying an existing action")
		}
		if r.Params.Get(p+".AuthenticateOidcConfig.ClientSecret") == "" {
			return errorResponse(r, http.StatusBadRequest, "ValidationError",
				"A client secret must be specified when creating an authenticate-oidc action")
		}
	}
	return nil
}

// useExistingSecret checks a modify's OIDC actions and, for one that keeps
// the existing secret, puts that secret into the request (the emulator
// would drop it).
func useExistingSecret(next Handler, r *Request) *Response {
	changed := false
	for _, p := range oidcActions(r.Params) {
		secretKey, useKey := p+".AuthenticateOidcConfig.ClientSecret", p+".AuthenticateOidcConfig.UseExistingClientSecret"
		secret, use := r.Params.Get(secretKey), r.Params.Get(useKey) == "true"
		switch {
		case secret != "" && use:
			return errorResponse(r, http.StatusBadRequest, "InvalidLoadBalancerAction",
				"You cannot both specify a client secret and set UseExistingClientSecret to true")
		case secret != "":
			r.Params.Del(useKey)
			continue
		case !use:
			return errorResponse(r, http.StatusBadRequest, "ValidationError",
				"A client secret must be specified unless UseExistingClientSecret is true")
		}
		existing := existingClientSecret(next, r)
		if existing == "" {
			return errorResponse(r, http.StatusBadRequest, "InvalidLoadBalancerAction",
				"UseExistingClientSecret is true but the action has no existing client secret")
		}
		r.Params.Set(secretKey, existing)
		r.Params.Del(useKey)
		changed = true
	}
	if changed {
		r.Body = []byte(r.Params.Encode())
	}
	return nil
}

// existingClientSecret is the client secret of the OIDC action the rule or
// listener being modified holds, read from the emulator.
func existingClientSecret(next Handler, r *Request) string {
	params := url.Values{"Version": {"2015-12-01"}}
	if r.Action == "ModifyRule" {
		params.Set("Action", "DescribeRules")
		params.Set("RuleArns.member.1", r.Params.Get("RuleArn"))
	} else {
		params.Set("Action", "DescribeListeners")
		params.Set("ListenerArns.member.1", r.Params.Get("ListenerArn"))
	}
	resp := next(subRequest(r, "elasticloadbalancing", params))
	if resp.Status != http.StatusOK {
		return ""
	}
	m := clientSecretValue.FindSubmatch(resp.Body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// hideClientSecrets removes client secrets from an answer and fills in
// the authenticate actions' defaults.
func hideClientSecrets(body []byte) []byte {
	fill := func(elem *regexp.Regexp, name string) {
		body = elem.ReplaceAllFunc(body, func(config []byte) []byte {
			inner := elem.FindSubmatch(config)[1]
			inner = clientSecretElem.ReplaceAll(inner, nil)
			inner = useExistingElem.ReplaceAll(inner, nil)
			var b strings.Builder
			b.Write(inner)
			for _, d := range authDefaults {
				if !strings.Contains(string(inner), "<"+d.name+">") {
					b.WriteString("<" + d.name + ">" + d.value + "</" + d.name + ">")
				}
			}
			return []byte("<" + name + ">" + b.String() + "</" + name + ">")
		})
	}
	fill(oidcConfigElem, "AuthenticateOidcConfig")
	fill(cognitoConfigElem, "AuthenticateCognitoConfig")
	return body
}
