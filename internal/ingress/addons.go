package ingress

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// The load balancer's add-ons, as LBC v3 reads them.
const (
	AnnWAFv2ACLARN  = Prefix + "wafv2-acl-arn"
	AnnWAFv2ACLName = Prefix + "wafv2-acl-name"
	// AnnWAFACLID names a classic (regional) WAF web ACL; AnnWebACLID is
	// its older spelling, read only when the first is absent.
	AnnWAFACLID = Prefix + "waf-acl-id"
	AnnWebACLID = Prefix + "web-acl-id"
	AnnShield   = Prefix + "shield-advanced-protection"

	// addOnNone takes a web ACL away (LBC's sentinel value).
	addOnNone = "none"
)

// addOnAnnotations are the add-ons' annotations.
var addOnAnnotations = []string{AnnWAFv2ACLARN, AnnWAFv2ACLName, AnnWAFACLID, AnnWebACLID, AnnShield}

// ignoredKeys are the annotations of the add-ons turned off.
func (a AddOns) ignoredKeys() []string {
	var out []string
	for name := range a.off() {
		out = append(out, Prefix+name)
	}
	return out
}

var (
	// wafv2ACLARN is a regional WAFv2 web ACL's ARN: only those can be
	// associated with a load balancer.
	wafv2ACLARN = regexp.MustCompile(`^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[\w-]{1,128}/[0-9a-f-]{1,128}$`)
	// wafv2ACLName is AWS's pattern of web ACL names.
	wafv2ACLName = regexp.MustCompile(`^[\w-]{1,128}$`)
	// wafACLID is a classic web ACL id (AWS: 1-128 characters, no blanks).
	wafACLID = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)
)

const (
	wafv2ARNAllowed = "none, or the ARN of a regional WAFv2 web ACL " +
		"(arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)"
	wafv2NameAllowed = "none, or the name of a regional WAFv2 web ACL (1-128 letters, digits, '_' or '-')"
	wafACLIDAllowed  = "none, or the id of a classic regional WAF web ACL (1-128 letters, digits or '-')"
)

// addOnSources are where an add-on's value came from, by value, so that
// disagreeing sources can be named.
type addOnSources map[string]string

func (s addOnSources) add(value, field string) {
	if _, ok := s[value]; !ok {
		s[value] = field
	}
}

// one returns the single value the sources agree on, or a *FieldError
// naming two that disagree (LBC: "conflicting WAFv2 WebACL ARNs").
func (s addOnSources) one() (value string, field string, err error) {
	values := slices.Sorted(maps.Keys(s))
	switch len(values) {
	case 0:
		return "", "", nil
	case 1:
		return values[0], s[values[0]], nil
	}
	return "", "", &FieldError{Field: s[values[1]], Value: values[1],
		Allowed: fmt.Sprintf("the same web ACL as %s (%q): one load balancer has one", s[values[0]], values[0])}
}

// wafv2Setting is the WAFv2 web ACL asked for, before its name is resolved.
type wafv2Setting struct {
	arn, arnField   string
	name, nameField string
}

// readWAFv2 reads wafv2-acl-arn and wafv2-acl-name with the params'
// wafv2AclArn and wafv2AclName. As LBC v3: an absent or empty value says
// nothing; values that differ are refused (the params do not override the
// annotations here: LBC refuses the pair); "none" takes the ACL away.
func readWAFv2(a service.Annotations, p *elbv2.IngressClassParams) (wafv2Setting, error) {
	arns, names := addOnSources{}, addOnSources{}
	if v, _ := a.Value(AnnWAFv2ACLARN); v != "" {
		arns.add(v, AnnWAFv2ACLARN)
	}
	if v, _ := a.Value(AnnWAFv2ACLName); v != "" {
		names.add(v, AnnWAFv2ACLName)
	}
	if p != nil {
		if p.Spec.WAFv2ACLArn != "" {
			arns.add(p.Spec.WAFv2ACLArn, paramsField(p.Name, "wafv2AclArn"))
		}
		if p.Spec.WAFv2ACLName != "" {
			names.add(p.Spec.WAFv2ACLName, paramsField(p.Name, "wafv2AclName"))
		}
	}
	var s wafv2Setting
	var err error
	if s.arn, s.arnField, err = arns.one(); err != nil {
		return s, err
	}
	if s.name, s.nameField, err = names.one(); err != nil {
		return s, err
	}
	if s.arn != "" && s.arn != addOnNone && !wafv2ACLARN.MatchString(s.arn) {
		return s, &FieldError{Field: s.arnField, Value: s.arn, Allowed: wafv2ARNAllowed}
	}
	if s.name != "" && s.name != addOnNone && !wafv2ACLName.MatchString(s.name) {
		return s, &FieldError{Field: s.nameField, Value: s.name, Allowed: wafv2NameAllowed}
	}
	if (s.arn == addOnNone) != (s.name == addOnNone) && s.arn != "" && s.name != "" {
		return s, &FieldError{Field: s.nameField, Value: s.name,
			Allowed: fmt.Sprintf("the web ACL %s names (%q)", s.arnField, s.arn)}
	}
	return s, nil
}

