package ingress

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

// Tracking tag keys of Ingress stacks (LBC v2's; the cluster key is
// model.TagCluster), kept with the other kinds' in internal/model.
const (
	TagStack    = model.TagIngressStack
	TagResource = model.TagIngressResource
)

// Config is the controller-wide configuration the builder applies.
type Config struct {
	ClusterName string
	DefaultTags map[string]string
	// DefaultTagsLowPriority (EnableDefaultTagsLowPriority=true): the
	// objects' tags win over --default-tags.
	DefaultTagsLowPriority bool
	ExternalManagedTags    map[string]bool
	DefaultTargetType      string // --default-target-type
	DefaultSSLPolicy       string // --default-ssl-policy
	DefaultScheme          string // --default-load-balancer-scheme
	// IPTargetsDisabled is EnableIPTargetType=false.
	IPTargetsDisabled bool
	SecurityGroups    sgpolicy.Flags
	// UnrestrictedBackendRules is --disable-restricted-sg-rules.
	UnrestrictedBackendRules bool
	// AddOns are --enable-wafv2, --enable-waf and --enable-shield: an
	// add-on whose flag is off is left as AWS has it.
	AddOns AddOns
}

// Facts are what the builder needs to know about AWS, resolved beforehand
// from Query's answer by cached providers; the builder never calls AWS.
type Facts struct {
	// Subnets are the load balancer's subnet ids: the named ones resolved,
	// or those discovery chose (one per zone).
	Subnets []string
	// DiscoveredCertificates are the ISSUED ACM certificates matching the
	// Ingress's hosts (Query.CertificateHosts), for HTTPS listeners when no
	// certificate is named; the first is the listener's default.
	DiscoveredCertificates []string
	// CertificateStatuses are what AWS holds of the named certificates
	// (Query.Certificates); a named certificate that is not ISSUED is
	// refused before any change.
	CertificateStatuses map[string]service.CertificateStatus
	// SecurityGroupsByName maps the Name tags of security-groups to ids.
	SecurityGroupsByName map[string][]string
	// SSLPolicies are the SSL policies AWS offers application load
	// balancers (Query.SSLPolicies); nil when not looked up.
	SSLPolicies []string
	// TargetGroupsFound says which target groups named by ARN in custom
	// forward actions exist (Query.TargetGroupARNs); nil when not looked
	// up.
	TargetGroupsFound map[string]bool
	// WAFv2ACLsByName maps the regional WAFv2 web ACLs named by
	// wafv2-acl-name (Query.WAFv2ACLNames) to their ARNs; a name missing
	// is an ACL AWS does not have.
	WAFv2ACLsByName map[string]string
	// WAFv2ACLsFound says which WAFv2 web ACLs named by ARN
	// (Query.WAFv2ACLARNs) exist, WAFRegionalACLsFound which classic web
	// ACLs (Query.WAFRegionalACLs); nil when not looked up.
	WAFv2ACLsFound       map[string]bool
	WAFRegionalACLsFound map[string]bool
}

// Input is everything the builder looks at.
type Input struct {
	Ingress *networkingv1.Ingress
	// Class is the Ingress's class selection (Classify); its Params
	// override the annotations.
	Class Class
	// Services are the backend Services, by name, in the Ingress's
	// namespace.
	Services map[string]*corev1.Service
	// OIDCClients are the OIDC Secrets its authentication names
	// (OIDCSecretNames), by name; a missing one is left out.
	OIDCClients map[string]OIDCClient
	Facts       Facts
}

// FactsQuery says which AWS facts an Ingress needs.
type FactsQuery struct {
	Scheme string
	// Subnets are ids or Name tags; SubnetTags tag filters from the params;
	// both empty: discovery by role tag for Scheme.
	Subnets    []string
	SubnetTags map[string][]string
	// CertificateHosts are the hosts to discover certificates for (an
	// HTTPS listener without named certificates); nil otherwise.
	CertificateHosts []string
	// Certificates are the named certificates of HTTPS listeners, whose
	// status AWS is asked for (Facts.CertificateStatuses).
	Certificates []string
	// SecurityGroupNames are Name tags to resolve to ids.
	SecurityGroupNames []string
	// SSLPolicies: an HTTPS listener uses an SSL policy, to be checked
	// against the ones AWS offers.
	SSLPolicies bool
	// TargetGroupARNs are the target groups custom forward actions name
	// by ARN, whose existence AWS is asked for (Facts.TargetGroupsFound).
	TargetGroupARNs []string
	// WAFv2ACLNames are the WAFv2 web ACLs named by name, to resolve to
	// ARNs (Facts.WAFv2ACLsByName); WAFv2ACLARNs those named by ARN and
	// WAFRegionalACLs the classic web ACL ids, whose existence AWS is
	// asked for (Facts.WAFv2ACLsFound, Facts.WAFRegionalACLsFound).
	WAFv2ACLNames   []string
	WAFv2ACLARNs    []string
	WAFRegionalACLs []string
}

