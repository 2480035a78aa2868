// Package sgpolicy holds the security-group decisions shared by every kind
// of object kelb serves (Services now, Ingress groups later), as pure
// functions.
package sgpolicy

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Flags are the controller-wide settings that bear on backend rules.
type Flags struct {
	// EnableBackendSG is --enable-backend-security-group.
	EnableBackendSG bool
	// ManageBackendRules is --enable-manage-backend-security-group-rules:
	// the default for objects with user-supplied frontend groups and no
	// annotation.
	ManageBackendRules bool
}

// Validate rejects settings that contradict each other.
func (f Flags) Validate() error {
	if f.ManageBackendRules && !f.EnableBackendSG {
		return errors.New("--enable-manage-backend-security-group-rules=true needs the backend security group: " +
			"set --enable-backend-security-group=true, or drop --enable-manage-backend-security-group-rules")
	}
	return nil
}

// Object is what one object (or one Ingress group, resolved) says.
type Object struct {
	// UserFrontendSGs is true when the object names its own frontend groups.
	UserFrontendSGs bool
	// Annotation is the manage-backend-security-group-rules value, nil when
	// the object has none.
	Annotation *bool
}

// ManageBackendRules decides whether kelb manages the rules in the node (or
// pod) security groups for the object: always with a managed frontend group;
// with user-supplied frontend groups as the annotation says, or the flag
// when there is no annotation. Never without the backend group.
func ManageBackendRules(f Flags, o Object) bool {
	switch {
	case !f.EnableBackendSG:
		return false
	case !o.UserFrontendSGs:
		return true
	case o.Annotation != nil:
		return *o.Annotation
	default:
		return f.ManageBackendRules
	}
}

// ResolveAnnotation merges the annotation of the members of a group (an
// IngressGroup): members that set it must agree; members that do not set it
// follow the others. members maps a member's name to its value (nil when
// unset).
func ResolveAnnotation(annotation string, members map[string]*bool) (*bool, error) {
	var value *bool
	byValue := map[bool][]string{}
	for name, v := range members {
		if v == nil {
			continue
		}
		byValue[*v] = append(byValue[*v], name)
		value = v
	}
	if len(byValue) > 1 {
		sort.Strings(byValue[true])
		sort.Strings(byValue[false])
		return nil, fmt.Errorf("annotation %s: members disagree: %q for %s, %q for %s; set the same value on every member",
			annotation, "true", strings.Join(byValue[true], ", "), "false", strings.Join(byValue[false], ", "))
	}
	return value, nil
}
