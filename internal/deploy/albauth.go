package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// The authenticate actions. AWS never returns an OIDC action's client
// secret (DescribeRules and DescribeListeners leave it out), so the
// secret cannot be compared: an action is compared by everything else,
// and the client (id and secret) by the fingerprint kelb keeps in the
// rule's (or, for default actions, the listener's) model.TagOIDCClient tag
// when it writes the action. A different fingerprint makes kelb write the
// action again with the new secret; a rule without the tag (LBC made it,
// and LBC writes its OIDC rules on every reconcile, so they carry the
// current secret) is taken as it is, with no write, and kelb remembers the
// fingerprint in memory until it reads the rule again.

// sdkAuthenticateCognito is the action's config in the API's form, every
// setting written out, as LBC writes it.
func sdkAuthenticateCognito(c *model.AuthenticateCognitoAction) *elbtypes.AuthenticateCognitoActionConfig {
	return &elbtypes.AuthenticateCognitoActionConfig{UserPoolArn: aws.String(c.UserPoolARN),
		UserPoolClientId: aws.String(c.UserPoolClientID), UserPoolDomain: aws.String(c.UserPoolDomain),
		AuthenticationRequestExtraParams: maps.Clone(c.ExtraParams),
		OnUnauthenticatedRequest:         elbtypes.AuthenticateCognitoActionConditionalBehaviorEnum(c.OnUnauthenticatedRequest),
		Scope:                            optional(c.Scope), SessionCookieName: optional(c.SessionCookieName),
		SessionTimeout: optionalInt64(c.SessionTimeout)}
}

// sdkAuthenticateOIDC is the action's config in the API's form, with the
// client secret (AWS needs it to create the action).
func sdkAuthenticateOIDC(o *model.AuthenticateOIDCAction) *elbtypes.AuthenticateOidcActionConfig {
	return &elbtypes.AuthenticateOidcActionConfig{Issuer: aws.String(o.Issuer),
		AuthorizationEndpoint: aws.String(o.AuthorizationEndpoint), TokenEndpoint: aws.String(o.TokenEndpoint),
		UserInfoEndpoint: aws.String(o.UserInfoEndpoint), ClientId: aws.String(o.ClientID),
		ClientSecret:                     aws.String(string(o.ClientSecret)),
		AuthenticationRequestExtraParams: maps.Clone(o.ExtraParams),
		OnUnauthenticatedRequest:         elbtypes.AuthenticateOidcActionConditionalBehaviorEnum(o.OnUnauthenticatedRequest),
		Scope:                            optional(o.Scope), SessionCookieName: optional(o.SessionCookieName),
		SessionTimeout: optionalInt64(o.SessionTimeout)}
}

func optionalInt64(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return aws.Int64(n)
}

// canonicalAuth is the meaning of the settings both authenticate actions
// share, AWS's defaults filled in (AWS reports them when not given).
func canonicalAuth(params map[string]string, on string, scope, cookie *string, timeout *int64) string {
	if on == "" {
		on = model.AuthDefaultOnUnauthenticated
	}
	or := func(p *string, def string) string {
		if v := aws.ToString(p); v != "" {
			return v
		}
		return def
	}
	t := int64(model.AuthDefaultSessionTimeout)
	if timeout != nil && *timeout > 0 {
		t = *timeout
	}
	var ps []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		ps = append(ps, fmt.Sprintf("%q=%q", k, params[k]))
	}
	return fmt.Sprintf("on=%s scope=%q cookie=%q timeout=%d params=[%s]", on, or(scope, model.AuthDefaultScope),
		or(cookie, model.AuthDefaultSessionCookie), t, strings.Join(ps, ","))
}

// canonicalAuthAction is the meaning of an authenticate action, the client
// secret left out; ok is false for other actions.
func canonicalAuthAction(a elbtypes.Action) (string, bool) {
	switch a.Type {
	case elbtypes.ActionTypeEnumAuthenticateCognito:
		c := a.AuthenticateCognitoConfig
		if c == nil {
			return "authenticate-cognito ?", true
		}
		return fmt.Sprintf("authenticate-cognito pool=%s client=%q domain=%q %s", aws.ToString(c.UserPoolArn),
			aws.ToString(c.UserPoolClientId), aws.ToString(c.UserPoolDomain),
			canonicalAuth(c.AuthenticationRequestExtraParams, string(c.OnUnauthenticatedRequest), c.Scope,
				c.SessionCookieName, c.SessionTimeout)), true
	case elbtypes.ActionTypeEnumAuthenticateOidc:
		o := a.AuthenticateOidcConfig
		if o == nil {
			return "authenticate-oidc ?", true
		}
		return fmt.Sprintf("authenticate-oidc issuer=%q authorization=%q token=%q userinfo=%q client=%q %s",
			aws.ToString(o.Issuer), aws.ToString(o.AuthorizationEndpoint), aws.ToString(o.TokenEndpoint),
			aws.ToString(o.UserInfoEndpoint), aws.ToString(o.ClientId),
			canonicalAuth(o.AuthenticationRequestExtraParams, string(o.OnUnauthenticatedRequest), o.Scope,
				o.SessionCookieName, o.SessionTimeout)), true
	}
	return "", false
}

