package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// wafState is what AWS has of a load balancer's add-ons: its WAFv2 web
// ACL's ARN, its classic web ACL's id and its Shield protection's name
// ("" for none).
type wafState struct{ WAFv2, Classic, Shield string }

func (cl *cluster) wafState(lbARN string) (wafState, error) {
	ctx := cl.t.Context()
	var s wafState
	acl, err := cl.world.Clients.WAFv2.GetWebACLForResource(ctx, &wafv2.GetWebACLForResourceInput{ResourceArn: &lbARN})
	if err != nil {
		return s, err
	}
	if acl.WebACL != nil {
		s.WAFv2 = aws.ToString(acl.WebACL.ARN)
	}
	s.Classic = env.Proxy.WAFRegional.AssociatedWith(cl.world.Account, lbARN)
	p, err := cl.world.Clients.Shield.DescribeProtection(ctx, &shield.DescribeProtectionInput{ResourceArn: &lbARN})
	switch {
	case awsclient.IsNotFound(err):
	case err != nil:
		return s, err
	default:
		s.Shield = aws.ToString(p.Protection.Name)
	}
	return s, nil
}

// lbcWebACL makes a regional WAFv2 web ACL for a take-over test.
func (cl *cluster) lbcWebACL() string {
	out, err := cl.world.Clients.WAFv2.CreateWebACL(cl.t.Context(), &wafv2.CreateWebACLInput{Name: aws.String("lbc-acl"),
		Scope: wafv2types.ScopeRegional, DefaultAction: &wafv2types.DefaultAction{Allow: &wafv2types.AllowAction{}},
		VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: aws.String("lbc-acl")}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.Summary.ARN)
}

// leaveLBCAddOns associates the web ACL with the load balancer and
// protects it with Shield, as LBC leaves them (LBC's protection name).
func (cl *cluster) leaveLBCAddOns(lbARN, acl string) {
	ctx := cl.t.Context()
	if _, err := cl.world.Clients.WAFv2.AssociateWebACL(ctx, &wafv2.AssociateWebACLInput{ResourceArn: &lbARN,
		WebACLArn: &acl}); err != nil {
		cl.t.Fatal(err)
	}
	if _, err := cl.world.Clients.Shield.CreateSubscription(ctx, &shield.CreateSubscriptionInput{}); err != nil {
		cl.t.Fatal(err)
	}
	if _, err := cl.world.Clients.Shield.CreateProtection(ctx, &shield.CreateProtectionInput{ResourceArn: &lbARN,
		Name: aws.String("managed by aws-load-balancer-controller")}); err != nil {
		cl.t.Fatal(err)
	}
}

