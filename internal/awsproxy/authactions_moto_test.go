package awsproxy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/awsproxy"
)

// secretsSeen records the client secrets the emulator holds (its raw
// answers, inside the proxy) and whether any answer leaving the proxy
// shows one.
type secretsSeen struct{ held []string }

func (s *secretsSeen) Wrap(next awsproxy.Handler) awsproxy.Handler {
	return func(r *awsproxy.Request) *awsproxy.Response {
		resp := next(r)
		if r.Action == "DescribeRules" {
			body := string(resp.Body)
			for {
				i := strings.Index(body, "<ClientSecret>")
				if i < 0 {
					break
				}
				body = body[i+len("<ClientSecret>"):]
				s.held = append(s.held, body[:strings.Index(body, "<")])
			}
		}
		return resp
	}
}

// TestAuthActionsAsAWS: answers never show an OIDC client secret and show
// AWS's defaults; a create needs the secret; a modify takes a new secret
// or UseExistingClientSecret (which keeps the one held), never both.
func TestAuthActionsAsAWS(t *testing.T) {
	e := newALBEnv(t)
	seen := &secretsSeen{}
	e.proxy.Use(seen)
	ctx := context.Background()
	oidc := func(secret *string, useExisting *bool) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumAuthenticateOidc, Order: aws.Int32(1),
			AuthenticateOidcConfig: &elbtypes.AuthenticateOidcActionConfig{Issuer: aws.String("https://idp"),
				AuthorizationEndpoint: aws.String("https://idp/auth"), TokenEndpoint: aws.String("https://idp/token"),
				UserInfoEndpoint: aws.String("https://idp/userinfo"), ClientId: aws.String("id"), ClientSecret: secret,
				UseExistingClientSecret: useExisting}},
			{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(2), TargetGroupArn: aws.String(e.tg)}}
	}
	echoed := &elbtypes.AuthenticateOidcActionConfig{Issuer: aws.String("https://idp"),
		AuthorizationEndpoint: aws.String("https://idp/auth"), TokenEndpoint: aws.String("https://idp/token"),
		UserInfoEndpoint: aws.String("https://idp/userinfo"), ClientId: aws.String("id"),
		SessionCookieName: aws.String("AWSELBAuthSessionCookie"), Scope: aws.String("openid"),
		SessionTimeout: aws.Int64(604800), OnUnauthenticatedRequest: "authenticate"}
	conditions := []elbtypes.RuleCondition{paths("/a")}

	if _, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener), Priority: aws.Int32(1),
		Conditions: conditions, Actions: oidc(nil, nil)}); !strings.Contains(errString(err), "ValidationError") {
		t.Errorf("create without a client secret: %v, want ValidationError", err)
	}
	created, err := e.elb.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: aws.String(e.listener),
		Priority: aws.Int32(1), Conditions: conditions, Actions: oidc(aws.String("first"), nil)})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.Rules[0].RuleArn
	if diff := cmp.Diff(echoed, created.Rules[0].Actions[0].AuthenticateOidcConfig, cmpIgnoreSDK); diff != "" {
		t.Errorf("CreateRule's OIDC action (-want +got):\n%s", diff)
	}
	if _, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn, Actions: oidc(aws.String("x"), aws.Bool(true))}); !strings.Contains(errString(err), "You cannot both specify a client secret") {
		t.Errorf("modify with both: %v, want AWS's refusal", err)
	}
	if _, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn, Actions: oidc(nil, aws.Bool(true))}); err != nil {
		t.Fatal(err)
	}
	described, err := e.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{aws.ToString(arn)}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(echoed, described.Rules[0].Actions[0].AuthenticateOidcConfig, cmpIgnoreSDK); diff != "" {
		t.Errorf("DescribeRules's OIDC action (-want +got):\n%s", diff)
	}
	if _, err := e.elb.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: arn, Actions: oidc(aws.String("second"), nil)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{aws.ToString(arn)}}); err != nil {
		t.Fatal(err)
	}
	// Inside the proxy: the secret kept by UseExistingClientSecret, then
	// the new one.
	if diff := cmp.Diff([]string{"first", "first", "second"}, seen.held); diff != "" {
		t.Errorf("secrets the emulator held at each DescribeRules (-want +got):\n%s", diff)
	}
	listeners, err := e.elb.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(e.listener),
		DefaultActions: oidc(aws.String("third"), nil)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(echoed, listeners.Listeners[0].DefaultActions[0].AuthenticateOidcConfig, cmpIgnoreSDK); diff != "" {
		t.Errorf("ModifyListener's OIDC action (-want +got):\n%s", diff)
	}
	for _, c := range e.proxy.Log.Calls() {
		for k := range c.Params {
			if strings.HasSuffix(k, "ClientSecret") {
				t.Errorf("the call log holds %s of %s", k, c.Action)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
