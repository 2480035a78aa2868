package ingress

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/service"
)

// member is one Ingress of the group a stack serves, with what its own
// rules and target groups read: its class's params, its backend Services
// and its tags. An implicit group is one Ingress; an explicit group
// (group.name) gives a stack several members, whose rules follow one
// another in group order, while load-balancer and listener settings are
// merged across them (planGroup).
type member struct {
	ing      *networkingv1.Ingress
	params   *elbv2.IngressClassParams
	services map[string]*corev1.Service
	// ingTags are the Ingress's tags annotation and paramsTags its class's
	// tags (a target group merges the backend Service's between them);
	// userTags are both merged, the class's winning (rule tags).
	ingTags, paramsTags, userTags map[string]string
	// ports are the member's own listen ports (explicit groups): its
	// rules go on these listeners only; nil puts them on every listener.
	ports map[int32]string
	// oidc are the OIDC Secrets its authentication names, by name.
	oidc map[string]OIDCClient
}

func newMember(cfg Config, ing *networkingv1.Ingress, class Class, services map[string]*corev1.Service,
	oidc map[string]OIDCClient) (member, error) {
	a := service.Annotations(ing.Annotations)
	m := member{ing: ing, params: class.Params, services: services, paramsTags: map[string]string{}, oidc: oidc}
	var err error
	if m.userTags, err = userTagsOf(cfg, a, class.Params); err != nil {
		return m, err
	}
	if m.ingTags, err = a.KeyValues(AnnTags); err != nil {
		return m, err
	}
	if p := class.Params; p != nil {
		for _, t := range p.Spec.Tags {
			m.paramsTags[t.Key] = t.Value
		}
	}
	return m, nil
}
