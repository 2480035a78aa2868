package awsproxy_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	shieldtypes "github.com/aws/aws-sdk-go-v2/service/shield/types"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/awsproxy"
)

const wafLB = "arn:aws:elasticloadbalancing:us-west-2:%s:loadbalancer/app/web/0123456789abcdef"

// TestWebACLsAsAWS: what the proxy adds to moto for load balancers' web
// ACLs and Shield: a WAFv2 association replaces the previous one (one web
// ACL per resource, as AWS; moto keeps both), Shield's subscription state
// answered, and classic regional WAF emulated with AWS's error codes.
func TestWebACLsAsAWS(t *testing.T) {
	p, err := awsproxy.New(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	account := fmt.Sprintf("%012d", 220000000000+nextAccount.Add(1))
	cfg := aws.Config{Region: "us-west-2", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(account+"test", "secret", "")}
	ctx := context.Background()
	lb := fmt.Sprintf(wafLB, account)
	waf := wafv2.NewFromConfig(cfg, func(o *wafv2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	acl := func(name string) string {
		out, err := waf.CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: aws.String(name), Scope: wafv2types.ScopeRegional,
			DefaultAction: &wafv2types.DefaultAction{Allow: &wafv2types.AllowAction{}},
			VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: aws.String(name),
				CloudWatchMetricsEnabled: false, SampledRequestsEnabled: false}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Summary.ARN)
	}
	associated := func() string {
		out, err := waf.GetWebACLForResource(ctx, &wafv2.GetWebACLForResourceInput{ResourceArn: aws.String(lb)})
		if err != nil {
			t.Fatal(err)
		}
		if out.WebACL == nil {
			return ""
		}
		return aws.ToString(out.WebACL.ARN)
	}
	// moto finds the ACL created first: without the proxy, the load
	// balancer would stay in "older" after moving to "newer".
	older, newer := acl("older"), acl("newer")
	for _, arn := range []string{older, newer} {
		if _, err := waf.AssociateWebACL(ctx, &wafv2.AssociateWebACLInput{ResourceArn: aws.String(lb),
			WebACLArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
		if got := associated(); got != arn {
			t.Errorf("after associating %s: %s", arn, got)
		}
	}
	missing := "arn:aws:wafv2:us-west-2:" + account + ":regional/webacl/missing/0a1b"
	_, err = waf.AssociateWebACL(ctx, &wafv2.AssociateWebACLInput{ResourceArn: aws.String(lb), WebACLArn: aws.String(missing)})
	if code := awsclient.ErrorCode(err); code != "WAFNonexistentItemException" {
		t.Errorf("associating a missing ACL: %v", err)
	}
	if got := associated(); got != newer {
		t.Errorf("a refused association changed it: %s", got)
	}
	if _, err := waf.DisassociateWebACL(ctx, &wafv2.DisassociateWebACLInput{ResourceArn: aws.String(lb)}); err != nil {
		t.Fatal(err)
	}
	if got := associated(); got != "" {
		t.Errorf("after disassociating: %s", got)
	}

	sh := shield.NewFromConfig(cfg, func(o *shield.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	state := func() shieldtypes.SubscriptionState {
		out, err := sh.GetSubscriptionState(ctx, &shield.GetSubscriptionStateInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.SubscriptionState
	}
	if s := state(); s != shieldtypes.SubscriptionStateInactive {
		t.Errorf("before subscribing: %s", s)
	}
	if _, err := sh.CreateSubscription(ctx, &shield.CreateSubscriptionInput{}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != shieldtypes.SubscriptionStateActive {
		t.Errorf("after subscribing: %s", s)
	}
	_, err = sh.DescribeProtection(ctx, &shield.DescribeProtectionInput{ResourceArn: aws.String(lb)})
	if !awsclient.IsNotFound(err) {
		t.Errorf("no protection yet: %v", err)
	}

	classic := wafregional.NewFromConfig(cfg, func(o *wafregional.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	p.WAFRegional.Create(account, "c1", "classic-one")
	p.WAFRegional.Create(account, "c2", "classic-two")
	classicOf := func() string {
		out, err := classic.GetWebACLForResource(ctx, &wafregional.GetWebACLForResourceInput{ResourceArn: aws.String(lb)})
		if err != nil {
			t.Fatal(err)
		}
		if out.WebACLSummary == nil {
			return ""
		}
		return aws.ToString(out.WebACLSummary.WebACLId)
	}
	if _, err := classic.GetWebACL(ctx, &wafregional.GetWebACLInput{WebACLId: aws.String("c1")}); err != nil {
		t.Error(err)
	}
	_, err = classic.GetWebACL(ctx, &wafregional.GetWebACLInput{WebACLId: aws.String("c9")})
	if !awsclient.IsNotFound(err) {
		t.Errorf("a missing classic ACL: %v", err)
	}
	for _, id := range []string{"c1", "c2"} {
		if _, err := classic.AssociateWebACL(ctx, &wafregional.AssociateWebACLInput{ResourceArn: aws.String(lb),
			WebACLId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		if got := classicOf(); got != id {
			t.Errorf("after associating %s: %s", id, got)
		}
	}
	if _, err := classic.DisassociateWebACL(ctx, &wafregional.DisassociateWebACLInput{ResourceArn: aws.String(lb)}); err != nil {
		t.Fatal(err)
	}
	if got := classicOf(); got != "" {
		t.Errorf("after disassociating: %s", got)
	}
}
