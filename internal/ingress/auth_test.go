package ingress

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kelb-dev/kelb/internal/model"
)

const (
	userPoolARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"
	cognitoJSON = `{"userPoolARN":"` + userPoolARN + `","userPoolClientID":"client","userPoolDomain":"login"}`
	oidcJSON    = `{"issuer":"https://idp.example.com","authorizationEndpoint":"https://idp.example.com/auth",` +
		`"tokenEndpoint":"https://idp.example.com/token","userInfoEndpoint":"https://idp.example.com/userinfo",` +
		`"secretName":"oidc","authenticationRequestExtraParams":{"prompt":"login"}}`
)

var bothPorts = map[string]string{AnnListenPorts: `[{"HTTP": 80}, {"HTTPS": 443}]`, AnnCertificateARN: certDefault}

func oidcClient() OIDCClient {
	return OIDCClient{ClientID: "id", ClientSecret: "s3cr3t", Fingerprint: "fp"}
}

// buildAuth builds shop/web (one rule to Service web, listening on HTTP:80
// and HTTPS:443) with the annotations, the web Service's annotations and
// the OIDC Secrets given.
func buildAuth(ann, svcAnn map[string]string, clients map[string]OIDCClient,
	extra ...func(*networkingv1.Ingress)) (*model.ApplicationStack, error) {
	ing := minimalIngress()
	for _, m := range []map[string]string{bothPorts, ann} {
		for k, v := range m {
			ing.Annotations[k] = v
		}
	}
	for _, f := range extra {
		f(ing)
	}
	services := testServices()
	services["web"].Annotations = svcAnn
	return Build(testConfig(), Input{Ingress: ing, Services: services, OIDCClients: clients,
		Facts: Facts{Subnets: []string{"subnet-a", "subnet-b"}, CertificateStatuses: issued(certDefault)}})
}

func cognitoAction(mutate func(*model.AuthenticateCognitoAction)) model.Action {
	a := &model.AuthenticateCognitoAction{UserPoolARN: userPoolARN, UserPoolClientID: "client", UserPoolDomain: "login",
		Authentication: model.Authentication{OnUnauthenticatedRequest: "authenticate", Scope: "openid",
			SessionCookieName: "AWSELBAuthSessionCookie", SessionTimeout: 604800}}
	if mutate != nil {
		mutate(a)
	}
	return model.Action{Type: model.ActionAuthenticateCognito, AuthenticateCognito: a}
}

func oidcAction() model.Action {
	return model.Action{Type: model.ActionAuthenticateOIDC, AuthenticateOIDC: &model.AuthenticateOIDCAction{
		Issuer: "https://idp.example.com", AuthorizationEndpoint: "https://idp.example.com/auth",
		TokenEndpoint: "https://idp.example.com/token", UserInfoEndpoint: "https://idp.example.com/userinfo",
		ClientID: "id", ClientSecret: "s3cr3t", ClientFingerprint: "fp",
		Authentication: model.Authentication{ExtraParams: map[string]string{"prompt": "login"},
			OnUnauthenticatedRequest: "authenticate", Scope: "openid", SessionCookieName: "AWSELBAuthSessionCookie",
			SessionTimeout: 604800}}}
}