// TestIngressWAF: an Ingress's WAFv2 web ACL (by ARN, then by name:
// replaced in one call), classic WAF web ACL and Shield protection are
// made as LBC makes them; an annotation removed leaves its add-on alone
// and "none" takes the ACL away, as LBC v3; a web ACL name AWS does not
// have is a Warning and no write; with --enable-wafv2=false kelb makes no
// WAFv2 call at all.
func TestIngressWAF(t *testing.T) {
	cl := newCluster(t, 1)
	cl.opts.LBC.EnableWAFV2, cl.opts.LBC.EnableWAF, cl.opts.LBC.EnableShield = true, true, true
	cl.startKelb()
	ctx := t.Context()
	acl := func(name string) string {
		out, err := cl.world.Clients.WAFv2.CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: aws.String(name),
			Scope: wafv2types.ScopeRegional, DefaultAction: &wafv2types.DefaultAction{Allow: &wafv2types.AllowAction{}},
			VisibilityConfig: &wafv2types.VisibilityConfig{MetricName: aws.String(name)}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Summary.ARN)
	}
	aclA, aclB := acl("team-a"), acl("team-b")
	env.Proxy.WAFRegional.Create(cl.world.Account, "classic-1", "classic")
	if _, err := cl.world.Clients.Shield.CreateSubscription(ctx, &shield.CreateSubscriptionInput{}); err != nil {
		t.Fatal(err)
	}
	if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
		t.Fatal(err)
	}
	cl.createEndpoints(cl.createService("web", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeNodePort, nil
		withPort(80, 30981, corev1.ProtocolTCP)(s)
	}), "10.0.10.51")
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "guarded",
		Annotations: map[string]string{ingress.AnnWAFv2ACLARN: aclA, ingress.AnnWAFACLID: "classic-1",
			ingress.AnnShield: "true"}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: "web",
						Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
	if err := cl.c.Create(ctx, ing); err != nil {
		t.Fatal(err)
	}
	lbARN := cl.waitLoadBalancer("k8s-default-guarded-")
	converge := func(step string, want wafState) {
		t.Helper()
		eventually(t, 60*time.Second, step, func() (bool, string) {
			got, err := cl.wafState(lbARN)
			if err != nil {
				return false, err.Error()
			}
			return got == want, fmt.Sprintf("%+v", got)
		})
	}
	converge("WAFv2, classic WAF and Shield", wafState{WAFv2: aclA, Classic: "classic-1", Shield: deploy.ShieldProtectionName})
	addOnCalls := func(t0 time.Time) []string {
		var out []string
		for _, c := range cl.calls(t0) {
			if c.Mutating() && (c.Service == "wafv2" || c.Service == "waf-regional" || c.Service == "shield") {
				out = append(out, c.Service+" "+c.Action)
			}
		}
		return out
	}
	// The proxy logs a call once it answered it, so the log may lag the
	// state AWS shows by a moment: wait for it.
	wantCalls := func(step string, t0 time.Time, want ...string) {
		t.Helper()
		eventually(t, 10*time.Second, step+": the calls", func() (bool, string) {
			got := addOnCalls(t0)
			return slices.Equal(got, want), fmt.Sprintf("calls %v, want %v", got, want)
		})
	}
	edit := func(mutate func(map[string]string)) time.Time {
		t.Helper()
		t0 := time.Now()
		updateRetrying(cl, func(name string) *networkingv1.Ingress { return load(cl, name, &networkingv1.Ingress{}) },
			"guarded", func(i *networkingv1.Ingress) { mutate(i.Annotations) })
		return t0
	}

	// Another ACL, by name: one AssociateWebACL replaces the first.
	t0 := edit(func(a map[string]string) { delete(a, ingress.AnnWAFv2ACLARN); a[ingress.AnnWAFv2ACLName] = "team-b" })
	converge("the ACL replaced", wafState{WAFv2: aclB, Classic: "classic-1", Shield: deploy.ShieldProtectionName})
	wantCalls("replacing the ACL", t0, "wafv2 AssociateWebACL")
	// The WAF annotations removed: left as they are (LBC v3); Shield off
	// deletes the protection kelb made.
	t0 = edit(func(a map[string]string) {
		delete(a, ingress.AnnWAFv2ACLName)
		delete(a, ingress.AnnWAFACLID)
		a[ingress.AnnShield] = "false"
	})
	converge("Shield off, the ACLs kept", wafState{WAFv2: aclB, Classic: "classic-1"})
	wantCalls("annotations removed, Shield off", t0, "shield DeleteProtection")
	// none takes the ACLs away.
	edit(func(a map[string]string) { a[ingress.AnnWAFv2ACLARN], a[ingress.AnnWAFACLID] = "none", "none" })
	converge("the ACLs taken away", wafState{})

	// A web ACL AWS does not have, by name or by ARN: a Warning naming
	// it, no write.
	gone := "arn:aws:wafv2:us-west-2:" + cl.world.Account + ":regional/webacl/gone/0a1b2c3d-0000-4000-8000-000000000000"
	for _, bad := range []struct{ key, value string }{{ingress.AnnWAFv2ACLName, "missing"}, {ingress.AnnWAFv2ACLARN, gone}} {
		t0 = edit(func(a map[string]string) {
			a[ingress.AnnWAFv2ACLARN], a[ingress.AnnWAFv2ACLName] = "", ""
			a[bad.key] = bad.value
		})
		eventually(t, 30*time.Second, "the warning for "+bad.value, func() (bool, string) {
			events := cl.ingressEvents("guarded", corev1.EventTypeWarning)
			for _, e := range events {
				if strings.Contains(e, bad.key) && strings.Contains(e, fmt.Sprintf("%q", bad.value)) {
					return true, ""
				}
			}
			return false, fmt.Sprint(events)
		})
		for _, c := range cl.calls(t0) {
			if c.Mutating() && c.Service != "ec2" {
				t.Errorf("%s: a call %s %s", bad.value, c.Service, c.Action)
			}
		}
	}

	// --enable-wafv2=false: the annotation is ignored, no WAFv2 call, the
	// rest (Shield) still served.
	cl.stopKelb()
	cl.opts.LBC.EnableWAFV2 = false
	cl.startKelb()
	t0 = edit(func(a map[string]string) { a[ingress.AnnWAFv2ACLARN], a[ingress.AnnShield] = aclA, "true" })
	converge("Shield on again, no ACL", wafState{Shield: deploy.ShieldProtectionName})
	for _, c := range cl.calls(t0) {
		if c.Service == "wafv2" {
			t.Errorf("--enable-wafv2=false: a WAFv2 call %s", c.Action)
		}
	}

	// Deleting the Ingress deletes its load balancer, then the protection
	// kelb made for it (LBC leaves it behind).
	if err := cl.c.Delete(ctx, load(cl, "guarded", &networkingv1.Ingress{})); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the load balancer and its protection gone", func() (bool, string) {
		got, err := cl.wafState(lbARN)
		if err != nil {
			return false, err.Error()
		}
		return len(cl.loadBalancers()) == 0 && got == wafState{}, fmt.Sprintf("%v %+v", cl.loadBalancers(), got)
	})
}
