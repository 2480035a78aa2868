package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// authRules describes each listener's rules ("<port> <priority> <paths> ->
// <actions>"), the authenticate actions with what identifies them, as
// kelb reads them through the proxy (as AWS answers: a client secret
// shown fails the test).
func (cl *cluster) authRules(lbARN string) ([]string, error) {
	ctx := cl.t.Context()
	api := cl.world.Clients.ELBV2
	ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range ls.Listeners {
		rules, err := api.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.ListenerArn})
		if err != nil {
			return nil, err
		}
		for _, r := range rules.Rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			var paths []string
			for _, c := range r.Conditions {
				if c.PathPatternConfig != nil {
					paths = append(paths, c.PathPatternConfig.Values...)
				}
			}
			actions := slices.Clone(r.Actions)
			slices.SortFunc(actions, func(a, b elbv2types.Action) int { return int(aws.ToInt32(a.Order) - aws.ToInt32(b.Order)) })
			var acts []string
			for _, a := range actions {
				switch {
				case a.AuthenticateOidcConfig != nil:
					o := a.AuthenticateOidcConfig
					if o.ClientSecret != nil {
						cl.t.Errorf("DescribeRules shows the client secret of rule %s", aws.ToString(r.RuleArn))
					}
					acts = append(acts, fmt.Sprintf("oidc %s client=%s scope=%s", aws.ToString(o.Issuer),
						aws.ToString(o.ClientId), aws.ToString(o.Scope)))
				case a.AuthenticateCognitoConfig != nil:
					c := a.AuthenticateCognitoConfig
					acts = append(acts, fmt.Sprintf("cognito %s client=%s domain=%s on=%s", aws.ToString(c.UserPoolArn),
						aws.ToString(c.UserPoolClientId), aws.ToString(c.UserPoolDomain), c.OnUnauthenticatedRequest))
				default:
					acts = append(acts, string(a.Type))
				}
			}
			out = append(out, fmt.Sprintf("%d %s %s -> %s", aws.ToInt32(l.Port), aws.ToString(r.Priority),
				strings.Join(paths, "|"), strings.Join(acts, "; ")))
		}
	}
	slices.Sort(out)
	return out, nil
}

var heldSecret = regexp.MustCompile(`<ClientSecret>([^<]*)</ClientSecret>`)

