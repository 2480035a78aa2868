package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// oidcRules is one listener's rules as AWS holds them (never echoing a
// client secret), with their tags; it records the calls.
type oidcRules struct {
	taggedListeners
	rules   []elbtypes.Rule
	secrets []string // the client secrets written
}

func (f *oidcRules) DescribeRules(_ context.Context, _ *elbv2.DescribeRulesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error) {
	f.calls = append(f.calls, "DescribeRules")
	return &elbv2.DescribeRulesOutput{Rules: f.rules}, nil
}

func (f *oidcRules) ModifyRule(_ context.Context, in *elbv2.ModifyRuleInput, _ ...func(*elbv2.Options)) (*elbv2.ModifyRuleOutput, error) {
	f.calls = append(f.calls, "ModifyRule")
	f.recordSecrets(in.Actions)
	return &elbv2.ModifyRuleOutput{}, nil
}

func (f *oidcRules) CreateRule(_ context.Context, in *elbv2.CreateRuleInput, _ ...func(*elbv2.Options)) (*elbv2.CreateRuleOutput, error) {
	f.calls = append(f.calls, "CreateRule")
	f.recordSecrets(in.Actions)
	arn := fmt.Sprintf("arn:rule/%d", aws.ToInt32(in.Priority))
	f.tags[arn] = map[string]string{}
	for _, t := range in.Tags {
		f.tags[arn][aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &elbv2.CreateRuleOutput{Rules: []elbtypes.Rule{{RuleArn: aws.String(arn)}}}, nil
}

func (f *oidcRules) recordSecrets(actions []elbtypes.Action) {
	for _, a := range actions {
		if a.AuthenticateOidcConfig != nil {
			f.secrets = append(f.secrets, aws.ToString(a.AuthenticateOidcConfig.ClientSecret))
		}
	}
}

func wantedOIDC(secret, fingerprint string) model.Action {
	return model.Action{Type: model.ActionAuthenticateOIDC, AuthenticateOIDC: &model.AuthenticateOIDCAction{
		Issuer: "https://idp", AuthorizationEndpoint: "https://idp/auth", TokenEndpoint: "https://idp/token",
		UserInfoEndpoint: "https://idp/userinfo", ClientID: "id", ClientSecret: model.Secret(secret),
		ClientFingerprint: fingerprint, Authentication: model.Authentication{OnUnauthenticatedRequest: "authenticate",
			Scope: "openid", SessionCookieName: "AWSELBAuthSessionCookie", SessionTimeout: 604800}}}
}

// lbcOIDCRule is the rule as LBC made it and AWS describes it: no client
// secret, defaults filled in, the forward in both forms.
func lbcOIDCRule() elbtypes.Rule {
	return elbtypes.Rule{RuleArn: aws.String("arn:rule/1"), Priority: aws.String("1"),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"},
			PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/*"}}}},
		Actions: []elbtypes.Action{
			{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(2), TargetGroupArn: aws.String("arn:tg/web"),
				ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
					{TargetGroupArn: aws.String("arn:tg/web"), Weight: aws.Int32(1)}}}},
			{Type: elbtypes.ActionTypeEnumAuthenticateOidc, Order: aws.Int32(1),
				AuthenticateOidcConfig: &elbtypes.AuthenticateOidcActionConfig{Issuer: aws.String("https://idp"),
					AuthorizationEndpoint: aws.String("https://idp/auth"), TokenEndpoint: aws.String("https://idp/token"),
					UserInfoEndpoint: aws.String("https://idp/userinfo"), ClientId: aws.String("id"),
					OnUnauthenticatedRequest: "authenticate", Scope: aws.String("openid"),
					SessionCookieName: aws.String("AWSELBAuthSessionCookie"), SessionTimeout: aws.Int64(604800)}}}}
}

// TestOIDCRuleClient: an OIDC rule is compared without its client secret
// (AWS never returns it): LBC's rule without kelb's tag is taken as it is
// (no write, then or later), a tagged one is written again only when the
// Secret's fingerprint changed, and the write carries the secret and
// then the new tag.
func TestOIDCRuleClient(t *testing.T) {
	tests := []struct {
		name        string
		have        []elbtypes.Rule
		tags        map[string]string
		fingerprint string
		calls       []string
		secrets     []string
		tagThen     string
	}{
		{name: "LBC's rule, untagged: taken as it is", have: []elbtypes.Rule{lbcOIDCRule()}, fingerprint: "fp1",
			calls: []string{"DescribeRules", "DescribeTags"}},
		{name: "kelb's rule, same client", have: []elbtypes.Rule{lbcOIDCRule()},
			tags: map[string]string{model.TagOIDCClient: "fp1"}, fingerprint: "fp1",
			calls: []string{"DescribeRules", "DescribeTags"}, tagThen: "fp1"},
		{name: "the Secret changed: modified, then tagged", have: []elbtypes.Rule{lbcOIDCRule()},
			tags: map[string]string{model.TagOIDCClient: "fp0"}, fingerprint: "fp1",
			calls: []string{"DescribeRules", "DescribeTags", "ModifyRule", "AddTags"}, secrets: []string{"new"},
			tagThen: "fp1"},
		{name: "a new rule is created with its secret and tag", fingerprint: "fp1",
			calls: []string{"DescribeRules", "CreateRule"}, secrets: []string{"new"}, tagThen: "fp1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &oidcRules{taggedListeners: taggedListeners{tags: map[string]map[string]string{}}, rules: tt.have}
			if tt.tags != nil {
				f.tags["arn:rule/1"] = tt.tags
			}
			d := New(Deps{Config: Config{ClusterName: "prod"}, ELBV2: f})
			l := &ListenerState{ARN: "arn:listener/443", Port: 443, Protocol: "HTTPS"}
			want := []model.ListenerRule{{Priority: 1,
				Conditions: []model.RuleCondition{{Field: model.ConditionPathPattern, PathPattern: []string{"/*"}}},
				Actions:    []model.Action{wantedOIDC("new", tt.fingerprint), model.ForwardTo("ns/web:80")}}}
			tgs := map[string]string{"ns/web:80": "arn:tg/web"}
			if _, _, err := d.ensureListenerRules(t.Context(), &LoadBalancerState{Name: "lb"}, l, want, tgs, nil, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.calls, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.secrets, f.secrets); diff != "" {
				t.Errorf("client secrets written (-want +got):\n%s", diff)
			}
			if got := f.tags["arn:rule/1"][model.TagOIDCClient]; got != tt.tagThen {
				t.Errorf("tag %s = %q, want %q", model.TagOIDCClient, got, tt.tagThen)
			}
			// Converged: the next deploy makes no call at all, the
			// adopted rule included.
			f.calls = nil
			if _, _, err := d.ensureListenerRules(t.Context(), &LoadBalancerState{Name: "lb"}, l, want, tgs, nil, nil); err != nil {
				t.Fatal(err)
			}
			if len(f.calls) != 0 {
				t.Errorf("a second deploy called %v", f.calls)
			}
			// A Secret change after adoption is written at once.
			f.calls = nil
			want[0].Actions[0] = wantedOIDC("newer", "fp2")
			if _, _, err := d.ensureListenerRules(t.Context(), &LoadBalancerState{Name: "lb"}, l, want, tgs, nil, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"ModifyRule", "AddTags"}, f.calls); diff != "" {
				t.Errorf("calls after the Secret changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthMeaning: what kelb sends for an authenticate action and what
// AWS answers have one meaning (secret aside, AWS's defaults filled in);
// any setting that authenticates differently has another.
func TestAuthMeaning(t *testing.T) {
	sent := func(a model.Action) string {
		t.Helper()
		actions, err := sdkActions([]model.Action{a}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return canonicalActions(actions)
	}
	base := sent(wantedOIDC("one", "fp"))
	echoed := canonicalActions(lbcOIDCRule().Actions[1:])
	bare := lbcOIDCRule().Actions[1]
	bare.AuthenticateOidcConfig.Scope, bare.AuthenticateOidcConfig.SessionCookieName = nil, nil
	bare.AuthenticateOidcConfig.SessionTimeout, bare.AuthenticateOidcConfig.OnUnauthenticatedRequest = nil, ""
	other := func(mutate func(*model.AuthenticateOIDCAction)) string {
		a := wantedOIDC("one", "fp")
		mutate(a.AuthenticateOIDC)
		return sent(a)
	}
	cognito := model.Action{Type: model.ActionAuthenticateCognito, AuthenticateCognito: &model.AuthenticateCognitoAction{
		UserPoolARN: "arn:pool", UserPoolClientID: "c", UserPoolDomain: "d"}}
	got := map[string]bool{
		"AWS's echo":                    echoed == base,
		"AWS's defaults left out":       canonicalActions([]elbtypes.Action{bare}) == base,
		"another secret":                sent(wantedOIDC("two", "fp2")) == base,
		"another client id":             other(func(o *model.AuthenticateOIDCAction) { o.ClientID = "x" }) == base,
		"another scope":                 other(func(o *model.AuthenticateOIDCAction) { o.Scope = "openid email" }) == base,
		"deny":                          other(func(o *model.AuthenticateOIDCAction) { o.OnUnauthenticatedRequest = "deny" }) == base,
		"extra params":                  other(func(o *model.AuthenticateOIDCAction) { o.ExtraParams = map[string]string{"a": "1"} }) == base,
		"cognito written with defaults": sent(cognito) == canonicalActions([]elbtypes.Action{{Type: elbtypes.ActionTypeEnumAuthenticateCognito, AuthenticateCognitoConfig: &elbtypes.AuthenticateCognitoActionConfig{UserPoolArn: aws.String("arn:pool"), UserPoolClientId: aws.String("c"), UserPoolDomain: aws.String("d"), Scope: aws.String("openid")}}}),
	}
	want := map[string]bool{"AWS's echo": true, "AWS's defaults left out": true, "another secret": true,
		"another client id": false, "another scope": false, "deny": false, "extra params": false,
		"cognito written with defaults": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("same meaning as what kelb sends (-want +got):\n%s", diff)
	}
	if strings.Contains(base, "one") {
		t.Errorf("the meaning shows the secret: %s", base)
	}
}

// TestListenerDefaultClient: the OIDC client of a listener's default
// actions (a defaultBackend with authentication) is compared by kelb's
// listener tag: read once when unknown, LBC's untagged listener taken as
// it is, a different fingerprint a mismatch until kelb writes the action
// and then the tag.
func TestListenerDefaultClient(t *testing.T) {
	f := &taggedListeners{tags: map[string]map[string]string{
		"arn:lbc": {"elbv2.k8s.aws/cluster": "prod"},
		"arn:old": {model.TagOIDCClient: "fp0"},
	}}
	d := New(Deps{Config: Config{ClusterName: "prod"}, ELBV2: f})
	stack := svcStack("shop/web")
	st := &StackState{ID: stack, Listeners: []*ListenerState{{ARN: "arn:lbc", Port: 443}, {ARN: "arn:old", Port: 8443}}}
	if err := d.knowListenerClients(t.Context(), st, map[int32]string{443: "fp1", 8443: "fp1"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{
		"LBC's listener":             d.listenerClientMatches(stack, "arn:lbc", "fp1"),
		"LBC's listener, remembered": d.listenerClientMatches(stack, "arn:lbc", "fp1"),
		"LBC's, the Secret changed":  d.listenerClientMatches(stack, "arn:lbc", "fp2"),
		"kelb's, another client":     d.listenerClientMatches(stack, "arn:old", "fp1"),
		"no OIDC default":            d.listenerClientMatches(stack, "arn:old", ""),
	}
	want := map[string]bool{"LBC's listener": true, "LBC's listener, remembered": true,
		"LBC's, the Secret changed": false, "kelb's, another client": false, "no OIDC default": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if err := d.tagListenerClient(t.Context(), stack, "arn:old", "fp1"); err != nil {
		t.Fatal(err)
	}
	if !d.listenerClientMatches(stack, "arn:old", "fp1") || f.tags["arn:old"][model.TagOIDCClient] != "fp1" {
		t.Errorf("after the write: tags %v", f.tags["arn:old"])
	}
	if diff := cmp.Diff([]string{"DescribeTags", "AddTags"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if _, ok := f.tags["arn:lbc"][model.TagOIDCClient]; ok {
		t.Errorf("LBC's listener was tagged: %v", f.tags["arn:lbc"])
	}
}
