package service

import "strings"

// The parsing helpers below are shared with the Ingress builder, which reads
// LBC's Ingress annotations with the same rules as the Service ones (values
// taken as written, Go's booleans, lists split on commas, key=value maps
// split at the first "="), names resources with the same hash, and checks
// attributes with the same kind of table. They wrap the Service package's
// own helpers so that there is one implementation of each.

// Annotations reads typed values from an object's annotations as LBC's
// annotation parser does; errors are *AnnotationError naming the key and
// what it accepts.
type Annotations map[string]string

func (a Annotations) r() annotations { return annotations(a) }

// Value returns the annotation as written and whether it is set.
func (a Annotations) Value(key string) (string, bool) { return a.r().value(key) }

// Str returns the annotation as written, or def when it is not set.
func (a Annotations) Str(key, def string) string { return a.r().str(key, def) }

// Enum returns the annotation if it is exactly one of allowed, def when unset.
func (a Annotations) Enum(key, def string, allowed ...string) (string, error) {
	return a.r().enum(key, def, allowed...)
}

// OptionalBool returns the annotation's boolean value and whether it is set.
func (a Annotations) OptionalBool(key string) (value, set bool, err error) {
	return a.r().optionalBool(key)
}

// Bool returns the annotation's boolean value, def when unset.
func (a Annotations) Bool(key string, def bool) (bool, error) { return a.r().boolean(key, def) }

// Int32In parses an integer annotation within [lo, hi], def when unset.
func (a Annotations) Int32In(key string, def, lo, hi int32) (int32, error) {
	return a.r().int32In(key, def, lo, hi)
}

// List splits a comma-separated value, trimming items and dropping empty ones.
func (a Annotations) List(key string) []string { return a.r().list(key) }

// KeyValues parses "k1=v1,k2=v2" as LBC does; nil when unset or empty.
func (a Annotations) KeyValues(key string) (map[string]string, error) { return a.r().keyValues(key) }

// ParseCIDRs parses CIDRs from the annotation or field named field, masked.
func ParseCIDRs(field string, items []string) ([]string, error) { return parseCIDRs(field, items) }

// StackName is LBC's generated resource name "k8s-<namespace, 8>-<name,
// 8>-<10 hex>" over the SHA-256 of the hashed parts written back to back.
func StackName(namespace, name string, hashed ...string) string {
	return stackName(namespace, name, hashed...)
}

// IsCertificateARN reports whether s is an ACM or IAM server certificate ARN.
func IsCertificateARN(s string) bool { return certificateARN.MatchString(s) }

// AttributeRule says which values one attribute takes.
type AttributeRule = attributeRule

// Attribute value rules, for attribute tables of other load balancer types.
var (
	BoolAttribute  = boolValue
	TextAttribute  = textValue
	IntAttribute   = intValue
	IntFromAttr    = intFrom
	OffOrAttribute = offOr
	EnumAttribute  = enumValue
)

// CheckAttributes returns an *AnnotationError for the first unknown key or
// malformed value of attrs, naming the annotation (or field), the key and
// what it accepts.
func CheckAttributes(annotation, kind string, attrs map[string]string, rules map[string]AttributeRule) error {
	return checkAttributes(annotation, kind, attrs, rules)
}

// ResolveSecurityGroups turns ids and Name tags into ids (see
// resolveSecurityGroups); the error names the Service annotation, so callers
// for other objects rename it.
func ResolveSecurityGroups(entries []string, byName map[string][]string) ([]string, error) {
	return resolveSecurityGroups(entries, byName)
}

// ValidLoadBalancerName reports whether name is a name AWS takes for a load
// balancer: 1-32 letters, digits and hyphens, no hyphen first or last, not
// starting with "internal-".
func ValidLoadBalancerName(name string) bool {
	return validLBName.MatchString(name) && !strings.HasPrefix(name, "internal-")
}

// NewAttributeRule is a rule of its own: allowed tells the user what valid
// accepts.
func NewAttributeRule(allowed string, valid func(string) bool) AttributeRule {
	return attributeRule{allowed: allowed, valid: valid}
}

// Valid reports whether the rule takes v.
func (r attributeRule) Valid(v string) bool { return r.valid(v) }