// oidcClientOf is the fingerprint of the client of the actions' OIDC
// action, "" when they have none.
func oidcClientOf(actions []model.Action) string {
	for _, a := range actions {
		if a.Type == model.ActionAuthenticateOIDC && a.AuthenticateOIDC != nil {
			return a.AuthenticateOIDC.ClientFingerprint
		}
	}
	return ""
}

// hasOIDC reports whether actions as AWS has them authenticate by OIDC.
func hasOIDC(actions []elbtypes.Action) bool {
	return slices.ContainsFunc(actions, func(a elbtypes.Action) bool {
		return a.Type == elbtypes.ActionTypeEnumAuthenticateOidc
	})
}

// withClient adds the OIDC client's fingerprint to a rule's meaning.
func withClient(meaning, client string) string {
	if client == "" {
		return meaning
	}
	return meaning + " client=" + client
}

// clientTag is the tag that records the OIDC client kelb wrote.
func clientTag(client string) map[string]string {
	if client == "" {
		return nil
	}
	return map[string]string{model.TagOIDCClient: client}
}

// adoptClients takes the OIDC rules AWS has without kelb's tag as they
// are: one whose meaning (secret aside) is a wanted rule's is taken to
// hold that rule's client, so it gets no write.
func adoptClients(have []ruleHave, want []sdkRule) {
	for i := range have {
		h := &have[i]
		if !h.ClientUnknown {
			continue
		}
		for _, w := range want {
			if w.Client != "" && w.Meaning == h.Meaning {
				h.Client, h.Key, h.ClientUnknown = w.Client, w.Key, false
				break
			}
		}
	}
}

// knowListenerClients reads the tags of the existing listeners whose
// default actions authenticate by OIDC, when they are not known yet (the
// same DescribeTags ensureListenerTags would make later).
func (d *Deployer) knowListenerClients(ctx context.Context, st *StackState, clients map[int32]string) error {
	if len(clients) == 0 {
		return nil
	}
	known := d.inv.listenerTagsOf(st.ID)
	var unknown []string
	for _, l := range st.Listeners {
		if _, ok := known[l.ARN]; !ok && clients[l.Port] != "" {
			unknown = append(unknown, l.ARN)
		}
	}
	read, err := d.describeListenerTags(ctx, unknown)
	if err != nil {
		return err
	}
	for arn, tags := range read {
		d.inv.setListenerTags(st.ID, arn, tags)
	}
	return nil
}

// listenerClientMatches compares the OIDC client of a listener's default
// actions: kelb's tag, or, without one, the wanted client taken as it is
// (remembered with the listener's known tags; TagDiff never writes it).
func (d *Deployer) listenerClientMatches(stack model.StackID, arn, client string) bool {
	if client == "" {
		return true
	}
	tags, ok := d.inv.listenerTagsOf(stack)[arn]
	if !ok {
		return true // a listener kelb just made carries it
	}
	have, tagged := tags[model.TagOIDCClient]
	if !tagged {
		d.inv.setListenerTags(stack, arn, model.MergeTags(tags, clientTag(client)))
		return true
	}
	return have == client
}

// tagListenerClient records, after a ModifyListener, the OIDC client its
// default actions now hold.
func (d *Deployer) tagListenerClient(ctx context.Context, stack model.StackID, arn, client string) error {
	if client == "" {
		return nil
	}
	if _, err := d.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{arn},
		Tags: elbTags(clientTag(client))}); err != nil {
		return fmt.Errorf("tagging the OIDC client of its default actions: %w", err)
	}
	tags, ok := d.inv.listenerTagsOf(stack)[arn]
	if ok {
		d.inv.setListenerTags(stack, arn, model.MergeTags(tags, clientTag(client)))
	}
	return nil
}

// withoutSecrets is actions as AWS describes them, for what kelb keeps
// in memory: the OIDC client secret left out.
func withoutSecrets(actions []elbtypes.Action) []elbtypes.Action {
	out := slices.Clone(actions)
	for i, a := range out {
		if a.AuthenticateOidcConfig != nil {
			c := *a.AuthenticateOidcConfig
			c.ClientSecret = nil
			out[i].AuthenticateOidcConfig = &c
		}
	}
	return out
}
