package service

import (
	"sort"
	"strings"
)

// Facts are what the builder needs to know about AWS, resolved beforehand by
// cached providers.
type Facts struct {
	VPCID string
	// Subnets are the subnets matching the Service's query: the named ones,
	// or every candidate found by tag discovery.
	Subnets []Subnet
	// InstanceSGs maps an instance id to the security group that receives the
	// rules for load balancer traffic.
	InstanceSGs map[string]string
	// VPCCIDRs are the VPC's CIDR blocks: where an internal load balancer's
	// clients are when nothing narrower is known.
	VPCCIDRs []string
	// LoadBalancerWithoutSGs: the Service's load balancer exists without
	// security groups, which AWS cannot add; it is served as one.
	LoadBalancerWithoutSGs bool
	// Certificates says what AWS holds of each certificate the query named;
	// nil when none was looked up.
	Certificates map[string]CertificateStatus
	// SSLPolicies are the names of the SSL policies AWS offers network load
	// balancers; nil when not looked up (no certificate named).
	SSLPolicies []string
	// SecurityGroupsByName maps each Name tag the security-groups
	// annotation uses to the ids of the VPC's groups that carry it.
	SecurityGroupsByName map[string][]string
	// PrefixLists are the managed prefix lists the Service names that
	// exist, by id; nil when none was looked up.
	PrefixLists map[string]PrefixList
	// ExistingScheme is the scheme of the Service's load balancer in AWS, ""
	// when it has none: kept when no annotation names one, as LBC keeps it.
	ExistingScheme string
	// ExistingSubnets are the subnets of the Service's load balancer in AWS:
	// kept when no annotation names subnets and the scheme stays, as LBC
	// keeps them, so that a VPC changed since makes no SetSubnets.
	ExistingSubnets []string
}

// Subnet is one subnet fact.
type Subnet struct {
	ID            string
	Name          string // Name tag
	AZ            string
	CIDR          string
	IPv6CIDRs     []string // associated IPv6 blocks
	ClusterTagged bool     // tagged kubernetes.io/cluster/<cluster>
	// Locale is where the subnet is: LocaleAvailabilityZone, LocaleLocalZone,
	// LocaleWavelengthZone, LocaleOutpost, or AWS's zone type if another.
	Locale string
}

// Subnet locales: a load balancer's subnets are all of one, as LBC requires.
const (
	LocaleAvailabilityZone = "availability-zone"
	LocaleLocalZone        = "local-zone"
	LocaleWavelengthZone   = "wavelength-zone"
	LocaleOutpost          = "outpost"
)

// FactsQuery says which facts a Service needs.
type FactsQuery struct {
	Scheme string
	// Subnets are ids or Name tags from the annotation, or the ids of the
	// load balancer's subnets (KeptSubnets); empty means discover.
	Subnets []string
	// KeptSubnets: Subnets are those the load balancer has (no annotation,
	// the same scheme).
	KeptSubnets bool
	// VPCCIDRs: the Service needs the VPC's CIDR blocks (a load balancer
	// without security groups).
	VPCCIDRs bool
	// Certificates are the well-formed certificate ARNs of the ssl-cert
	// annotation: their status, and the SSL policies, are needed.
	Certificates []string
	// SecurityGroupNames are the Name tags of the security-groups
	// annotation, to resolve to ids.
	SecurityGroupNames []string
	// PrefixLists are the well-formed ids of security-group-prefix-lists,
	// to check that they exist.
	PrefixLists []string
}

// PrefixList is what kelb knows of a managed prefix list: a rule from it
// counts as MaxEntries rules of its address family (IPv4 or IPv6) towards
// the group's quota.
type PrefixList struct {
	AddressFamily string
	MaxEntries    int32
}

// Query returns the facts a Service needs; it fails only on annotations the
// query itself depends on. existingScheme is the scheme of the Service's load
// balancer in AWS ("" when there is none).
func Query(cfg Config, svc Object, existingScheme string) (FactsQuery, error) {
	return QueryFor(cfg, svc, Facts{ExistingScheme: existingScheme})
}

// QueryFor is Query given what AWS has of the Service's load balancer
// (f.ExistingScheme, f.ExistingSubnets): as in LBC, a Service that names no
// subnets keeps those its load balancer has while the scheme stays, and
// only a new load balancer (or a new scheme) discovers subnets.
func QueryFor(cfg Config, svc Object, f Facts) (FactsQuery, error) {
	a := annotations(svc.GetAnnotations())
	scheme, err := schemeOf(cfg, a, f.ExistingScheme)
	if err != nil {
		return FactsQuery{}, err
	}
	noSG, err := a.boolean(AnnNLBDisableSG, false)
	if err != nil {
		return FactsQuery{}, err
	}
	q := FactsQuery{Scheme: scheme, Subnets: a.list(AnnSubnets), VPCCIDRs: noSG || cfg.Gates.NoNLBSecurityGroups,
		Certificates: certificateQuery(a), SecurityGroupNames: securityGroupNamesIn(a),
		PrefixLists: prefixListQuery(a)}
	if len(q.Subnets) == 0 && scheme == f.ExistingScheme && len(f.ExistingSubnets) > 0 {
		q.Subnets, q.KeptSubnets = append([]string(nil), f.ExistingSubnets...), true
	}
	return q, nil
}

// Object is the part of a Kubernetes object the query needs.
type Object interface{ GetAnnotations() map[string]string }

