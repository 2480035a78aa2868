package service

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

// DefaultRulesPerSecurityGroup is AWS's default quota of inbound rules per
// security group, counted separately for IPv4 and IPv6 rules.
const DefaultRulesPerSecurityGroup = 60

// checkFrontendRules refuses a managed frontend group that AWS would not
// take: one rule per listener, protocol and source range, at most the quota
// per IP family. Found here, nothing is created for the Service.
func checkFrontendRules(cfg Config, svc *corev1.Service, rules []model.Rule, sources int, lists map[string]PrefixList) error {
	quota := cfg.RulesPerSecurityGroup
	if quota == 0 {
		quota = DefaultRulesPerSecurityGroup
	}
	var v4, v6 int
	for _, r := range rules {
		// A prefix-list rule counts as the list's maximum entries in its
		// family (AWS-managed lists count by a weight AWS does not
		// report: at least one).
		if r.PrefixListID != "" {
			l := lists[r.PrefixListID]
			n := max(int(l.MaxEntries), 1)
			if l.AddressFamily == "IPv6" {
				v6 += n
			} else {
				v4 += n
			}
			continue
		}
		if strings.Contains(r.CIDR, ":") {
			v6++
		} else {
			v4++
		}
	}
	if v4 <= quota && v6 <= quota {
		return nil
	}
	field := "spec.loadBalancerSourceRanges"
	if len(svc.Spec.LoadBalancerSourceRanges) == 0 {
		field = AnnSourceRanges
	}
	return fmt.Errorf("%w: the managed frontend security group would need %d IPv4 and %d IPv6 inbound rules "+
		"(one per listener, protocol and source range: %d ranges from %s or the default; a prefix list of %s "+
		"counts as its maximum entries), over the quota of %d per IP family (\"Inbound or outbound rules per "+
		"security group\"); use fewer ports, source ranges or prefix lists, or your own groups (annotation %s)",
		ErrInvalid, v4, v6, sources, field, AnnSGPrefixLists, quota, AnnSecurityGroups)
}

// frontendSources are what the managed frontend group lets in: source
// ranges, managed prefix lists, and whether the Path MTU Discovery ICMP
// rules go in too.
type frontendSources struct {
	cidrs       []string
	prefixLists []string
	icmpPathMTU bool
}

// validPrefixListID is the form of a managed prefix list id.
var validPrefixListID = regexp.MustCompile(`^pl-[0-9a-f]{8,17}$`)

// prefixListQuery returns the well-formed ids of security-group-prefix-lists,
// whose existence the builder needs to know.
func prefixListQuery(a annotations) []string {
	var out []string
	for _, id := range a.list(AnnSGPrefixLists) {
		if validPrefixListID.MatchString(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// frontendSourcesOf reads the sources of the managed frontend group as LBC
// does: listener ports from each source range and each prefix list of
// security-group-prefix-lists; with prefix lists and no source range, the
// prefix lists alone (no 0.0.0.0/0 default). Unlike LBC, a malformed id,
// an id of no existing list (retried: the list may come), or an empty list
// is refused before any AWS call (LBC would send it and fail halfway, or
// with an empty value shut the load balancer off).
func frontendSourcesOf(svc *corev1.Service, a annotations, ipType string, lists map[string]PrefixList) (frontendSources, error) {
	var out frontendSources
	raw, named := a.value(AnnSGPrefixLists)
	if named {
		out.prefixLists = a.list(AnnSGPrefixLists)
		if len(out.prefixLists) == 0 {
			return out, &AnnotationError{Annotation: AnnSGPrefixLists, Value: raw,
				Allowed: "comma-separated managed prefix list ids (pl-...), at least one"}
		}
		seen := map[string]bool{}
		for _, id := range out.prefixLists {
			if !validPrefixListID.MatchString(id) {
				return out, &AnnotationError{Annotation: AnnSGPrefixLists, Value: id,
					Allowed: "managed prefix list ids: pl- and 8 to 17 lower-case hexadecimal digits"}
			}
			if seen[id] {
				return out, &AnnotationError{Annotation: AnnSGPrefixLists, Value: id,
					Allowed: "each prefix list once"}
			}
			seen[id] = true
			// nil: not looked up (only a builder without facts).
			if _, ok := lists[id]; lists != nil && !ok {
				return out, &AnnotationError{Annotation: AnnSGPrefixLists, Value: id,
					Allowed: "ids of managed prefix lists that exist in the region", External: true}
			}
		}
	}
	var err error
	if out.cidrs, err = sourceRanges(svc, ipType, named); err != nil {
		return out, err
	}
	icmp, err := a.enum(AnnICMPPathMTUDiscovery, "off", "on", "off")
	if err != nil {
		return out, err
	}
	out.icmpPathMTU = icmp == "on"
	return out, nil
}

// ICMP messages Path MTU Discovery needs (RFC 1191, RFC 8201): for IPv4
// destination unreachable, fragmentation needed (type 3, code 4); for IPv6
// packet too big (type 2, code 0).
const (
	icmpDestinationUnreachable int32 = 3
	icmpFragmentationNeeded    int32 = 4
	icmpv6PacketTooBig         int32 = 2
)

// pathMTURules are LBC's ICMP rules of enable-icmp-for-path-mtu-discovery:
// one from each source range, icmp for IPv4 ranges and icmpv6 for IPv6
// ones. Prefix lists get none, as in LBC.
func pathMTURules(cidrs []string) []model.Rule {
	var out []model.Rule
	for _, c := range cidrs {
		if strings.Contains(c, ":") {
			out = append(out, model.Rule{Protocol: "icmpv6", FromPort: icmpv6PacketTooBig, ToPort: 0, CIDR: c})
		} else {
			out = append(out, model.Rule{Protocol: "icmp", FromPort: icmpDestinationUnreachable,
				ToPort: icmpFragmentationNeeded, CIDR: c})
		}
	}
	return out
}