// TestAuthActions: the authenticate action goes first on HTTPS listeners'
// rules (and the defaultBackend's default action), never on HTTP ones, with
// LBC's defaults written out; the Service's annotations win.
func TestAuthActions(t *testing.T) {
	forward := model.ForwardTo(tgWeb)
	tests := []struct {
		name       string
		ann        map[string]string
		svcAnn     map[string]string
		extra      func(*networkingv1.Ingress)
		http       []model.Action // port 80's rule
		https      []model.Action // port 443's rule
		default443 []model.Action
	}{
		{name: "none", ann: map[string]string{AnnAuthType: "none", AnnAuthIDPCognito: cognitoJSON},
			http: []model.Action{forward}, https: []model.Action{forward}, default443: []model.Action{notFound()}},
		{name: "cognito with LBC's defaults", ann: map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON},
			http: []model.Action{forward}, https: []model.Action{cognitoAction(nil), forward},
			default443: []model.Action{notFound()}},
		{name: "cognito settings as written",
			ann: map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON,
				AnnAuthOnUnauthenticatedRequest: "deny", AnnAuthScope: "openid email", AnnAuthSessionCookie: "my-cookie",
				AnnAuthSessionTimeout: "3600"},
			http: []model.Action{forward}, https: []model.Action{cognitoAction(func(a *model.AuthenticateCognitoAction) {
				a.OnUnauthenticatedRequest, a.Scope, a.SessionCookieName, a.SessionTimeout = "deny", "openid email", "my-cookie", 3600
			}), forward}, default443: []model.Action{notFound()}},
		{name: "oidc with the Secret's client", ann: map[string]string{AnnAuthType: "oidc", AnnAuthIDPOIDC: oidcJSON},
			http: []model.Action{forward}, https: []model.Action{oidcAction(), forward},
			default443: []model.Action{notFound()}},
		{name: "the Service's annotations win over the Ingress's",
			ann:    map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON},
			svcAnn: map[string]string{AnnAuthType: "oidc", AnnAuthIDPOIDC: oidcJSON},
			http:   []model.Action{forward}, https: []model.Action{oidcAction(), forward},
			default443: []model.Action{notFound()}},
		{name: "the Service turns it off for its backend",
			ann:    map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON},
			svcAnn: map[string]string{AnnAuthType: "none"},
			http:   []model.Action{forward}, https: []model.Action{forward}, default443: []model.Action{notFound()}},
		{name: "the defaultBackend's default action authenticates on HTTPS",
			ann: map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON},
			extra: func(ing *networkingv1.Ingress) {
				be := backend("web", 80)
				ing.Spec.DefaultBackend = &be
			},
			http: []model.Action{forward}, https: []model.Action{cognitoAction(nil), forward},
			default443: []model.Action{cognitoAction(nil), forward}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra []func(*networkingv1.Ingress)
			if tt.extra != nil {
				extra = append(extra, tt.extra)
			}
			stack, err := buildAuth(tt.ann, tt.svcAnn, map[string]OIDCClient{"oidc": oidcClient()}, extra...)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int32][]model.Action{}
			var default443 []model.Action
			for _, r := range stack.Routing {
				got[r.Port] = r.Rules[0].Actions
				if r.Port == 443 {
					default443 = r.DefaultActions
				}
			}
			if diff := cmp.Diff(map[int32][]model.Action{80: tt.http, 443: tt.https}, got); diff != "" {
				t.Errorf("rule actions by port (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.default443, default443); diff != "" {
				t.Errorf("default actions of 443 (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthRefused: what LBC or AWS would refuse is refused before any
// call, naming the annotation and what is allowed; a missing Secret or key
// is the outside world's to fix (External) and never shows the secret.
func TestAuthRefused(t *testing.T) {
	withOIDC := func(json string) map[string]string {
		return map[string]string{AnnAuthType: "oidc", AnnAuthIDPOIDC: json}
	}
	tests := []struct {
		name     string
		ann      map[string]string
		clients  map[string]OIDCClient
		httpOnly bool
		want     error
	}{
		{name: "unknown type", ann: map[string]string{AnnAuthType: "basic"},
			want: &AnnotationError{Annotation: AnnAuthType, Value: "basic", Allowed: "none, cognito, oidc"}},
		{name: "unknown type on HTTP alone (LBC parses it for every backend)", httpOnly: true,
			ann:  map[string]string{AnnAuthType: "Cognito"},
			want: &AnnotationError{Annotation: AnnAuthType, Value: "Cognito", Allowed: "none, cognito, oidc"}},
		{name: "bad JSON", ann: map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: `{"userPoolARN":`},
			want: &AnnotationError{Annotation: AnnAuthIDPCognito, Value: `{"userPoolARN":`,
				Allowed: `a JSON object {"userPoolARN": ..., "userPoolClientID": ..., "userPoolDomain": ...}`}},
		{name: "timeout out of range", ann: map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON,
			AnnAuthSessionTimeout: "604801"},
			want: &AnnotationError{Annotation: AnnAuthSessionTimeout, Value: "604801",
				Allowed: "a whole number of seconds from 1 to 604800"}},
		{name: "bad on-unauthenticated-request", ann: map[string]string{AnnAuthType: "cognito",
			AnnAuthIDPCognito: cognitoJSON, AnnAuthOnUnauthenticatedRequest: "redirect"},
			want: &AnnotationError{Annotation: AnnAuthOnUnauthenticatedRequest, Value: "redirect",
				Allowed: "authenticate, allow, deny"}},
		{name: "cognito without its user pool", ann: map[string]string{AnnAuthType: "cognito"},
			want: &AnnotationError{Annotation: AnnAuthIDPCognito, Value: "", Allowed: "the user pool of auth-type cognito: " +
				`{"userPoolARN": ..., "userPoolClientID": ..., "userPoolDomain": ...}`}},
		{name: "cognito without its user pool is fine on HTTP alone (LBC builds no action there)", httpOnly: true,
			ann: map[string]string{AnnAuthType: "cognito"}},
		{name: "user pool ARN", ann: map[string]string{AnnAuthType: "cognito",
			AnnAuthIDPCognito: `{"userPoolARN":"pool","userPoolClientID":"c","userPoolDomain":"d"}`},
			want: &FieldError{Field: AnnAuthIDPCognito + " (userPoolARN)", Value: "pool",
				Allowed: "a Cognito user pool ARN (arn:<partition>:cognito-idp:<region>:<account>:userpool/<id>)"}},
		{name: "too many extra parameters", ann: map[string]string{AnnAuthType: "cognito",
			AnnAuthIDPCognito: `{"userPoolARN":"` + userPoolARN + `","userPoolClientID":"c","userPoolDomain":"d",` +
				`"authenticationRequestExtraParams":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1","g":"1","h":"1",` +
				`"i":"1","j":"1","k":"1"}}`},
			want: &FieldError{Field: AnnAuthIDPCognito + " (authenticationRequestExtraParams)", Value: "11 parameters",
				Allowed: "at most 10 parameters"}},
		{name: "OIDC endpoint not https", ann: withOIDC(`{"issuer":"http://idp","authorizationEndpoint":"https://idp/a",` +
			`"tokenEndpoint":"https://idp/t","userInfoEndpoint":"https://idp/u","secretName":"oidc"}`),
			want: &FieldError{Field: AnnAuthIDPOIDC + " (issuer)", Value: "http://idp",
				Allowed: "a full https:// URL of the identity provider"}},
		{name: "no secretName", ann: withOIDC(`{"issuer":"https://idp","authorizationEndpoint":"https://idp/a",` +
			`"tokenEndpoint":"https://idp/t","userInfoEndpoint":"https://idp/u"}`),
			want: &FieldError{Field: AnnAuthIDPOIDC + " (secretName)",
				Allowed: "the name of a Secret in namespace shop holding clientID and clientSecret"}},
		{name: "the Secret is missing", ann: withOIDC(oidcJSON),
			want: &FieldError{Field: AnnAuthIDPOIDC + " (secretName)", Value: "oidc", External: true,
				Allowed: "the name of a Secret in namespace shop holding clientID and clientSecret (Secret shop/oidc not found)"}},
		{name: "the Secret lacks a key", ann: withOIDC(oidcJSON),
			clients: map[string]OIDCClient{"oidc": {ClientID: "id", Missing: []string{SecretKeyClientSecret}}},
			want: &FieldError{Field: AnnAuthIDPOIDC + " (secretName)", Value: "oidc", External: true,
				Allowed: "a Secret holding clientID and clientSecret (Secret shop/oidc has no clientSecret)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra []func(*networkingv1.Ingress)
			if tt.httpOnly {
				extra = append(extra, func(ing *networkingv1.Ingress) {
					ing.Annotations[AnnListenPorts] = `[{"HTTP": 80}]`
					delete(ing.Annotations, AnnCertificateARN)
				})
			}
			_, err := buildAuth(tt.ann, nil, tt.clients, extra...)
			if diff := cmp.Diff(fmt.Sprint(tt.want), fmt.Sprint(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if err != nil && containsSecret(err.Error()) {
				t.Errorf("error %q shows the client secret", err)
			}
		})
	}
}

func containsSecret(s string) bool { return strings.Contains(s, "s3cr3t") }

// TestClientFromSecret: LBC's keys (clientID, else the older clientId,
// right-trimmed), the missing ones named, and a fingerprint that changes
// with the secret and with the Secret object, never showing either.
func TestClientFromSecret(t *testing.T) {
	secret := func(uid string, data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{UID: types.UID("uid-" + uid)}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	tests := []struct {
		name string
		s    *corev1.Secret
		want OIDCClient
	}{
		{"LBC's keys", secret("1", map[string]string{"clientID": "id\n", "clientSecret": "s3cr3t\n"}),
			OIDCClient{ClientID: "id", ClientSecret: "s3cr3t\n"}},
		{"the older controller's clientId", secret("1", map[string]string{"clientId": "id", "clientSecret": "x"}),
			OIDCClient{ClientID: "id", ClientSecret: "x"}},
		{"missing keys", secret("1", nil),
			OIDCClient{Missing: []string{SecretKeyClientID, SecretKeyClientSecret}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClientFromSecret(tt.s)
			if got.Fingerprint == "" || containsSecret(got.Fingerprint) {
				t.Errorf("fingerprint %q", got.Fingerprint)
			}
			got.Fingerprint = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("client (-want +got):\n%s", diff)
			}
		})
	}
	a := ClientFromSecret(secret("1", map[string]string{"clientID": "id", "clientSecret": "s3cr3t"}))
	b := ClientFromSecret(secret("1", map[string]string{"clientID": "id", "clientSecret": "two"}))
	c := ClientFromSecret(secret("2", map[string]string{"clientID": "id", "clientSecret": "s3cr3t"}))
	if a.Fingerprint == b.Fingerprint || a.Fingerprint == c.Fingerprint {
		t.Errorf("fingerprints %s %s %s: want all different", a.Fingerprint, b.Fingerprint, c.Fingerprint)
	}
	if s := fmt.Sprintf("%v %+v", a, a); containsSecret(s) || containsSecret(fmt.Sprintf("%#v", a)) {
		t.Errorf("printing the client shows its secret: %s", s)
	}
}

// TestAuthSkippedOnHTTP: the ports where kelb's Warning says LBC's
// silent skip happens.
func TestAuthSkippedOnHTTP(t *testing.T) {
	ing := func(ann map[string]string) *networkingv1.Ingress {
		i := minimalIngress()
		for k, v := range ann {
			i.Annotations[k] = v
		}
		return i
	}
	tests := []struct {
		name string
		ing  *networkingv1.Ingress
		svc  map[string]string
		want []int32
	}{
		{"no authentication", ing(bothPorts), nil, nil},
		{"HTTP and HTTPS", ing(map[string]string{AnnListenPorts: `[{"HTTP": 80}, {"HTTPS": 443}]`,
			AnnAuthType: "cognito"}), nil, []int32{80}},
		{"asked on the Service", ing(map[string]string{}), map[string]string{AnnAuthType: "oidc"}, []int32{80}},
		{"HTTP only redirects", ing(map[string]string{AnnListenPorts: `[{"HTTP": 80}, {"HTTPS": 443}]`,
			AnnSSLRedirect: "443", AnnAuthType: "cognito"}), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			services := testServices()
			services["web"].Annotations = tt.svc
			if diff := cmp.Diff(tt.want, AuthSkippedOnHTTP(testConfig(), tt.ing, Class{}, services)); diff != "" {
				t.Errorf("ports (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildGroupAuth: authentication is per member: each member's rules
// carry its own, and a member whose OIDC Secret is missing is left out
// (its rules in AWS kept) while the others are built.
func TestBuildGroupAuth(t *testing.T) {
	https := map[string]string{AnnListenPorts: `[{"HTTPS": 443}]`, AnnCertificateARN: certDefault}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range []map[string]string{https, extra} {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	one := groupMember("a", "one", "/one", 0, with(map[string]string{AnnAuthType: "cognito", AnnAuthIDPCognito: cognitoJSON}))
	two := groupMember("b", "two", "/two", 1, with(map[string]string{AnnAuthType: "oidc", AnnAuthIDPOIDC: oidcJSON}))
	three := groupMember("c", "three", "/three", 2, with(nil))
	four := groupMember("d", "four", "/four", 3, with(map[string]string{AnnAuthType: "oidc", AnnAuthIDPOIDC: oidcJSON}))
	four.OIDCClients = map[string]OIDCClient{"oidc": oidcClient()}
	res, err := BuildGroup(testConfig(), GroupInput{Name: "team-a", Members: []GroupMember{one, two, three, four},
		Facts: Facts{Subnets: []string{"subnet-a", "subnet-b"}, CertificateStatuses: issued(certDefault)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Stack.Routing {
		for _, rule := range r.Rules {
			if rule.KeptMember != "" {
				got = append(got, fmt.Sprintf("%d kept %s", rule.Priority, rule.KeptMember))
				continue
			}
			var types []string
			for _, a := range rule.Actions {
				types = append(types, a.Type)
			}
			got = append(got, fmt.Sprintf("%d %s", rule.Priority, strings.Join(types, ", ")))
		}
	}
	want := []string{"1 authenticate-cognito, forward", "2 kept b/two", "3 forward", "4 authenticate-oidc, forward"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules of 443 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b/two: invalid"}, excludedSummary(res.Excluded)); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
}
