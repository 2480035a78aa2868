package ingress

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Authentication, as LBC builds it: a backend whose annotations (the
// Ingress's, with its Service's winning when the backend forwards to that
// one Service) say auth-type cognito or oidc gets an authenticate action
// before its own action, on HTTPS listeners only (AWS authenticates on
// HTTPS alone; LBC leaves HTTP listeners' rules without it). LBC parses the
// type, the identity-provider JSON and the session timeout for every
// backend, and the rest only when it builds the action; so does kelb, and
// it checks what AWS would refuse before any call.

// Authentication annotations (LBC's; per backend, the Service's winning).
const (
	AnnAuthType                     = Prefix + "auth-type"
	AnnAuthIDPCognito               = Prefix + "auth-idp-cognito"
	AnnAuthIDPOIDC                  = Prefix + "auth-idp-oidc"
	AnnAuthOnUnauthenticatedRequest = Prefix + "auth-on-unauthenticated-request"
	AnnAuthScope                    = Prefix + "auth-scope"
	AnnAuthSessionCookie            = Prefix + "auth-session-cookie"
	AnnAuthSessionTimeout           = Prefix + "auth-session-timeout"
)

// Auth types.
const (
	AuthNone    = "none"
	AuthCognito = "cognito"
	AuthOIDC    = "oidc"
)

// AWS's limits of the authenticate actions.
const (
	maxAuthExtraParams    = 10
	maxAuthSessionTimeout = 604800
)

// The keys of an OIDC Secret: LBC's, and the older controller's spelling
// of the client id, which LBC still reads.
const (
	SecretKeyClientID       = "clientID"
	SecretKeyClientIDLegacy = "clientId"
	SecretKeyClientSecret   = "clientSecret"
)

var cognitoUserPoolARN = regexp.MustCompile(`^arn:[^:]+:cognito-idp:[^:]+:[0-9]{12}:userpool/.+$`)

// OIDCClient is what the builder needs of an OIDC Secret (gathered by the
// controller with ClientFromSecret): never logged, never in an error.
type OIDCClient struct {
	ClientID     string
	ClientSecret model.Secret
	// Fingerprint is model.OIDCClientFingerprint of both, keyed by the
	// Secret's UID.
	Fingerprint string
	// Missing are the keys the Secret lacks.
	Missing []string
}

// ClientFromSecret reads an OIDC Secret as LBC does: clientID (or the
// older clientId), right-trimmed of white space, and clientSecret as it is.
func ClientFromSecret(s *corev1.Secret) OIDCClient {
	var c OIDCClient
	id, ok := s.Data[SecretKeyClientID]
	if !ok {
		id, ok = s.Data[SecretKeyClientIDLegacy]
	}
	if !ok {
		c.Missing = append(c.Missing, SecretKeyClientID)
	}
	secret, ok := s.Data[SecretKeyClientSecret]
	if !ok {
		c.Missing = append(c.Missing, SecretKeyClientSecret)
	}
	c.ClientID = strings.TrimRightFunc(string(id), unicode.IsSpace)
	c.ClientSecret = model.Secret(secret)
	c.Fingerprint = model.OIDCClientFingerprint(string(s.UID), c.ClientID, c.ClientSecret)
	return c
}

// cognitoIDP and oidcIDP are the JSON of auth-idp-cognito and
// auth-idp-oidc (Go's decoder matches names without regard to case, as
// LBC's).
type cognitoIDP struct {
	UserPoolARN                      string            `json:"userPoolARN"`
	UserPoolClientID                 string            `json:"userPoolClientID"`
	UserPoolDomain                   string            `json:"userPoolDomain"`
	AuthenticationRequestExtraParams map[string]string `json:"authenticationRequestExtraParams"`
}

type oidcIDP struct {
	Issuer                           string            `json:"issuer"`
	AuthorizationEndpoint            string            `json:"authorizationEndpoint"`
	TokenEndpoint                    string            `json:"tokenEndpoint"`
	UserInfoEndpoint                 string            `json:"userInfoEndpoint"`
	SecretName                       string            `json:"secretName"`
	AuthenticationRequestExtraParams map[string]string `json:"authenticationRequestExtraParams"`
}

// authConfig is one backend's authentication, parsed; nil when none.
type authConfig struct {
	typ     string
	a       service.Annotations
	cognito *cognitoIDP
	oidc    *oidcIDP
	timeout int64
}

// readAuth parses what LBC parses for every backend: the type, the
// identity providers' JSON and the session timeout.
func readAuth(a service.Annotations) (*authConfig, error) {
	typ, err := a.Enum(AnnAuthType, AuthNone, AuthNone, AuthCognito, AuthOIDC)
	if err != nil {
		return nil, err
	}
	cfg := &authConfig{typ: typ, a: a, timeout: model.AuthDefaultSessionTimeout}
	if raw, ok := a.Value(AnnAuthIDPCognito); ok {
		cfg.cognito = &cognitoIDP{}
		if err := json.Unmarshal([]byte(raw), cfg.cognito); err != nil {
			return nil, &AnnotationError{Annotation: AnnAuthIDPCognito, Value: raw,
				Allowed: `a JSON object {"userPoolARN": ..., "userPoolClientID": ..., "userPoolDomain": ...}`}
		}
	}
	if raw, ok := a.Value(AnnAuthIDPOIDC); ok {
		cfg.oidc = &oidcIDP{}
		if err := json.Unmarshal([]byte(raw), cfg.oidc); err != nil {
			return nil, &AnnotationError{Annotation: AnnAuthIDPOIDC, Value: raw,
				Allowed: `a JSON object {"issuer": ..., "authorizationEndpoint": ..., "tokenEndpoint": ..., ` +
					`"userInfoEndpoint": ..., "secretName": ...}`}
		}
	}
	if raw, ok := a.Value(AnnAuthSessionTimeout); ok {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 || n > maxAuthSessionTimeout {
			return nil, &AnnotationError{Annotation: AnnAuthSessionTimeout, Value: raw,
				Allowed: fmt.Sprintf("a whole number of seconds from 1 to %d", maxAuthSessionTimeout)}
		}
		cfg.timeout = n
	}
	if typ == AuthNone {
		return nil, nil
	}
	return cfg, nil
}

// authOf is the authentication of a backend of member m: the Ingress's
// annotations, with the Service's winning when the backend forwards to
// exactly one Service (a plain Service backend, or a custom forward action
// with one target group named by Service), as LBC merges them.
func authOf(m member, be networkingv1.IngressBackend) (*authConfig, error) {
	a := service.Annotations(m.ing.Annotations)
	if svc := m.services[singleServiceOf(m.ing, be)]; svc != nil {
		a = backendAnnotations(m.ing, svc)
	}
	return readAuth(a)
}

// singleServiceOf names the one Service a backend forwards all its traffic
// to, or "".
func singleServiceOf(ing *networkingv1.Ingress, be networkingv1.IngressBackend) string {
	if be.Service == nil {
		return ""
	}
	if be.Service.Port.Name != useAnnotationPortName {
		return be.Service.Name
	}
	var cfg actionConfig
	if json.Unmarshal([]byte(ing.Annotations[AnnActionsPrefix+be.Service.Name]), &cfg) != nil ||
		cfg.Type != model.ActionForward || cfg.ForwardConfig == nil || len(cfg.ForwardConfig.TargetGroups) != 1 {
		return ""
	}
	if name := cfg.ForwardConfig.TargetGroups[0].ServiceName; name != nil {
		return *name
	}
	return ""
}

// authAction builds the authenticate action of an HTTPS rule or default,
// checking what AWS would refuse; clients are the member's OIDC Secrets by
// name.
func (cfg *authConfig) authAction(namespace string, clients map[string]OIDCClient) (model.Action, error) {
	common, err := cfg.common()
	if err != nil {
		return model.Action{}, err
	}
	switch cfg.typ {
	case AuthCognito:
		idp := cfg.cognito
		if idp == nil {
			return model.Action{}, &AnnotationError{Annotation: AnnAuthIDPCognito, Value: "",
				Allowed: "the user pool of auth-type cognito: " +
					`{"userPoolARN": ..., "userPoolClientID": ..., "userPoolDomain": ...}`}
		}
		if !cognitoUserPoolARN.MatchString(idp.UserPoolARN) {
			return model.Action{}, configError(AnnAuthIDPCognito, "userPoolARN", idp.UserPoolARN,
				"a Cognito user pool ARN (arn:<partition>:cognito-idp:<region>:<account>:userpool/<id>)")
		}
		if idp.UserPoolClientID == "" {
			return model.Action{}, configError(AnnAuthIDPCognito, "userPoolClientID", "", "the user pool client's id")
		}
		if idp.UserPoolDomain == "" {
			return model.Action{}, configError(AnnAuthIDPCognito, "userPoolDomain", "",
				"the user pool's domain prefix or fully qualified domain name")
		}
		if err := checkExtraParams(AnnAuthIDPCognito, idp.AuthenticationRequestExtraParams); err != nil {
			return model.Action{}, err
		}
		common.ExtraParams = maps.Clone(idp.AuthenticationRequestExtraParams)
		return model.Action{Type: model.ActionAuthenticateCognito, AuthenticateCognito: &model.AuthenticateCognitoAction{
			UserPoolARN: idp.UserPoolARN, UserPoolClientID: idp.UserPoolClientID, UserPoolDomain: idp.UserPoolDomain,
			Authentication: common}}, nil
	case AuthOIDC:
		idp := cfg.oidc
		if idp == nil {
			return model.Action{}, &AnnotationError{Annotation: AnnAuthIDPOIDC, Value: "",
				Allowed: "the identity provider of auth-type oidc: " +
					`{"issuer": ..., "authorizationEndpoint": ..., "tokenEndpoint": ..., "userInfoEndpoint": ..., "secretName": ...}`}
		}
		for _, e := range []struct{ path, value string }{{"issuer", idp.Issuer},
			{"authorizationEndpoint", idp.AuthorizationEndpoint}, {"tokenEndpoint", idp.TokenEndpoint},
			{"userInfoEndpoint", idp.UserInfoEndpoint}} {
			if u, err := url.Parse(e.value); err != nil || u.Scheme != "https" || u.Host == "" {
				return model.Action{}, configError(AnnAuthIDPOIDC, e.path, e.value,
					"a full https:// URL of the identity provider")
			}
		}
		if err := checkExtraParams(AnnAuthIDPOIDC, idp.AuthenticationRequestExtraParams); err != nil {
			return model.Action{}, err
		}
		if idp.SecretName == "" {
			return model.Action{}, configError(AnnAuthIDPOIDC, "secretName", "",
				"the name of a Secret in namespace "+namespace+" holding clientID and clientSecret")
		}
		client, ok := clients[idp.SecretName]
		if !ok {
			return model.Action{}, &FieldError{Field: AnnAuthIDPOIDC + " (secretName)", Value: idp.SecretName,
				External: true, Allowed: "the name of a Secret in namespace " + namespace +
					" holding clientID and clientSecret (Secret " + namespace + "/" + idp.SecretName + " not found)"}
		}
		if len(client.Missing) > 0 {
			return model.Action{}, &FieldError{Field: AnnAuthIDPOIDC + " (secretName)", Value: idp.SecretName,
				External: true, Allowed: "a Secret holding clientID and clientSecret (Secret " + namespace + "/" +
					idp.SecretName + " has no " + strings.Join(client.Missing, ", no ") + ")"}
		}
		common.ExtraParams = maps.Clone(idp.AuthenticationRequestExtraParams)
		return model.Action{Type: model.ActionAuthenticateOIDC, AuthenticateOIDC: &model.AuthenticateOIDCAction{
			Issuer: idp.Issuer, AuthorizationEndpoint: idp.AuthorizationEndpoint, TokenEndpoint: idp.TokenEndpoint,
			UserInfoEndpoint: idp.UserInfoEndpoint, ClientID: client.ClientID, ClientSecret: client.ClientSecret,
			ClientFingerprint: client.Fingerprint, Authentication: common}}, nil
	}
	return model.Action{}, fmt.Errorf("auth type %q has no action", cfg.typ)
}

// common are the settings both actions share, with LBC's defaults (which
// are AWS's), written out as LBC writes them.
func (cfg *authConfig) common() (model.Authentication, error) {
	on, err := cfg.a.Enum(AnnAuthOnUnauthenticatedRequest, model.AuthDefaultOnUnauthenticated,
		"authenticate", "allow", "deny")
	if err != nil {
		return model.Authentication{}, err
	}
	out := model.Authentication{OnUnauthenticatedRequest: on, SessionTimeout: cfg.timeout,
		Scope: cfg.a.Str(AnnAuthScope, model.AuthDefaultScope), SessionCookieName: cfg.a.Str(AnnAuthSessionCookie,
			model.AuthDefaultSessionCookie)}
	if strings.TrimSpace(out.Scope) == "" {
		return out, &AnnotationError{Annotation: AnnAuthScope, Value: out.Scope,
			Allowed: "the claims to ask the identity provider for, separated by spaces (default openid)"}
	}
	if out.SessionCookieName == "" || strings.ContainsAny(out.SessionCookieName, " ;,=\t") {
		return out, &AnnotationError{Annotation: AnnAuthSessionCookie, Value: out.SessionCookieName,
			Allowed: "a cookie name without spaces, ';', ',' or '=' (default AWSELBAuthSessionCookie)"}
	}
	return out, nil
}

func checkExtraParams(annotation string, params map[string]string) error {
	if len(params) > maxAuthExtraParams {
		return configError(annotation, "authenticationRequestExtraParams", strconv.Itoa(len(params))+" parameters",
			fmt.Sprintf("at most %d parameters", maxAuthExtraParams))
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k == "" {
			return configError(annotation, "authenticationRequestExtraParams", "", "parameter names that are not empty")
		}
	}
	return nil
}

// OIDCSecretNames are the Secrets (in the Ingress's namespace) the
// auth-idp-oidc annotations of the Ingress and of its backend Services
// name, sorted: the controller reads (and watches) them for the build.
// Annotations that do not parse name none: the build refuses them.
func OIDCSecretNames(ing *networkingv1.Ingress, services map[string]*corev1.Service) []string {
	var names []string
	add := func(annotations map[string]string) {
		var idp oidcIDP
		if raw, ok := annotations[AnnAuthIDPOIDC]; ok && json.Unmarshal([]byte(raw), &idp) == nil && idp.SecretName != "" {
			names = append(names, idp.SecretName)
		}
	}
	add(ing.Annotations)
	for _, svc := range services {
		add(svc.Annotations)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// AuthSkippedOnHTTP says, for the Warning event kelb adds where LBC is
// silent, on which HTTP listener ports the Ingress's authentication is not
// applied: AWS authenticates on HTTPS listeners only. Empty when the
// Ingress asks for no authentication or its HTTP listeners only redirect.
func AuthSkippedOnHTTP(cfg Config, ing *networkingv1.Ingress, class Class,
	services map[string]*corev1.Service) []int32 {
	asked := false
	for _, annotations := range append([]map[string]string{ing.Annotations}, serviceAnnotations(services)...) {
		if t := annotations[AnnAuthType]; t == AuthCognito || t == AuthOIDC {
			asked = true
		}
	}
	if !asked {
		return nil
	}
	ls, err := readListenerSettings(cfg, service.Annotations(ing.Annotations), class.Params)
	if err != nil || ls.sslRedirect != 0 {
		return nil
	}
	var out []int32
	for _, port := range slices.Sorted(maps.Keys(ls.ports)) {
		if ls.ports[port] == ProtocolHTTP {
			out = append(out, port)
		}
	}
	return out
}

func serviceAnnotations(services map[string]*corev1.Service) []map[string]string {
	var out []map[string]string
	for _, name := range slices.Sorted(maps.Keys(services)) {
		out = append(out, services[name].Annotations)
	}
	return out
}

// httpsAuth is the authenticate action of a backend of member m when one
// of its listeners is HTTPS (nil when it asks for none). The parse errors
// LBC finds for any listener are errors whatever the listeners.
func (b *builder) httpsAuth(m member, be networkingv1.IngressBackend) (*model.Action, error) {
	cfg, err := authOf(m, be)
	if err != nil || cfg == nil {
		return nil, err
	}
	https := false
	for port, protocol := range b.listeners.ports {
		if protocol == ProtocolHTTPS && (m.ports == nil || m.ports[port] != "") {
			https = true
		}
	}
	if !https {
		return nil, nil
	}
	a, err := cfg.authAction(m.ing.Namespace, m.oidc)
	if err != nil {
		return nil, err
	}
	return &a, nil
}
