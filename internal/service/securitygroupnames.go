package service

import "strings"

// securityGroupNamesIn returns the entries of the security-groups
// annotation that are Name tags rather than ids: they need a look-up.
func securityGroupNamesIn(a annotations) []string {
	var out []string
	for _, v := range a.list(AnnSecurityGroups) {
		if !strings.HasPrefix(v, "sg-") {
			out = append(out, v)
		}
	}
	return out
}

// resolveSecurityGroups turns the annotation's ids and Name tags into ids,
// in the order given, without duplicates. A name no group of the VPC has
// yet is retried (the group may be about to be made); nothing is made for
// the Service meanwhile.
func resolveSecurityGroups(entries []string, byName map[string][]string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, e := range entries {
		if strings.HasPrefix(e, "sg-") {
			add(e)
			continue
		}
		ids := byName[e]
		if len(ids) == 0 {
			return nil, &AnnotationError{Annotation: AnnSecurityGroups, Value: e, External: true,
				Allowed: "ids (sg-...) or Name tags of security groups in the cluster's VPC"}
		}
		for _, id := range ids {
			add(id)
		}
	}
	return out, nil
}
