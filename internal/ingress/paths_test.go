package ingress

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
)

func pathOf(path string, pt networkingv1.PathType) networkingv1.HTTPIngressPath {
	p := networkingv1.HTTPIngressPath{Path: path}
	if pt != "" {
		p.PathType = &pt
	}
	return p
}

func TestPathPatterns(t *testing.T) {
	const (
		exact    = networkingv1.PathTypeExact
		prefix   = networkingv1.PathTypePrefix
		specific = networkingv1.PathTypeImplementationSpecific
	)
	tests := []struct {
		name    string
		path    networkingv1.HTTPIngressPath
		regex   bool // use-regex-path-match
		want    pathMatch
		wantErr error
	}{
		{"exact", pathOf("/foo", exact), false, values("/foo"), nil},
		{"exact keeps a trailing slash", pathOf("/foo/", exact), false, values("/foo/"), nil},
		{"prefix matches the path and below", pathOf("/foo", prefix), false, values("/foo", "/foo/*"), nil},
		{"prefix with a trailing slash", pathOf("/foo/", prefix), false, values("/foo", "/foo/*"), nil},
		{"prefix root matches everything", pathOf("/", prefix), false, values("/*"), nil},
		{"implementation specific as written, wildcards allowed", pathOf("/img/*.png", specific), false,
			values("/img/*.png"), nil},
		{"no pathType is implementation specific", pathOf("/a?c", ""), false, values("/a?c"), nil},
		{"empty path adds no pattern", pathOf("", prefix), false, pathMatch{}, nil},
		{"exact refuses wildcards", pathOf("/foo*", exact), false, pathMatch{}, &FieldError{Field: "p.path", Value: "/foo*",
			Allowed: "a path without * or ? for pathType Exact (use ImplementationSpecific for ELB wildcards)"}},
		{"prefix refuses wildcards", pathOf("/fo?", prefix), false, pathMatch{}, &FieldError{Field: "p.path", Value: "/fo?",
			Allowed: "a path without * or ? for pathType Prefix (use ImplementationSpecific for ELB wildcards)"}},
		{"unknown pathType", pathOf("/foo", "Regex"), false, pathMatch{}, &FieldError{Field: "p.pathType", Value: "Regex",
			Allowed: "Exact, Prefix or ImplementationSpecific"}},
		// use-regex-path-match, as LBC: ImplementationSpecific paths are a
		// regular expression after their leading "/".
		{"regex: implementation specific", pathOf("/^/api/v[0-9]+/.+$", specific), true,
			pathMatch{regex: []string{"^/api/v[0-9]+/.+$"}}, nil},
		{"regex: no pathType", pathOf("/^api/.+$", ""), true, pathMatch{regex: []string{"^api/.+$"}}, nil},
		{"regex: prefix paths are unchanged", pathOf("/foo", prefix), true, values("/foo", "/foo/*"), nil},
		{"regex: exact paths are unchanged", pathOf("/foo", exact), true, values("/foo"), nil},
		{"regex: the root leaves an empty expression", pathOf("/", specific), true, pathMatch{}, &FieldError{
			Field: "p.path", Value: "/", Allowed: "/ followed by a regular expression of 1 to 128 characters " +
				"(" + AnnUseRegexPathMatch + " is true)"}},
		{"regex: unclosed group", pathOf("/^/(api$", specific), true, pathMatch{}, &FieldError{
			Field: "p.path", Value: "/^/(api$", Allowed: "/ followed by a regular expression of 1 to 128 characters " +
				"(missing closing )) (" + AnnUseRegexPathMatch + " is true)"}},
		{"regex: look-ahead, which AWS does not support", pathOf("/^/(?!admin).*$", specific), true, pathMatch{},
			&FieldError{Field: "p.path", Value: "/^/(?!admin).*$", Allowed: "/ followed by a regular expression of 1 " +
				"to 128 characters without lookarounds, backreferences, atomic groups, possessive quantifiers, " +
				"subroutines, recursion or \\p classes (AWS does not support them) (" + AnnUseRegexPathMatch + " is true)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pathPatterns("p", tt.path, tt.regex)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(pathMatch{})); diff != "" {
				t.Errorf("patterns (-want +got):\n%s", diff)
			}
		})
	}
}

func values(v ...string) pathMatch { return pathMatch{values: v} }

// TestSortPaths: Exact first in spec order, then Prefix longest first (ties
// in spec order), then ImplementationSpecific and untyped in spec order.
func TestSortPaths(t *testing.T) {
	paths := []networkingv1.HTTPIngressPath{
		pathOf("/a", networkingv1.PathTypePrefix),
		pathOf("/x/*", networkingv1.PathTypeImplementationSpecific),
		pathOf("/exact", networkingv1.PathTypeExact),
		pathOf("/abc", networkingv1.PathTypePrefix),
		pathOf("/y", ""),
		pathOf("/b", networkingv1.PathTypePrefix),
		pathOf("/e2", networkingv1.PathTypeExact),
	}
	var got []string
	for _, p := range sortPaths("spec.rules[0]", paths) {
		got = append(got, p.field+" "+p.path.Path)
	}
	want := []string{
		"spec.rules[0].http.paths[2] /exact",
		"spec.rules[0].http.paths[6] /e2",
		"spec.rules[0].http.paths[3] /abc",
		"spec.rules[0].http.paths[0] /a",
		"spec.rules[0].http.paths[5] /b",
		"spec.rules[0].http.paths[1] /x/*",
		"spec.rules[0].http.paths[4] /y",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