// heldClientSecrets asks the emulator itself (not through the proxy, which
// hides them as AWS does) which OIDC client secrets the load balancer's
// rules hold.
func (cl *cluster) heldClientSecrets(lbARN string) ([]string, error) {
	ls, err := cl.world.Clients.ELBV2.DescribeListeners(cl.t.Context(), &elbv2.DescribeListenersInput{LoadBalancerArn: &lbARN})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range ls.Listeners {
		form := url.Values{"Action": {"DescribeRules"}, "Version": {"2015-12-01"}, "ListenerArn": {aws.ToString(l.ListenerArn)}}
		req, err := http.NewRequestWithContext(cl.t.Context(), http.MethodPost, env.Moto.URL, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+testenv.Region+
			"/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=none")
		req.Header.Set("x-moto-account-id", cl.world.Account)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		for _, m := range heldSecret.FindAllSubmatch(body, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out, nil
}

// TestIngressAuthentication: an Ingress with Cognito and one with OIDC get
// the authenticate action first on their HTTPS rules, none on HTTP (with
// kelb's Warning); the OIDC one waits for its Secret (Warning naming it, no
// AWS write), then converges once it exists; a changed client secret is
// written again (one ModifyRule); no answer ever shows a client secret.
func TestIngressAuthentication(t *testing.T) {
	cl := newCluster(t, 1)
	cl.opts.EnableIngress, cl.opts.IngressClass = true, "alb"
	cl.startKelb()
	ctx := t.Context()
	if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
		t.Fatal(err)
	}
	cert := importCertificate(t, cl)
	cl.createEndpoints(cl.createService("web", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeNodePort, nil
		withPort(80, 30981, corev1.ProtocolTCP)(s)
	}), "10.0.10.51")
	prefix := networkingv1.PathTypePrefix
	newIngress := func(name string, ann map[string]string) *networkingv1.Ingress {
		ann[ingress.AnnCertificateARN] = cert
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Annotations: ann},
			Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{Path: "/app", PathType: &prefix,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web",
							Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
	}
	pool := "arn:aws:cognito-idp:" + testenv.Region + ":123456789012:userpool/" + testenv.Region + "_abc"
	t0 := time.Now()
	for _, ing := range []*networkingv1.Ingress{
		newIngress("cognito", map[string]string{ingress.AnnListenPorts: `[{"HTTPS": 443}]`,
			ingress.AnnAuthType: "cognito", ingress.AnnAuthOnUnauthenticatedRequest: "deny",
			ingress.AnnAuthIDPCognito: `{"userPoolARN":"` + pool + `","userPoolClientID":"pool-client","userPoolDomain":"login"}`}),
		newIngress("oidc", map[string]string{ingress.AnnListenPorts: `[{"HTTP": 80}, {"HTTPS": 443}]`,
			ingress.AnnAuthType: "oidc", ingress.AnnAuthIDPOIDC: `{"issuer":"https://idp.example.com",` +
				`"authorizationEndpoint":"https://idp.example.com/auth","tokenEndpoint":"https://idp.example.com/token",` +
				`"userInfoEndpoint":"https://idp.example.com/userinfo","secretName":"oidc-client"}`}),
	} {
		if err := cl.c.Create(ctx, ing); err != nil {
			t.Fatal(err)
		}
	}
	lb := func(prefix string) string {
		for name, arn := range cl.loadBalancers() {
			if strings.HasPrefix(name, prefix) {
				return arn
			}
		}
		return ""
	}
	converge := func(lbARN, step string, want []string) {
		t.Helper()
		eventually(t, 90*time.Second, step, func() (bool, string) {
			got, err := cl.authRules(lbARN)
			if err != nil {
				return false, err.Error()
			}
			diff := cmp.Diff(want, got)
			return diff == "", diff
		})
	}
	var cognitoLB string
	eventually(t, 90*time.Second, "the cognito Ingress's load balancer", func() (bool, string) {
		cognitoLB = lb("k8s-default-cognito-")
		return cognitoLB != "", fmt.Sprint(cl.loadBalancers())
	})
	converge(cognitoLB, "the Cognito rule", []string{
		"443 1 /app|/app/* -> cognito " + pool + " client=pool-client domain=login on=deny; forward"})

	// The OIDC Ingress waits for its Secret: a Warning naming it, nothing
	// made in AWS for it.
	eventually(t, 60*time.Second, "the missing Secret's event", func() (bool, string) {
		events := cl.ingressEvents("oidc", corev1.EventTypeWarning)
		return slices.ContainsFunc(events, func(e string) bool {
			return strings.HasPrefix(e, "FailedBuildModel") && strings.Contains(e, "Secret default/oidc-client not found")
		}), fmt.Sprint(events)
	})
	if arn := lb("k8s-default-oidc-"); arn != "" {
		t.Fatalf("a load balancer was made for the Ingress whose Secret is missing: %s", arn)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "oidc-client"},
		Data: map[string][]byte{"clientID": []byte("oidc-id\n"), "clientSecret": []byte("first-secret")}}
	if err := cl.c.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	var oidcLB string
	eventually(t, 90*time.Second, "the oidc Ingress's load balancer once its Secret exists", func() (bool, string) {
		oidcLB = lb("k8s-default-oidc-")
		return oidcLB != "", fmt.Sprint(cl.loadBalancers())
	})
	converge(oidcLB, "the OIDC rules: authenticated on HTTPS only", []string{
		"443 1 /app|/app/* -> oidc https://idp.example.com client=oidc-id scope=openid; forward",
		"80 1 /app|/app/* -> forward"})
	eventually(t, 30*time.Second, "the warning for HTTP", func() (bool, string) {
		events := cl.ingressEvents("oidc", corev1.EventTypeWarning)
		return slices.ContainsFunc(events, func(e string) bool {
			return strings.HasPrefix(e, "AuthenticationSkipped") && strings.Contains(e, "port 80")
		}), fmt.Sprint(events)
	})
	held, err := cl.heldClientSecrets(oidcLB)
	if err != nil || !slices.Equal(held, []string{"first-secret"}) {
		t.Fatalf("client secrets held: %v, %v; want the Secret's", held, err)
	}

	// A new client secret is written again: one ModifyRule, then the tag.
	t1 := time.Now()
	updateRetrying(cl, func(name string) *corev1.Secret { return load(cl, name, &corev1.Secret{}) }, "oidc-client",
		func(s *corev1.Secret) { s.Data["clientSecret"] = []byte("second-secret") })
	eventually(t, 60*time.Second, "the new client secret in AWS", func() (bool, string) {
		held, err := cl.heldClientSecrets(oidcLB)
		return err == nil && slices.Equal(held, []string{"second-secret"}), fmt.Sprint(held, err)
	})
	var writes []string
	eventually(t, 30*time.Second, "the rule's tag after the write", func() (bool, string) {
		writes = mutatingSince(cl.calls(t1))
		return slices.Equal(writes, []string{"ModifyRule ", "AddTags "}), fmt.Sprint(writes)
	})
	for _, c := range cl.calls(t0) {
		for k := range c.Params {
			if strings.HasSuffix(k, "ClientSecret") {
				t.Errorf("the call log holds %s of %s", k, c.Action)
			}
		}
	}
	for _, e := range append(cl.ingressEvents("oidc", corev1.EventTypeWarning), cl.ingressEvents("oidc", corev1.EventTypeNormal)...) {
		if strings.Contains(e, "first-secret") || strings.Contains(e, "second-secret") {
			t.Errorf("an event shows the client secret: %s", e)
		}
	}
}
