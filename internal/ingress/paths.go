package ingress

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// pathPatterns maps an Ingress path to the path-pattern values of its rule,
// as LBC does: Exact "/foo" matches "/foo" only; Prefix "/foo" (or "/foo/")
// matches "/foo" and everything under "/foo/", and Prefix "/" everything;
// ImplementationSpecific (or no pathType) is taken as written, ELB
// wildcards (* and ?) included. Exact and Prefix paths may not hold
// wildcards: ELB would read them as wildcards, which Kubernetes does not
// mean. An empty path adds no pattern. With use-regex-path-match, an
// ImplementationSpecific path is a regular expression after its leading
// "/" (Kubernetes wants paths to start with one, the expression may not),
// as LBC reads it; Exact and Prefix paths are unchanged.
func pathPatterns(field string, p networkingv1.HTTPIngressPath, useRegex bool) (pathMatch, error) {
	if p.Path == "" {
		return pathMatch{}, nil
	}
	if useRegex && pathTypeOf(p) == networkingv1.PathTypeImplementationSpecific {
		re := strings.TrimPrefix(p.Path, "/")
		if msg := regexError(re, maxConditionValueLength); msg != "" {
			return pathMatch{}, &FieldError{Field: field + ".path", Value: p.Path,
				Allowed: "/ followed by " + msg + " (" + AnnUseRegexPathMatch + " is true)"}
		}
		return pathMatch{regex: []string{re}}, nil
	}
	values, err := pathValues(field, p)
	return pathMatch{values: values}, err
}

// pathMatch is what an Ingress path matches: path patterns (values) or
// regular expressions (regex).
type pathMatch struct {
	values, regex []string
}

func pathValues(field string, p networkingv1.HTTPIngressPath) ([]string, error) {
	switch pathTypeOf(p) {
	case networkingv1.PathTypeExact:
		if strings.ContainsAny(p.Path, "*?") {
			return nil, &FieldError{Field: field + ".path", Value: p.Path,
				Allowed: "a path without * or ? for pathType Exact (use ImplementationSpecific for ELB wildcards)"}
		}
		return []string{p.Path}, nil
	case networkingv1.PathTypePrefix:
		if p.Path == "/" {
			return []string{"/*"}, nil
		}
		if strings.ContainsAny(p.Path, "*?") {
			return nil, &FieldError{Field: field + ".path", Value: p.Path,
				Allowed: "a path without * or ? for pathType Prefix (use ImplementationSpecific for ELB wildcards)"}
		}
		trimmed := strings.TrimSuffix(p.Path, "/")
		return []string{trimmed, trimmed + "/*"}, nil
	case networkingv1.PathTypeImplementationSpecific:
		return []string{p.Path}, nil
	}
	return nil, &FieldError{Field: field + ".pathType", Value: string(*p.PathType),
		Allowed: "Exact, Prefix or ImplementationSpecific"}
}

func pathTypeOf(p networkingv1.HTTPIngressPath) networkingv1.PathType {
	if p.PathType == nil {
		return networkingv1.PathTypeImplementationSpecific
	}
	return *p.PathType
}

// indexedPath is a path with its place in the spec, for error messages.
type indexedPath struct {
	field string
	path  networkingv1.HTTPIngressPath
}

// sortPaths orders the paths of one Ingress rule as LBC does, so that the
// more specific match comes first: Exact paths in spec order, then Prefix
// paths longest first (ties in spec order), then ImplementationSpecific
// paths (and paths without pathType) in spec order.
func sortPaths(ruleField string, paths []networkingv1.HTTPIngressPath) []indexedPath {
	var exact, prefix, other []indexedPath
	for i, p := range paths {
		ip := indexedPath{field: fmt.Sprintf("%s.http.paths[%d]", ruleField, i), path: p}
		switch pathTypeOf(p) {
		case networkingv1.PathTypeExact:
			exact = append(exact, ip)
		case networkingv1.PathTypePrefix:
			prefix = append(prefix, ip)
		default:
			other = append(other, ip)
		}
	}
	sort.SliceStable(prefix, func(i, j int) bool { return len(prefix[i].path.Path) > len(prefix[j].path.Path) })
	out := append(exact, prefix...)
	return append(out, other...)
}