// Query returns the facts the Ingress needs; it fails only on input the
// query itself depends on.
func Query(cfg Config, ing *networkingv1.Ingress, class Class) (FactsQuery, error) {
	return query(cfg, service.Annotations(ing.Annotations), class.Params, []*networkingv1.Ingress{ing},
		func() []string { return hostsOf(ing) })
}

// query is Query for the settings a and p of the Ingresses ings, hosts
// giving the hosts to discover certificates for.
func query(cfg Config, a service.Annotations, p *elbv2.IngressClassParams, ings []*networkingv1.Ingress,
	hosts func() []string) (FactsQuery, error) {
	lb, err := readLBSettings(cfg, a, p)
	if err != nil {
		return FactsQuery{}, err
	}
	ls, err := readListenerSettings(cfg, a, p)
	if err != nil {
		return FactsQuery{}, err
	}
	q := FactsQuery{Scheme: lb.scheme, Subnets: lb.subnets, SubnetTags: lb.subnetTags,
		SSLPolicies: needsSSLPolicies(ls)}
	lookups, err := addOnNames(cfg, a, p)
	if err != nil {
		return FactsQuery{}, err
	}
	q.WAFv2ACLNames, q.WAFv2ACLARNs, q.WAFRegionalACLs = lookups.wafv2Names, lookups.wafv2ARNs, lookups.classicIDs
	for _, ing := range ings {
		q.TargetGroupARNs = append(q.TargetGroupARNs, actionTargetGroupARNs(ing)...)
	}
	for _, g := range lb.securityGroups {
		if !strings.HasPrefix(g, "sg-") {
			q.SecurityGroupNames = append(q.SecurityGroupNames, g)
		}
	}
	if slices.Contains(slices.Collect(maps.Values(ls.ports)), ProtocolHTTPS) {
		if len(ls.certificates) == 0 {
			q.CertificateHosts = hosts()
		} else {
			q.Certificates = ls.certificates
		}
	}
	return q, nil
}

