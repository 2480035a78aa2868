package ingress

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// The fact providers the controller reads (internal/cloud's, cached).
type (
	// Subnets resolves the load balancer's subnets.
	Subnets interface {
		ResolveALB(ctx context.Context, q ingress.FactsQuery) ([]string, error)
	}
	// Certificates lists the ISSUED ACM certificates, for discovery.
	Certificates interface {
		List(ctx context.Context) ([]ingress.ACMCertificate, error)
	}
	// CertificateStatuses says what AWS holds of named certificates.
	CertificateStatuses interface {
		Status(ctx context.Context, arns []string) (map[string]service.CertificateStatus, error)
	}
	// SecurityGroupNames resolves security groups named by Name tag.
	SecurityGroupNames interface {
		Resolve(ctx context.Context, names []string) (map[string][]string, error)
	}
	// SSLPolicies lists the SSL policies AWS offers application load
	// balancers.
	SSLPolicies interface {
		Names(ctx context.Context) ([]string, error)
	}
	// TargetGroups says which target groups exist, for those custom
	// forward actions name by ARN.
	TargetGroups interface {
		Exist(ctx context.Context, arns []string) (map[string]bool, error)
	}
	// WebACLNames resolves regional WAFv2 web ACL names to ARNs.
	WebACLNames interface {
		Resolve(ctx context.Context, names []string) (map[string]string, error)
	}
	// WebACLs says which WAFv2 web ACLs named by ARN exist;
	// ClassicWebACLs which classic WAF web ACLs exist.
	WebACLs interface {
		Exist(ctx context.Context, arns []string) (map[string]bool, error)
	}
	ClassicWebACLs interface {
		Exist(ctx context.Context, ids []string) (map[string]bool, error)
	}
)

// build gathers the facts the Ingress needs (its backend Services; from
// AWS only what its annotations call for) and builds its desired stack
// purely. Every error here comes before any change in AWS.
func (c *Controller) build(ctx context.Context, ing *networkingv1.Ingress,
	class ingress.Class) (*model.ApplicationStack, error) {
	q, err := ingress.Query(c.Config, ing, class)
	if err != nil {
		return nil, err
	}
	in := ingress.Input{Ingress: ing, Class: class}
	if in.Services, err = c.backendServices(ctx, ing); err != nil {
		return nil, err
	}
	if in.OIDCClients, err = c.oidcClients(ctx, ing, in.Services); err != nil {
		return nil, err
	}
	if in.Facts, err = c.facts(ctx, q); err != nil {
		return nil, err
	}
	return ingress.Build(c.Config, in)
}

// facts reads from AWS (through the cached providers) what q asks for.
func (c *Controller) facts(ctx context.Context, q ingress.FactsQuery) (ingress.Facts, error) {
	var f ingress.Facts
	var err error
	if f.Subnets, err = c.Subnets.ResolveALB(ctx, q); err != nil {
		return f, err
	}
	if len(q.SecurityGroupNames) > 0 {
		if f.SecurityGroupsByName, err = c.SecurityGroupNames.Resolve(ctx, q.SecurityGroupNames); err != nil {
			return f, err
		}
	}
	if len(q.Certificates) > 0 {
		// Read before the build, so that a certificate AWS would refuse is
		// refused before anything changes (LBC finds out at the listener).
		if c.CertificateStatuses == nil {
			return f, fmt.Errorf("certificates %v cannot be read: no certificate provider", q.Certificates)
		}
		if f.CertificateStatuses, err = c.CertificateStatuses.Status(ctx, q.Certificates); err != nil {
			return f, err
		}
	}
	if q.SSLPolicies {
		if f.SSLPolicies, err = c.SSLPolicies.Names(ctx); err != nil {
			return f, err
		}
	}
	if len(q.TargetGroupARNs) > 0 && c.TargetGroups != nil {
		if f.TargetGroupsFound, err = c.TargetGroups.Exist(ctx, q.TargetGroupARNs); err != nil {
			return f, err
		}
	}
	if len(q.WAFv2ACLNames) > 0 {
		if c.WebACLNames == nil {
			return f, fmt.Errorf("WAFv2 web ACLs %v cannot be looked up: no WAFv2 provider", q.WAFv2ACLNames)
		}
		if f.WAFv2ACLsByName, err = c.WebACLNames.Resolve(ctx, q.WAFv2ACLNames); err != nil {
			return f, err
		}
	}
	if len(q.WAFv2ACLARNs) > 0 && c.WebACLs != nil {
		if f.WAFv2ACLsFound, err = c.WebACLs.Exist(ctx, q.WAFv2ACLARNs); err != nil {
			return f, err
		}
	}
	if len(q.WAFRegionalACLs) > 0 && c.ClassicWebACLs != nil {
		if f.WAFRegionalACLsFound, err = c.ClassicWebACLs.Exist(ctx, q.WAFRegionalACLs); err != nil {
			return f, err
		}
	}
	if q.CertificateHosts != nil {
		certs, err := c.Certificates.List(ctx)
		if err != nil {
			return f, err
		}
		if f.DiscoveredCertificates, err = ingress.DiscoverCertificates(q.CertificateHosts, certs,
			c.AllowedCertificateAuthorities); err != nil {
			return f, err
		}
	}
	return f, nil
}

// backendNames are the Services the Ingress routes to: its default
// backend's, its rules' and its custom forward actions', sorted, without
// duplicates.
func backendNames(ing *networkingv1.Ingress) []string {
	var names []string
	add := func(b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil && b.Service.Name != "" {
			names = append(names, b.Service.Name)
		}
	}
	add(ing.Spec.DefaultBackend)
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for i := range r.HTTP.Paths {
			add(&r.HTTP.Paths[i].Backend)
		}
	}
	names = append(names, ingress.ActionServiceNames(ing)...)
	slices.Sort(names)
	return slices.Compact(names)
}

// backendServices reads the backend Services from the cache; a missing one
// is left out, and the builder names it.
func (c *Controller) backendServices(ctx context.Context,
	ing *networkingv1.Ingress) (map[string]*corev1.Service, error) {
	out := map[string]*corev1.Service{}
	for _, name := range backendNames(ing) {
		var svc corev1.Service
		err := c.Client.Get(ctx, client.ObjectKey{Namespace: ing.Namespace, Name: name}, &svc)
		if client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("reading Service %s/%s: %w", ing.Namespace, name, err)
		}
		if err == nil {
			out[name] = &svc
		}
	}
	return out, nil
}
