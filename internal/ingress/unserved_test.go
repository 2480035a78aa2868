package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

func TestUnserved(t *testing.T) {
	ing := func(ann map[string]string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: ann}}
	}
	params := func(mutate func(*elbv2.IngressClassParamsSpec)) *elbv2.IngressClassParams {
		p := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "team"}}
		mutate(&p.Spec)
		return p
	}
	for _, tc := range []struct {
		name   string
		ing    *networkingv1.Ingress
		params *elbv2.IngressClassParams
		want   *FieldError
	}{
		{"plain Ingress", ing(map[string]string{AnnScheme: "internal", AnnTargetType: "ip"}), nil, nil},
		{"auth-type none is what LBC does without it", ing(map[string]string{Prefix + "auth-type": "none"}), nil, nil},
		{"auth settings without auth-type are ignored by LBC", ing(map[string]string{Prefix + "auth-scope": "openid"}), nil, nil},
		{"another controller's annotations", ing(map[string]string{"nginx.ingress.kubernetes.io/auth-type": "basic"}), nil, nil},
		{"explicit groups are served", ing(map[string]string{AnnGroupName: "shared"}), nil, nil},
		{"the class forces a group: served", ing(nil), params(func(s *elbv2.IngressClassParamsSpec) {
			s.Group = &elbv2.IngressGroup{Name: "team"}
		}), nil},
		{"the class asks for WAF: served", ing(nil), params(func(s *elbv2.IngressClassParamsSpec) { s.WAFv2ACLArn = "arn:acl" }),
			nil},
		{"WAF and Shield annotations are served", ing(map[string]string{AnnWAFv2ACLARN: "arn:acl", AnnWAFv2ACLName: "acl",
			AnnWAFACLID: "id", AnnWebACLID: "id", AnnShield: "true"}), nil, nil},
		{"authentication is served", ing(map[string]string{Prefix + "auth-type": "cognito",
			Prefix + "auth-idp-cognito": "{}", Prefix + "auth-idp-oidc": "{}"}), nil, nil},
		{"custom actions and conditions are served", ing(map[string]string{Prefix + "actions.blue-green": "{}",
			Prefix + "conditions.web": "[]"}), nil, nil},
		{"transforms are served", ing(map[string]string{Prefix + "transforms.web": "[]"}), nil, nil},
		{"so are regex paths", ing(map[string]string{Prefix + "use-regex-path-match": "true"}), nil, nil},
		{"the first of several, by name", ing(map[string]string{Prefix + "jwt-validation": "{}",
			Prefix + "transforms.web": "[]", Prefix + "enable-frontend-nlb": "true"}), nil,
			&FieldError{Field: Prefix + "enable-frontend-nlb", Value: "true", Allowed: "the annotation unset"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Unserved(tc.ing, tc.params)); diff != "" {
				t.Errorf("Unserved (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAddOnFlagsOff: with --enable-wafv2, --enable-waf or --enable-shield
// off, LBC ignores those annotations (and the class's WAF fields) and
// leaves AWS alone, as kelb does: they are ignored, not refused.
func TestAddOnFlagsOff(t *testing.T) {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{
		Prefix + "wafv2-acl-arn": "arn:acl", Prefix + "waf-acl-id": "id", Prefix + "shield-advanced-protection": "true"}}}
	params := &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "team"},
		Spec: elbv2.IngressClassParamsSpec{WAFv2ACLArn: "arn:acl"}}
	if why := Unserved(ing, params); why != nil {
		t.Errorf("refused for %s", why.Field)
	}
	want := map[string]string{Prefix + "wafv2-acl-arn": "--enable-wafv2", Prefix + "waf-acl-id": "--enable-waf",
		Prefix + "shield-advanced-protection": "--enable-shield"}
	if diff := cmp.Diff(want, IgnoredAddOns(ing, AddOns{})); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{}, IgnoredAddOns(ing, AddOns{WAFv2: true, WAF: true, Shield: true})); diff != "" {
		t.Errorf("ignored with every add-on on (-want +got):\n%s", diff)
	}
}