// hostsOf are the hosts LBC discovers certificates for: the rules' hosts
// and the TLS sections' hosts, sorted, without duplicates.
func hostsOf(ing *networkingv1.Ingress) []string {
	seen := map[string]bool{}
	for _, r := range ing.Spec.Rules {
		if r.Host != "" {
			seen[r.Host] = true
		}
	}
	for _, t := range ing.Spec.TLS {
		for _, h := range t.Hosts {
			seen[h] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// hosts are the members' hosts, for certificate discovery.
func (b *builder) hosts() []string {
	seen := map[string]bool{}
	for _, m := range b.members {
		for _, h := range hostsOf(m.ing) {
			seen[h] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// builder holds one Build's state.
type builder struct {
	cfg       Config
	in        Input
	lb        lbSettings
	listeners listenerSettings
	// members are the Ingresses of the group, in group order.
	members []member
	// stackNamespace and stackName name the stack's own resources (an
	// implicit group's are its Ingress's).
	stackNamespace, stackName string
	// ann and params are where the load-balancer and listener settings
	// come from: the Ingress's and its class's, or an explicit group's
	// merge.
	ann    service.Annotations
	params *elbv2.IngressClassParams
	// group is the explicit group's plan; nil for an implicit group.
	group *groupPlan
	// excluded are the explicit group's members left out of the build.
	excluded []Excluded
	// groupTags are the members' tags (without --default-tags), for the
	// load balancer, its listeners and its managed group.
	groupTags     map[string]string
	manageBackend bool
	stack         *model.ApplicationStack
	tgIndex       map[string]int
}

// allRules are the members' rules in group order; an implicit group's
// first error fails the build, an explicit group's member whose rules
// fail is left out (excluded) and its rules in AWS kept.
func (b *builder) allRules() ([]rule, error) {
	if b.group == nil {
		var rules []rule
		for _, m := range b.members {
			mr, err := b.ingressRules(m)
			if err != nil {
				return nil, err
			}
			rules = append(rules, mr...)
		}
		return rules, nil
	}
	return b.groupRules(), nil
}

func (b *builder) tracking(resource string) map[string]string {
	return map[string]string{model.TagCluster: b.cfg.ClusterName, TagStack: b.stack.ID.Name, TagResource: resource}
}

// Build returns the desired application load balancer of one Ingress (an
// implicit group of one: stack id "<namespace>/<name>"). An
// *AnnotationError or *FieldError means the Ingress (or its class) is wrong
// and nothing should change in AWS; with External set, AWS or the cluster
// may come to satisfy it without an edit.
func Build(cfg Config, in Input) (*model.ApplicationStack, error) {
	ing := in.Ingress
	a := service.Annotations(ing.Annotations)
	b := &builder{cfg: cfg, in: in, tgIndex: map[string]int{}, stackNamespace: ing.Namespace, stackName: ing.Name,
		ann: a, params: in.Class.Params, stack: &model.ApplicationStack{TargetGroupOptions: map[string]model.ApplicationTargetGroup{}}}
	b.stack.ID = model.StackID{Kind: model.IngressKind, Name: ing.Namespace + "/" + ing.Name}
	m, err := newMember(cfg, ing, in.Class, in.Services, in.OIDCClients)
	if err != nil {
		return nil, err
	}
	b.members, b.groupTags = []member{m}, m.userTags
	if b.lb, err = readLBSettings(cfg, a, in.Class.Params); err != nil {
		return nil, err
	}
	if b.listeners, err = readListenerSettings(cfg, a, in.Class.Params); err != nil {
		return nil, err
	}
	if err := checkSSLPolicy(b.listeners, in.Facts.SSLPolicies); err != nil {
		return nil, err
	}
	if err := b.buildLoadBalancer(); err != nil {
		return nil, err
	}
	if err := b.buildListeners(); err != nil {
		return nil, err
	}
	if b.stack.AddOns, err = addOns(cfg, a, in.Class.Params, in.Facts); err != nil {
		return nil, err
	}
	sort.Slice(b.stack.TargetGroups, func(i, j int) bool {
		return b.stack.TargetGroups[i].ResourceID < b.stack.TargetGroups[j].ResourceID
	})
	sort.Slice(b.stack.Bindings, func(i, j int) bool {
		return b.stack.Bindings[i].TargetGroupID < b.stack.Bindings[j].TargetGroupID
	})
	return b.stack, nil
}

// buildLoadBalancer fills the load balancer and its security groups.
func (b *builder) buildLoadBalancer() error {
	if len(b.in.Facts.Subnets) == 0 {
		role := "kubernetes.io/role/internal-elb"
		if b.lb.scheme == SchemeInternetFacing {
			role = "kubernetes.io/role/elb"
		}
		return &AnnotationError{Annotation: AnnSubnets, Value: strings.Join(b.lb.subnets, ","), External: true,
			Allowed: "ids or Name tags of subnets in two or more zones of the cluster's VPC; or tag them " + role + "=1"}
	}
	name := b.lb.name
	if name == "" {
		// LBC's hash input: cluster, group id, scheme.
		name = b.resourceName(b.cfg.ClusterName, b.stack.ID.Name, b.lb.scheme)
	}
	lb := model.LoadBalancer{Name: name, Type: "application", Scheme: b.lb.scheme, IPAddressType: b.lb.ipAddressType,
		Subnets: slices.Sorted(slices.Values(b.in.Facts.Subnets)), Attributes: b.lb.attributes,
		Tags: model.MergeTags(withDefaultTags(b.cfg, b.groupTags), b.tracking(model.ResourceLoadBalancer))}
	b.manageBackend = sgpolicy.ManageBackendRules(b.cfg.SecurityGroups,
		sgpolicy.Object{UserFrontendSGs: len(b.lb.securityGroups) > 0, Annotation: b.lb.manageBackend})
	if len(b.lb.securityGroups) > 0 {
		ids, err := service.ResolveSecurityGroups(b.lb.securityGroups, b.in.Facts.SecurityGroupsByName)
		if err != nil {
			// The shared helper names the Service annotation.
			var ae *AnnotationError
			if errors.As(err, &ae) {
				ae.Annotation = AnnSecurityGroups
			}
			return err
		}
		lb.SecurityGroups = ids
	} else {
		lb.UseFrontendSG = true
	}
	lb.UseBackendSG = b.manageBackend
	b.stack.LoadBalancer = lb
	return nil
}

// buildListeners makes one listener per listen port (sorted), with its
// certificates and routing, and the managed frontend group's rules for the
// ports.
func (b *builder) buildListeners() error {
	ports := slices.Sorted(maps.Keys(b.listeners.ports))
	var rules []rule
	needRules := false
	for _, port := range ports {
		if b.listeners.ports[port] == ProtocolHTTPS || b.listeners.sslRedirect == 0 {
			needRules = true
		}
	}
	if needRules {
		var err error
		if rules, err = b.allRules(); err != nil {
			return err
		}
	}
	for _, port := range ports {
		protocol := b.listeners.ports[port]
		l := model.Listener{Port: port, Protocol: protocol,
			Tags: model.MergeTags(withDefaultTags(b.cfg, b.groupTags), b.tracking(strconv.Itoa(int(port))))}
		if protocol == ProtocolHTTPS {
			l.Certificates = b.listeners.certificates
			if err := checkNamedCertificates(b.listeners.certField, l.Certificates,
				b.in.Facts.CertificateStatuses); err != nil {
				return err
			}
			if len(l.Certificates) == 0 {
				l.Certificates = b.in.Facts.DiscoveredCertificates
			}
			if len(l.Certificates) == 0 {
				hosts := "the Ingress names no host"
				if h := b.hosts(); len(h) > 0 {
					hosts = strings.Join(h, ", ")
				}
				return &AnnotationError{Annotation: AnnCertificateARN, Value: "", External: true,
					Allowed: fmt.Sprintf("certificate ARNs for the HTTPS listener on port %d, or an ISSUED ACM "+
						"certificate for the Ingress's hosts (%s)", port, hosts)}
			}
			l.SSLPolicy = b.listeners.sslPolicy
			if m, ok := b.listeners.mutualAuth[port]; ok {
				if b.stack.MutualAuthentication == nil {
					b.stack.MutualAuthentication = map[int32]model.MutualAuthentication{}
				}
				b.stack.MutualAuthentication[port] = m
			}
		}
		var err error
		// An explicit group's members agree on the listener attributes
		// (planGroup).
		if l.Attributes, err = listenerAttributesOf(b.ann, b.params, protocol, port); err != nil {
			return err
		}
		routing := model.ListenerRouting{Port: port}
		if routing.DefaultActions, err = b.defaultActions(protocol); err != nil {
			return err
		}
		if !(protocol == ProtocolHTTP && b.listeners.sslRedirect != 0) {
			if routing.Rules, err = b.listenerRules(port, protocol, rules); err != nil {
				return err
			}
		}
		b.stack.Listeners = append(b.stack.Listeners, l)
		b.stack.Routing = append(b.stack.Routing, routing)
	}
	if b.stack.LoadBalancer.UseFrontendSG {
		b.stack.FrontendSG = b.frontendSG(ports)
	}
	return nil
}

// ManagedSGDescription is LBC's description of a managed frontend group.
const ManagedSGDescription = service.ManagedSGDescription

// frontendSG is the managed group as LBC makes it for an Ingress: named
// from the cluster and the group id, one tcp rule per listener port and
// source: the inbound CIDRs (default everyone; IPv6 ones only on dualstack
// load balancers, as LBC) and the prefix lists.
func (b *builder) frontendSG(ports []int32) *model.SecurityGroup {
	cidrs := b.lb.inboundCIDRs
	if len(cidrs) == 0 && len(b.lb.prefixLists) == 0 {
		cidrs = []string{"0.0.0.0/0", "::/0"}
	}
	dual := b.lb.ipAddressType != "ipv4"
	sg := &model.SecurityGroup{
		Name:        b.resourceName(b.cfg.ClusterName, b.stack.ID.Name),
		Description: ManagedSGDescription,
		Tags:        model.MergeTags(withDefaultTags(b.cfg, b.groupTags), b.tracking(model.ResourceManagedLBSG)),
	}
	for _, port := range ports {
		for _, c := range cidrs {
			if strings.Contains(c, ":") && !dual {
				continue
			}
			sg.Ingress = append(sg.Ingress, model.Rule{Protocol: "tcp", FromPort: port, ToPort: port, CIDR: c})
		}
		for _, pl := range b.lb.prefixLists {
			sg.Ingress = append(sg.Ingress, model.Rule{Protocol: "tcp", FromPort: port, ToPort: port, PrefixListID: pl})
		}
	}
	return sg
}
