package ingress

import (
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// AnnGroupName names an explicit IngressGroup.
const AnnGroupName = Prefix + "group.name"

// unservedAnnotations are LBC's Ingress annotations whose meaning kelb does
// not build yet. Building an Ingress without them would not be "the same
// load balancer minus a feature": kelb's diff would take away what LBC made
// for them (a JWT validation action, a frontend network load balancer),
// so such an Ingress is refused before any AWS call and its load balancer
// stays exactly as it is.
var unservedAnnotations = []string{
	"customer-owned-ipv4-pool", "jwt-validation",
	"minimum-load-balancer-capacity", "ipam-ipv4-pool-id", "enable-frontend-nlb",
	"target-control-port", "create-acm-cert", "acm-pca-arn",
}

// AddOns are LBC's --enable-wafv2, --enable-waf and --enable-shield: with
// one off, LBC ignores its annotations (and the class's WAF fields) and
// leaves what AWS has alone, and so does kelb (IgnoredAddOns names them in
// an event); with one on, kelb serves it (addons.go).
type AddOns struct {
	WAFv2, WAF, Shield bool
}

// addOnAnnotations are the annotations each add-on flag turns off.
func (a AddOns) off() map[string]string {
	out := map[string]string{}
	if !a.WAFv2 {
		out["wafv2-acl-arn"], out["wafv2-acl-name"] = "--enable-wafv2", "--enable-wafv2"
	}
	if !a.WAF {
		out["waf-acl-id"], out["web-acl-id"] = "--enable-waf", "--enable-waf"
	}
	if !a.Shield {
		out["shield-advanced-protection"] = "--enable-shield"
	}
	return out
}

// IgnoredAddOns are the annotations of ing that an add-on flag turned off
// makes LBC (and kelb) ignore, each with its flag.
func IgnoredAddOns(ing *networkingv1.Ingress, on AddOns) map[string]string {
	off := on.off()
	out := map[string]string{}
	for key := range ing.Annotations {
		if name, ok := strings.CutPrefix(key, Prefix); ok && off[name] != "" {
			out[key] = off[name]
		}
	}
	return out
}

// Unserved says why kelb cannot serve ing yet, or nil: a setting from the
// lists above (explicit groups are served: GroupOf, BuildGroup). It is
// pure: the controller calls it before building.
func Unserved(ing *networkingv1.Ingress, params *elbv2.IngressClassParams) *FieldError {
	if params != nil {
		for _, f := range []struct {
			set   bool
			field string
		}{
			{params.Spec.MinimumLoadBalancerCapacity != nil, "minimumLoadBalancerCapacity"},
			{params.Spec.IPAMConfiguration != nil, "ipamConfiguration"},
		} {
			if f.set {
				return &FieldError{Field: paramsField(params.Name, f.field), Value: "(set)",
					Allowed: "the field unset"}
			}
		}
	}
	var found []string
	for key := range ing.Annotations {
		if name, ok := strings.CutPrefix(key, Prefix); ok && slices.Contains(unservedAnnotations, name) {
			found = append(found, key)
		}
	}
	if len(found) == 0 {
		return nil
	}
	slices.Sort(found)
	return &FieldError{Field: found[0], Value: ing.Annotations[found[0]],
		Allowed: "the annotation unset"}
}
