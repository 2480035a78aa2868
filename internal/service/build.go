package service

import (
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

// Config is the controller-wide configuration the builder applies.
type Config struct {
	ClusterName       string
	DefaultTags       map[string]string
	DefaultTargetType string // instance | ip
	DefaultSSLPolicy  string
	// DefaultScheme (--default-load-balancer-scheme) is the scheme of a
	// Service that names none and has no load balancer yet; "" is internal.
	DefaultScheme string
	// Gates are LBC's feature gates that change what a Service builds.
	Gates Gates
	// SecurityGroups are the flags that decide backend rule management.
	SecurityGroups sgpolicy.Flags
	// ExternalManagedTags (--external-managed-tags) are tag keys other tools
	// manage: kelb never sets or removes them, and an object may not ask
	// for them.
	ExternalManagedTags map[string]bool
	// UnrestrictedBackendRules is --disable-restricted-sg-rules: bindings
	// let the backend group reach every port of their protocols.
	UnrestrictedBackendRules bool
	// RulesPerSecurityGroup is the account's quota of inbound rules per
	// security group and IP family; 0 means AWS's default.
	RulesPerSecurityGroup int
}

// Input is everything the builder looks at.
type Input struct {
	Service        *corev1.Service
	Nodes          []*corev1.Node
	EndpointSlices []*discoveryv1.EndpointSlice
	Facts          Facts
}

// Target types.
const (
	TargetInstance = "instance"
	TargetIP       = "ip"
)

// Build returns the desired stack of a Service. An *AnnotationError means the
// Service is wrong and nothing should change in AWS.
func Build(cfg Config, in Input) (*model.Stack, error) {
	svc := in.Service
	a := annotations(svc.Annotations)
	stackID := model.ServiceStackID(svc.Namespace, svc.Name)

	q, err := QueryFor(cfg, svc, in.Facts)
	if err != nil {
		return nil, err
	}
	subnets, err := chooseSubnets(q, in.Facts.Subnets)
	if err != nil {
		return nil, err
	}
	targetType, err := targetTypeOf(cfg, a)
	if err != nil {
		return nil, err
	}
	ipType, err := a.enum(AnnIPAddressType, "ipv4", "ipv4", "dualstack")
	if err != nil {
		return nil, err
	}
	userTags, err := userTags(cfg, a)
	if err != nil {
		return nil, err
	}
	tagPolicy := tagPolicyOf(cfg, a)
	lbAttrs, err := loadBalancerAttributesOf(a)
	if err != nil {
		return nil, err
	}
	sgOpts, err := securityGroupOptionsOf(cfg, a)
	if err != nil {
		return nil, err
	}
	if err := checkSecurityGroupGate(cfg, in.Facts); err != nil {
		return nil, err
	}
	sgOpts.disabled = sgOpts.disabled || in.Facts.LoadBalancerWithoutSGs || cfg.Gates.NoNLBSecurityGroups

	tracking := func(resource string) map[string]string {
		return model.MergeTags(map[string]string{model.TagCluster: cfg.ClusterName}, stackID.Tags(resource))
	}
	name := a.str(AnnName, loadBalancerName(cfg.ClusterName, svc, q.Scheme))
	if !validLBName.MatchString(name) || strings.HasPrefix(name, "internal-") {
		return nil, &AnnotationError{Annotation: AnnName, Value: name,
			Allowed: "1-32 letters, digits and hyphens, not starting or ending with a hyphen, not starting with internal-"}
	}
	mappings, prefixNAT, err := subnetMappingsOf(a, q.Scheme, ipType, subnets, in.Facts.Subnets)
	if err != nil {
		return nil, err
	}
	privateLink, err := privateLinkInboundRules(a, sgOpts.disabled)
	if err != nil {
		return nil, err
	}
	capacity, err := minimumCapacityOf(cfg, a)
	if err != nil {
		return nil, err
	}
	stack := &model.Stack{
		ID:        stackID,
		TagPolicy: tagPolicy,
		LoadBalancer: model.LoadBalancer{
			Name: name, Type: "network", Scheme: q.Scheme, IPAddressType: ipType, Subnets: subnets,
			Attributes: lbAttrs, Tags: model.MergeTags(userTags, tracking(model.ResourceLoadBalancer)),
			SubnetMappings: mappings, EnablePrefixForIPv6SourceNAT: prefixNAT, PrivateLinkInboundRules: privateLink,
			MinimumCapacity: capacity,
		},
	}
	tgIPType, err := targetGroupIPType(svc, ipType)
	if err != nil {
		return nil, err
	}
	ports, err := buildPorts(cfg, in, a, portsContext{stackID: stackID.Name, targetType: targetType,
		ipType: ipType, tgIPType: tgIPType, tags: userTags, tracking: tracking})
	if err != nil {
		return nil, err
	}
	stack.Listeners, stack.TargetGroups = ports.listeners, ports.targetGroups
	for i := range stack.Listeners {
		if stack.Listeners[i].Attributes, err = listenerAttributesOf(a, stack.Listeners[i]); err != nil {
			return nil, err
		}
	}

	bc := bindingContext{svc: svc, a: a, noSG: sgOpts.disabled, backendSG: sgOpts.manageBackend, scheme: q.Scheme,
		subnets: subnets, facts: in.Facts, unrestricted: cfg.UnrestrictedBackendRules}
	if sgOpts.disabled {
		userRanges, err := userSourceRanges(svc)
		if err != nil {
			return nil, err
		}
		bc.userRanges = userRanges
		stack.BackendRules = cidrRules(in, stack.TargetGroups, q.Scheme, ipType, userRanges, subnets)
	} else {
		if len(sgOpts.user) > 0 {
			if stack.LoadBalancer.SecurityGroups, err = resolveSecurityGroups(sgOpts.user,
				in.Facts.SecurityGroupsByName); err != nil {
				return nil, err
			}
		} else {
			sources, err := frontendSourcesOf(svc, a, ipType, in.Facts.PrefixLists)
			if err != nil {
				return nil, err
			}
			stack.LoadBalancer.UseFrontendSG = true
			stack.FrontendSG = frontendSG(svc, cfg, stack.Listeners, sources,
				model.MergeTags(userTags, tracking(model.ResourceManagedLBSG)))
			if err := checkFrontendRules(cfg, svc, stack.FrontendSG.Ingress, len(sources.cidrs),
				in.Facts.PrefixLists); err != nil {
				return nil, err
			}
		}
		if sgOpts.manageBackend {
			stack.LoadBalancer.UseBackendSG = true
			stack.BackendRules = backendRules(in, stack.TargetGroups)
		}
	}
	if stack.Bindings, err = targetGroupBindings(bc, stack.TargetGroups, ports.servicePorts); err != nil {
		return nil, err
	}
	// Last: every other error is the user's to fix, this one AWS's.
	if err := certificatesReady(stack.Listeners, in.Facts.Certificates); err != nil {
		return nil, err
	}
	return stack, nil
}

// targetTypeOf reads the target type as LBC does: the legacy type nlb-ip,
// else nlb-target-type (exactly instance or ip), else --default-target-type.
func targetTypeOf(cfg Config, a annotations) (string, error) {
	if a[AnnType] == "nlb-ip" {
		return TargetIP, nil
	}
	def := cfg.DefaultTargetType
	if def == "" {
		def = TargetInstance
	}
	t, err := a.enum(AnnTargetType, def, TargetInstance, TargetIP)
	if err == nil && t == TargetIP && cfg.Gates.NoIPTargets {
		return "", &AnnotationError{Annotation: AnnTargetType, Value: t,
			Allowed: "instance (ip targets are off: --feature-gates EnableIPTargetType=false)"}
	}
	return t, err
}

// userTags are --default-tags plus the additional-resource-tags annotation,
// which may not set kelb's tracking keys; a key in both takes the flag's
// value unless --feature-gates EnableDefaultTagsLowPriority=true.
func userTags(cfg Config, a annotations) (map[string]string, error) {
	extra, err := a.keyValues(AnnAdditionalTags)
	if err != nil {
		return nil, err
	}
	for k := range extra {
		if cfg.ExternalManagedTags[k] {
			return nil, &AnnotationError{Annotation: AnnAdditionalTags, Value: k,
				Allowed: "tag keys not managed outside kelb (--external-managed-tags)"}
		}
		if tracking := model.TrackingKeys(); slices.Contains(tracking, k) {
			return nil, &AnnotationError{Annotation: AnnAdditionalTags, Value: k,
				Allowed: "tag keys other than kelb's tracking keys " + strings.Join(tracking, ", ")}
		}
	}
	if cfg.Gates.DefaultTagsLowPriority {
		return model.MergeTags(cfg.DefaultTags, extra), nil
	}
	// LBC: --default-tags win over the annotation's.
	return model.MergeTags(extra, cfg.DefaultTags), nil
}

// AnnAppliedTags records on the Service which keys of its
// additional-resource-tags kelb has applied, so that a key removed from the
// annotation is removed from AWS too, while tags other tools put on the
// resources stay.
const AnnAppliedTags = "kelb.dev/applied-resource-tags"

// AppliedTagKeys returns the value AnnAppliedTags should have once the
// Service's stack is deployed: its annotation's keys, sorted.
func AppliedTagKeys(svc Object) string {
	extra, _ := annotations(svc.GetAnnotations()).keyValues(AnnAdditionalTags)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// tagPolicyOf says which tags kelb may remove from the stack's resources:
// those of the annotation, now or as last applied.
func tagPolicyOf(cfg Config, a annotations) model.TagPolicy {
	p := model.TagPolicy{OnlyRemovable: true, Removable: map[string]bool{}, External: cfg.ExternalManagedTags}
	extra, _ := a.keyValues(AnnAdditionalTags)
	for k := range extra {
		p.Removable[k] = true
	}
	// Split as written: annotation keys are taken untrimmed.
	for _, k := range strings.Split(a[AnnAppliedTags], ",") {
		if k != "" {
			p.Removable[k] = true
		}
	}
	return p
}

// userSourceRanges are the source ranges the user set, from the spec or the
// annotation.
func userSourceRanges(svc *corev1.Service) ([]string, error) {
	field := "spec.loadBalancerSourceRanges"
	items := svc.Spec.LoadBalancerSourceRanges
	if len(items) == 0 {
		field = AnnSourceRanges
		items = annotations(svc.Annotations).list(AnnSourceRanges)
	}
	return parseCIDRs(field, items)
}

// sourceRanges are the CIDRs the managed frontend group allows: the user's,
// else everyone of the load balancer's families, unless the Service names
// prefix lists (then those are the only sources, as in LBC).
func sourceRanges(svc *corev1.Service, ipType string, prefixLists bool) ([]string, error) {
	cidrs, err := userSourceRanges(svc)
	if err != nil {
		return nil, err
	}
	if err := checkSourceFamilies(svc, cidrs, ipType); err != nil {
		return nil, err
	}
	if len(cidrs) == 0 && !prefixLists {
		cidrs = []string{"0.0.0.0/0"}
		if ipType == "dualstack" {
			cidrs = append(cidrs, "::/0")
		}
	}
	return cidrs, nil
}

// frontendSG is the managed group as LBC makes it: LBC's name and
// description, one rule per listener port, protocol and source (range or
// prefix list), the Path MTU Discovery ICMP rule per source range when
// asked, and no rule descriptions (the rules are the group's by
// construction).
func frontendSG(svc *corev1.Service, cfg Config, listeners []model.Listener, sources frontendSources,
	tags map[string]string) *model.SecurityGroup {
	sg := &model.SecurityGroup{Name: managedSGName(cfg.ClusterName, svc), Description: ManagedSGDescription, Tags: tags}
	for _, l := range listeners {
		for _, proto := range model.RuleProtocols(l.Protocol) {
			for _, cidr := range sources.cidrs {
				sg.Ingress = append(sg.Ingress, model.Rule{Protocol: proto, FromPort: l.Port, ToPort: l.Port, CIDR: cidr})
			}
			for _, pl := range sources.prefixLists {
				sg.Ingress = append(sg.Ingress, model.Rule{Protocol: proto, FromPort: l.Port, ToPort: l.Port, PrefixListID: pl})
			}
		}
	}
	if sources.icmpPathMTU {
		sg.Ingress = append(sg.Ingress, pathMTURules(sources.cidrs)...)
	}
	return sg
}

// nodeTargets returns the node security groups behind a target group's
// targets and the ports they receive traffic on.
func nodeTargets(in Input, tg model.TargetGroup) (groups []string, ports map[int32]bool) {
	nodeInstance := map[string]string{}
	for _, n := range in.Nodes {
		if id := instanceID(n); id != "" {
			nodeInstance[n.Name] = id
		}
	}
	ipNodes := ipTargetNodes(in.EndpointSlices)
	ports = map[int32]bool{}
	seen := map[string]bool{}
	for _, t := range tg.Targets {
		ports[t.Port] = true
		instance := t.ID
		if tg.TargetType == TargetIP {
			instance = nodeInstance[ipNodes[t.ID]]
		}
		if sg := in.Facts.InstanceSGs[instance]; sg != "" && !seen[sg] {
			seen[sg] = true
			groups = append(groups, sg)
		}
	}
	return groups, ports
}

// backendRules are the ports each node security group must open to the
// backend security group: traffic with the target group's protocol, health
// checks over tcp on their own port or the traffic port (a UDP target
// group's TCP health checks too).
func backendRules(in Input, tgs []model.TargetGroup) []model.BackendRule {
	seen := map[model.BackendRule]bool{}
	for _, tg := range tgs {
		groups, ports := nodeTargets(in, tg)
		rules := sgpolicy.TargetGroupRules(targetGroupPorts(tg, ports))
		for _, sg := range groups {
			for _, r := range rules {
				seen[model.BackendRule{NodeSG: sg, Protocol: r.Protocol, Port: r.Port}] = true
			}
		}
	}
	return model.SortedBackendRules(seen)
}

// targetGroupPorts is what a target group's targets receive, for the rules
// in front of them.
func targetGroupPorts(tg model.TargetGroup, trafficPorts map[int32]bool) sgpolicy.TargetGroupPorts {
	out := sgpolicy.TargetGroupPorts{Protocol: tg.Protocol}
	for p := range trafficPorts {
		out.TrafficPorts = append(out.TrafficPorts, p)
	}
	if hc, err := parsePort(tg.HealthCheck.Port); err == nil {
		out.HealthCheckPort = hc
	}
	return out
}

type securityGroupOptions struct {
	user          []string // user-supplied frontend groups
	disabled      bool     // the load balancer has no security groups
	manageBackend bool     // kelb manages the node rules from the backend group
}

func securityGroupOptionsOf(cfg Config, a annotations) (securityGroupOptions, error) {
	o := securityGroupOptions{user: a.list(AnnSecurityGroups)}
	var err error
	if o.disabled, err = a.boolean(AnnNLBDisableSG, false); err != nil {
		return o, err
	}
	var manage *bool
	if _, ok := a[AnnManageBackendSGRules]; ok {
		v, err := a.boolean(AnnManageBackendSGRules, false)
		if err != nil {
			return o, err
		}
		manage = &v
	}
	o.manageBackend = sgpolicy.ManageBackendRules(cfg.SecurityGroups,
		sgpolicy.Object{UserFrontendSGs: len(o.user) > 0, Annotation: manage})
	return o, nil
}