// readWAFRegional reads waf-acl-id (else web-acl-id): an absent or empty
// value says nothing, "none" takes the ACL away.
func readWAFRegional(a service.Annotations) (id, field string, err error) {
	field = AnnWAFACLID
	id, ok := a.Value(AnnWAFACLID)
	if !ok {
		field = AnnWebACLID
		id, _ = a.Value(AnnWebACLID)
	}
	if id != "" && id != addOnNone && !wafACLID.MatchString(id) {
		return "", "", &FieldError{Field: field, Value: id, Allowed: wafACLIDAllowed}
	}
	return id, field, nil
}

// addOnLookups are what the add-on settings need looked up in AWS.
type addOnLookups struct {
	// wafv2Names are WAFv2 web ACL names to resolve, wafv2ARNs WAFv2 web
	// ACLs whose existence is checked, classicIDs the same for classic
	// web ACL ids.
	wafv2Names, wafv2ARNs, classicIDs []string
}

// addOnNames are the look-ups the load balancer's add-on settings need
// (Query); an error is a setting refused alone.
func addOnNames(cfg Config, a service.Annotations, p *elbv2.IngressClassParams) (addOnLookups, error) {
	var l addOnLookups
	if cfg.AddOns.WAFv2 {
		s, err := readWAFv2(a, p)
		if err != nil {
			return l, err
		}
		if s.name != "" && s.name != addOnNone {
			l.wafv2Names = []string{s.name}
		}
		if s.arn != "" && s.arn != addOnNone {
			l.wafv2ARNs = []string{s.arn}
		}
	}
	if cfg.AddOns.WAF {
		id, _, err := readWAFRegional(a)
		if err != nil {
			return l, err
		}
		if id != "" && id != addOnNone {
			l.classicIDs = []string{id}
		}
	}
	return l, nil
}

// addOns returns the load balancer's add-ons from the settings a and p
// and the resolved facts. An add-on whose flag (--enable-wafv2,
// --enable-waf, --enable-shield) is off is left alone, as LBC leaves it.
// A web ACL named that AWS does not have is an *AnnotationError with
// External set: creating it fixes the Ingress.
func addOns(cfg Config, a service.Annotations, p *elbv2.IngressClassParams, f Facts) (model.LoadBalancerAddOns, error) {
	var out model.LoadBalancerAddOns
	if cfg.AddOns.WAFv2 {
		s, err := readWAFv2(a, p)
		if err != nil {
			return out, err
		}
		arn := s.arn
		if arn != "" && arn != addOnNone && f.WAFv2ACLsFound != nil && !f.WAFv2ACLsFound[arn] {
			return out, &AnnotationError{Annotation: s.arnField, Value: arn, External: true,
				Allowed: "the ARN of a regional WAFv2 web ACL in the load balancer's account and region, or none"}
		}
		if s.name != "" && s.name != addOnNone {
			resolved, ok := f.WAFv2ACLsByName[s.name]
			if !ok {
				return out, &AnnotationError{Annotation: s.nameField, Value: s.name, External: true,
					Allowed: "the name of a regional WAFv2 web ACL in the load balancer's account and region, or none"}
			}
			if arn != "" && arn != resolved {
				return out, &FieldError{Field: s.nameField, Value: s.name,
					Allowed: fmt.Sprintf("the web ACL %s names (%q); %q is %s", s.arnField, arn, s.name, resolved)}
			}
			arn = resolved
		} else if s.name == addOnNone {
			arn = addOnNone
		}
		if arn != "" {
			if arn == addOnNone {
				arn = ""
			}
			out.WAFv2ACL = &arn
		}
	}
	if cfg.AddOns.WAF {
		id, field, err := readWAFRegional(a)
		if err != nil {
			return out, err
		}
		if id != "" && id != addOnNone && f.WAFRegionalACLsFound != nil && !f.WAFRegionalACLsFound[id] {
			return out, &AnnotationError{Annotation: field, Value: id, External: true,
				Allowed: "the id of a classic regional WAF web ACL in the load balancer's account and region, or none"}
		}
		if id != "" {
			if id == addOnNone {
				id = ""
			}
			out.WAFRegionalACL = &id
		}
	}
	if cfg.AddOns.Shield {
		on, set, err := a.OptionalBool(AnnShield)
		if err != nil {
			return out, err
		}
		if set {
			out.Shield = &on
		}
	}
	return out, nil
}

// checkAddOns checks the add-on settings alone (no AWS fact), so that a
// bad value is refused with the other load-balancer settings.
func checkAddOns(cfg Config, a service.Annotations, p *elbv2.IngressClassParams) error {
	if _, err := addOnNames(cfg, a, p); err != nil {
		return err
	}
	if cfg.AddOns.Shield {
		if _, _, err := a.OptionalBool(AnnShield); err != nil {
			return err
		}
	}
	return nil
}

// canonicalBool is a boolean annotation's meaning ("true", "false"), or
// the value as written when it is not a boolean, so that "True" and
// "true" do not conflict in a group.
func canonicalBool(v string) string {
	if b, err := strconv.ParseBool(v); err == nil {
		return strconv.FormatBool(b)
	}
	return v
}
