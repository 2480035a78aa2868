package ingress

import (
	"maps"
	"slices"
	"strings"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// Scheme and address type values.
const (
	SchemeInternal       = "internal"
	SchemeInternetFacing = "internet-facing"
)

// lbSettings are the load balancer's settings as the Ingress and its
// class's IngressClassParams ask for them. Where the params set a value,
// the annotation is not read at all (LBC: "LBC will ignore the annotation").
type lbSettings struct {
	scheme        string
	ipAddressType string
	// name is the explicit load balancer name, "" for LBC's generated one.
	name string
	// subnets are ids or Name tags (annotation or params ids); subnetTags
	// are the params' tag filters. Both empty: discovery.
	subnets        []string
	subnetTags     map[string][]string
	attributes     map[string]string
	securityGroups []string
	manageBackend  *bool
	inboundCIDRs   []string
	prefixLists    []string
}

func readLBSettings(cfg Config, a service.Annotations, p *elbv2.IngressClassParams) (lbSettings, error) {
	var s lbSettings
	var err error
	if s.scheme, err = schemeOf(cfg, a, p); err != nil {
		return s, err
	}
	if s.ipAddressType, err = ipAddressTypeOf(a, p, s.scheme); err != nil {
		return s, err
	}
	if s.name, err = loadBalancerNameOf(a, p); err != nil {
		return s, err
	}
	if p != nil && p.Spec.Subnets != nil {
		for _, id := range p.Spec.Subnets.IDs {
			s.subnets = append(s.subnets, string(id))
		}
		if len(p.Spec.Subnets.Tags) > 0 {
			s.subnetTags = map[string][]string{}
			for k, v := range p.Spec.Subnets.Tags {
				s.subnetTags[k] = slices.Clone(v)
			}
		}
	} else {
		s.subnets = a.List(AnnSubnets)
	}
	if s.attributes, err = loadBalancerAttributesOf(a, p); err != nil {
		return s, err
	}
	s.securityGroups = a.List(AnnSecurityGroups)
	if v, set, err := a.OptionalBool(AnnManageBackendSGRules); err != nil {
		return s, err
	} else if set {
		s.manageBackend = &v
	}
	if s.inboundCIDRs, err = inboundCIDRsOf(a, p); err != nil {
		return s, err
	}
	if s.prefixLists, err = prefixListsOf(a, p); err != nil {
		return s, err
	}
	if err := checkAddOns(cfg, a, p); err != nil {
		return s, err
	}
	return s, nil
}

// schemeOf: the params' scheme, else the annotation (exactly internal or
// internet-facing), else --default-load-balancer-scheme, else internal.
func schemeOf(cfg Config, a service.Annotations, p *elbv2.IngressClassParams) (string, error) {
	if p != nil && p.Spec.Scheme != nil {
		return string(*p.Spec.Scheme), nil
	}
	def := cfg.DefaultScheme
	if def == "" {
		def = SchemeInternal
	}
	return a.Enum(AnnScheme, def, SchemeInternal, SchemeInternetFacing)
}

// ipAddressTypeOf: the params' type, else the annotation; AWS takes
// dualstack-without-public-ipv4 only for internet-facing load balancers.
func ipAddressTypeOf(a service.Annotations, p *elbv2.IngressClassParams, scheme string) (string, error) {
	field := AnnIPAddressType
	var t string
	if p != nil && p.Spec.IPAddressType != nil {
		field, t = paramsField(p.Name, "ipAddressType"), string(*p.Spec.IPAddressType)
	} else {
		var err error
		if t, err = a.Enum(AnnIPAddressType, "ipv4", "ipv4", "dualstack", "dualstack-without-public-ipv4"); err != nil {
			return "", err
		}
	}
	if t == "dualstack-without-public-ipv4" && scheme != SchemeInternetFacing {
		return "", &AnnotationError{Annotation: field, Value: t,
			Allowed: "ipv4 or dualstack for internal load balancers (dualstack-without-public-ipv4 needs internet-facing)"}
	}
	return t, nil
}

func loadBalancerNameOf(a service.Annotations, p *elbv2.IngressClassParams) (string, error) {
	field, name, set := AnnLoadBalancerName, "", false
	if p != nil && p.Spec.LoadBalancerName != "" {
		field, name, set = paramsField(p.Name, "loadBalancerName"), p.Spec.LoadBalancerName, true
	} else {
		name, set = a.Value(AnnLoadBalancerName)
	}
	if set && !service.ValidLoadBalancerName(name) {
		return "", &AnnotationError{Annotation: field, Value: name,
			Allowed: "1-32 letters, digits and hyphens, not starting or ending with a hyphen, not starting with internal-"}
	}
	return name, nil
}

// loadBalancerAttributesOf: the params' attributes replace the annotation's
// when the params have any.
func loadBalancerAttributesOf(a service.Annotations, p *elbv2.IngressClassParams) (map[string]string, error) {
	field := AnnLoadBalancerAttributes
	var attrs map[string]string
	if p != nil && len(p.Spec.LoadBalancerAttributes) > 0 {
		field, attrs = paramsField(p.Name, "loadBalancerAttributes"), map[string]string{}
		for _, at := range p.Spec.LoadBalancerAttributes {
			attrs[at.Key] = at.Value
		}
	} else {
		var err error
		if attrs, err = a.KeyValues(AnnLoadBalancerAttributes); err != nil {
			return nil, err
		}
	}
	if err := service.CheckAttributes(field, "application load balancers", attrs, loadBalancerAttributeRules); err != nil {
		return nil, err
	}
	if attrs["access_logs.s3.enabled"] == "true" && attrs["access_logs.s3.bucket"] == "" {
		return nil, &AnnotationError{Annotation: field, Value: "access_logs.s3.enabled=true",
			Allowed: "access_logs.s3.enabled=true together with access_logs.s3.bucket=<bucket name>"}
	}
	return attrs, nil
}

// trackingKeys are the tags kelb sets itself; no object may set them.
var trackingKeys = []string{model.TagCluster, TagStack, TagResource, model.TagResource, model.TagClusterUID}

// userTagsOf are the params' tags over the Ingress's tags annotation, as
// LBC merges them (--default-tags are added by the caller, over both).
func userTagsOf(cfg Config, a service.Annotations, p *elbv2.IngressClassParams) (map[string]string, error) {
	ann, err := a.KeyValues(AnnTags)
	if err != nil {
		return nil, err
	}
	if err := checkTagKeys(cfg, AnnTags, ann); err != nil {
		return nil, err
	}
	out := maps.Clone(ann)
	if out == nil {
		out = map[string]string{}
	}
	if p != nil {
		params := map[string]string{}
		for _, t := range p.Spec.Tags {
			params[t.Key] = t.Value
		}
		if err := checkTagKeys(cfg, paramsField(p.Name, "tags"), params); err != nil {
			return nil, err
		}
		maps.Copy(out, params)
	}
	return out, nil
}

func checkTagKeys(cfg Config, field string, tags map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if cfg.ExternalManagedTags[k] {
			return &AnnotationError{Annotation: field, Value: k,
				Allowed: "tag keys not managed outside kelb (--external-managed-tags)"}
		}
		if slices.Contains(trackingKeys, k) {
			return &AnnotationError{Annotation: field, Value: k,
				Allowed: "tag keys other than kelb's tracking keys " + strings.Join(trackingKeys, ", ")}
		}
	}
	return nil
}

