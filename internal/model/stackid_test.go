package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStackOf(t *testing.T) {
	svc := func(name string) StackID { return StackID{Kind: ServiceKind, Name: name} }
	ing := func(name string) StackID { return StackID{Kind: IngressKind, Name: name} }
	for _, tc := range []struct {
		name    string
		tags    map[string]string
		want    StackID
		wantOK  bool
		wantErr string // the StackTagError's reason; "" for none
	}{
		{"no stack tags: the backend group", map[string]string{TagCluster: "c", TagResource: ResourceBackendSG}, StackID{}, false, ""},
		{"a Service stack", map[string]string{TagCluster: "c", TagServiceStack: "ns/web", TagServiceResource: ResourceLoadBalancer},
			svc("ns/web"), true, ""},
		{"an implicit Ingress group: namespace/name, as LBC tags it",
			map[string]string{TagIngressStack: "ns/web", TagIngressResource: "ns/web-svc:80"}, ing("ns/web"), true, ""},
		{"an explicit Ingress group: the group name",
			map[string]string{TagIngressStack: "shared.group", TagIngressResource: ResourceLoadBalancer}, ing("shared.group"), true, ""},
		{"a Service and an Ingress of one name are different stacks",
			map[string]string{TagServiceStack: "ns/web"}, svc("ns/web"), true, ""},
		{"keys of both kinds", map[string]string{TagServiceStack: "ns/web", TagIngressStack: "ns/web"}, StackID{}, false,
			"tagged for kinds [service ingress] at once"},
		{"a Service stack with another kind's resource key",
			map[string]string{TagServiceStack: "ns/web", TagServiceResource: ResourceLoadBalancer, TagIngressResource: ResourceLoadBalancer},
			StackID{}, false, "tagged for kinds [service ingress] at once"},
		{"an empty stack tag", map[string]string{TagServiceStack: "", TagServiceResource: ResourceLoadBalancer}, StackID{}, false,
			"an empty stack tag"},
		{"a resource tag alone", map[string]string{TagIngressResource: ResourceManagedLBSG}, StackID{}, false,
			"a resource tag without stack tag"},
		{"a Service stack without namespace", map[string]string{TagServiceStack: "web"}, StackID{}, false,
			"a Service stack not named <namespace>/<name>"},
		{"a Service stack with too many parts", map[string]string{TagServiceStack: "ns/web/x"}, StackID{}, false,
			"a Service stack not named <namespace>/<name>"},
		{"an Ingress stack with an empty part", map[string]string{TagIngressStack: "ns/"}, StackID{}, false,
			"an Ingress stack named neither <group> nor <namespace>/<name>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := StackOf(tc.tags)
			reason := ""
			if e, isTagErr := err.(*StackTagError); isTagErr {
				reason = e.Reason
			} else if err != nil {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("stack (-want +got):\n%s", diff)
			}
			if HasStackTags(tc.tags) != (tc.wantOK || tc.wantErr != "") {
				t.Errorf("HasStackTags = %v", HasStackTags(tc.tags))
			}
			if ok != tc.wantOK || reason != tc.wantErr {
				t.Errorf("ok %v, error %q; want %v, %q", ok, reason, tc.wantOK, tc.wantErr)
			}
		})
	}
}

func TestStackIDs(t *testing.T) {
	svc, ing := ServiceStackID("ns", "web"), StackID{Kind: IngressKind, Name: "ns/web"}
	got := map[string]any{
		"strings":     []string{svc.String(), ing.String(), StackID{Kind: IngressKind, Name: "group"}.String()},
		"distinct":    svc != ing,
		"serviceTags": svc.Tags("ns/web:80"),
		"ingressTags": ing.Tags(ResourceLoadBalancer),
		"resourceID":  ing.ResourceID(map[string]string{TagServiceResource: "x", TagIngressResource: "ns/web-svc:80"}),
	}
	want := map[string]any{
		"strings":     []string{"service:ns/web", "ingress:ns/web", "ingress:group"},
		"distinct":    true,
		"serviceTags": map[string]string{TagServiceStack: "ns/web", TagServiceResource: "ns/web:80"},
		"ingressTags": map[string]string{"ingress.k8s.aws/stack": "ns/web", "ingress.k8s.aws/resource": "LoadBalancer"},
		"resourceID":  "ns/web-svc:80",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