// schemeOf decides the scheme as LBC does: the scheme annotation (exactly
// internal or internet-facing), else the deprecated internal annotation (a
// boolean), else the scheme of the load balancer the Service already has
// (so that a changed default never replaces one), else
// --default-load-balancer-scheme.
func schemeOf(cfg Config, a annotations, existing string) (string, error) {
	if _, set := a.value(AnnScheme); set {
		return a.enum(AnnScheme, "", SchemeInternal, SchemeInternetFacing)
	}
	internal, set, err := a.optionalBool(AnnInternal)
	switch {
	case err != nil:
		return "", err
	case set && internal:
		return SchemeInternal, nil
	case set:
		return SchemeInternetFacing, nil
	case existing == SchemeInternal || existing == SchemeInternetFacing:
		return existing, nil
	case cfg.DefaultScheme != "":
		return cfg.DefaultScheme, nil
	}
	return SchemeInternal, nil
}

// Scheme values.
const (
	SchemeInternal       = "internal"
	SchemeInternetFacing = "internet-facing"
)

// chooseSubnets picks the load balancer's subnets: every named one (one per
// zone), or one discovered subnet per zone, preferring subnets tagged for the
// cluster, then the lowest id.
func chooseSubnets(q FactsQuery, found []Subnet) ([]string, error) {
	ids, err := chooseSubnetsByRule(q, found)
	if err != nil {
		return nil, err
	}
	return ids, oneLocale(q, ids, found)
}

func chooseSubnetsByRule(q FactsQuery, found []Subnet) ([]string, error) {
	if q.KeptSubnets {
		return keptSubnets(q.Subnets, found)
	}
	if len(q.Subnets) > 0 {
		return namedSubnets(q.Subnets, found)
	}
	sorted := append([]Subnet(nil), found...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].ClusterTagged != sorted[j].ClusterTagged {
			return sorted[i].ClusterTagged
		}
		return sorted[i].ID < sorted[j].ID
	})
	byAZ := map[string]string{}
	for _, s := range sorted {
		if _, ok := byAZ[s.AZ]; !ok {
			byAZ[s.AZ] = s.ID
		}
	}
	if len(byAZ) == 0 {
		role := "kubernetes.io/role/internal-elb"
		if q.Scheme == SchemeInternetFacing {
			role = "kubernetes.io/role/elb"
		}
		return nil, &AnnotationError{Annotation: AnnSubnets, Value: "", External: true,
			Allowed: "subnet ids or Name tags; or tag subnets of the VPC with " + role + "=1 for discovery"}
	}
	return sortedValues(byAZ), nil
}

func namedSubnets(names []string, found []Subnet) ([]string, error) {
	byAZ := map[string]string{}
	for _, n := range names {
		var match *Subnet
		for i := range found {
			if found[i].ID == n || found[i].Name == n {
				match = &found[i]
				break
			}
		}
		if match == nil {
			return nil, &AnnotationError{Annotation: AnnSubnets, Value: n, External: true,
				Allowed: "ids or Name tags of existing subnets in the cluster's VPC"}
		}
		if other, dup := byAZ[match.AZ]; dup && other != match.ID {
			return nil, &AnnotationError{Annotation: AnnSubnets, Value: strings.Join(names, ","),
				Allowed: "at most one subnet per availability zone (" + match.AZ + " has " + other + " and " + match.ID + ")"}
		}
		byAZ[match.AZ] = match.ID
	}
	return sortedValues(byAZ), nil
}

// oneLocale refuses, as LBC does, a choice of subnets that mixes
// availability zones, local zones, Wavelength zones and Outposts: a load
// balancer lives in one kind of place. Named subnets wait for an edit;
// discovered ones (or kept ones) for AWS to change.
func oneLocale(q FactsQuery, ids []string, found []Subnet) error {
	byID := map[string]Subnet{}
	for _, s := range found {
		byID[s.ID] = s
	}
	var where []string
	seen := map[string]bool{}
	for _, id := range ids {
		s := byID[id]
		locale := s.Locale
		if locale == "" {
			locale = LocaleAvailabilityZone
		}
		if !seen[locale] {
			seen[locale] = true
			where = append(where, id+" in "+strings.ReplaceAll(locale, "-", " "))
		}
	}
	if len(seen) < 2 {
		return nil
	}
	named := len(q.Subnets) > 0 && !q.KeptSubnets
	value := ""
	if named {
		value = strings.Join(q.Subnets, ",")
	}
	return &AnnotationError{Annotation: AnnSubnets, Value: value, External: !named,
		Allowed: "subnets all in availability zones, all in local zones, all in Wavelength zones or all on Outposts " +
			"(found " + strings.Join(where, ", ") + ")"}
}

// keptSubnets checks that the load balancer's subnets still exist; AWS does
// not let a subnet holding a load balancer go, so this fails only on a stale
// inventory, and the Service is retried.
func keptSubnets(ids []string, found []Subnet) ([]string, error) {
	have := map[string]bool{}
	for _, s := range found {
		have[s.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			return nil, &AnnotationError{Annotation: AnnSubnets, Value: "", External: true,
				Allowed: "subnet ids or Name tags; without them the load balancer keeps its subnets while its scheme " +
					"stays, and its subnet " + id + " was not found in the cluster's VPC"}
		}
	}
	return namedSubnets(ids, found)
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