// withDefaultTags puts --default-tags over the user's tags, as LBC does,
// unless EnableDefaultTagsLowPriority.
func withDefaultTags(cfg Config, user map[string]string) map[string]string {
	if cfg.DefaultTagsLowPriority {
		return model.MergeTags(cfg.DefaultTags, user)
	}
	return model.MergeTags(user, cfg.DefaultTags)
}

// inboundCIDRsOf: the params' inboundCIDRs, else the annotation.
func inboundCIDRsOf(a service.Annotations, p *elbv2.IngressClassParams) ([]string, error) {
	if p != nil && len(p.Spec.InboundCIDRs) > 0 {
		return service.ParseCIDRs(paramsField(p.Name, "inboundCIDRs"), p.Spec.InboundCIDRs)
	}
	return service.ParseCIDRs(AnnInboundCIDRs, a.List(AnnInboundCIDRs))
}

// prefixListsOf: the params' prefix lists (either spelling), else the
// annotation; each must be a managed prefix list id.
func prefixListsOf(a service.Annotations, p *elbv2.IngressClassParams) ([]string, error) {
	field, ids := AnnSGPrefixLists, a.List(AnnSGPrefixLists)
	if p != nil {
		if len(p.Spec.PrefixListsIDs) > 0 {
			field, ids = paramsField(p.Name, "prefixListsIDs"), p.Spec.PrefixListsIDs
		} else if len(p.Spec.PrefixListsIDsLegacy) > 0 {
			field, ids = paramsField(p.Name, "PrefixListsIDs"), p.Spec.PrefixListsIDsLegacy
		}
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "pl-") {
			return nil, &AnnotationError{Annotation: field, Value: id, Allowed: "managed prefix list ids (pl-...)"}
		}
	}
	return ids, nil
}
