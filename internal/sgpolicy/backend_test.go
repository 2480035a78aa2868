package sgpolicy

import (
	"strings"
	"testing"
)

func TestManageBackendRulesMatrix(t *testing.T) {
	yes, no := true, false
	// flag off/on x annotation absent/true/false x frontend managed/user
	tests := []struct {
		flag       bool
		annotation *bool
		userSGs    bool
		want       bool
	}{
		{false, nil, false, true}, {false, &yes, false, true}, {false, &no, false, true},
		{true, nil, false, true}, {true, &yes, false, true}, {true, &no, false, true},
		{false, nil, true, false}, {false, &yes, true, true}, {false, &no, true, false},
		{true, nil, true, true}, {true, &yes, true, true}, {true, &no, true, false},
	}
	for _, tt := range tests {
		got := ManageBackendRules(Flags{EnableBackendSG: true, ManageBackendRules: tt.flag},
			Object{UserFrontendSGs: tt.userSGs, Annotation: tt.annotation})
		if got != tt.want {
			t.Errorf("flag %v annotation %v user SGs %v: got %v, want %v", tt.flag, deref(tt.annotation), tt.userSGs, got, tt.want)
		}
	}
	if ManageBackendRules(Flags{EnableBackendSG: false}, Object{Annotation: &yes, UserFrontendSGs: true}) {
		t.Error("no backend group, no backend rules")
	}
}

func deref(b *bool) string {
	if b == nil {
		return "absent"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestFlagsValidate(t *testing.T) {
	if err := (Flags{ManageBackendRules: true, EnableBackendSG: false}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "--enable-backend-security-group") {
		t.Errorf("want a start-up error naming both flags, got %v", err)
	}
	for _, ok := range []Flags{{}, {EnableBackendSG: true}, {EnableBackendSG: true, ManageBackendRules: true}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestResolveAnnotation(t *testing.T) {
	yes, no := true, false
	v, err := ResolveAnnotation("a", map[string]*bool{"ns/one": &yes, "ns/two": nil, "ns/three": &yes})
	if err != nil || v == nil || !*v {
		t.Errorf("agreeing members: %v %v", v, err)
	}
	if v, err := ResolveAnnotation("a", map[string]*bool{"ns/one": nil}); err != nil || v != nil {
		t.Errorf("no member sets it: %v %v", v, err)
	}
	_, err = ResolveAnnotation("alb.ingress.kubernetes.io/manage-backend-security-group-rules",
		map[string]*bool{"ns/one": &yes, "ns/two": &no})
	if err == nil || !strings.Contains(err.Error(), "ns/one") || !strings.Contains(err.Error(), "ns/two") ||
		!strings.Contains(err.Error(), "manage-backend-security-group-rules") {
		t.Errorf("disagreeing members: %v", err)
	}
}
