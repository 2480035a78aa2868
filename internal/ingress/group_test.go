package ingress

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

// groupMember is an Ingress ns/name of group "team-a" with one path to
// the Service "web" of its namespace, created age minutes after a fixed
// time, with the annotations given.
func groupMember(ns, name, path string, age int, ann map[string]string) GroupMember {
	a := map[string]string{AnnGroupName: "team-a"}
	for k, v := range ann {
		a[k] = v
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: a,
		CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, age, 0, 0, time.UTC))},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{
			httpRule("", to(pathOf(path, networkingv1.PathTypePrefix), "web", 80))}}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", UID: types.UID("uid-" + ns)},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{
			{Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}}}}
	return GroupMember{Ingress: ing, Class: Class{Verdict: Ours}, Services: map[string]*corev1.Service{"web": svc}}
}

// routingSummary writes each listener's rules as "<port>: <priority>
// <what>", where what is the forward's target group or "kept <member>".
func routingSummary(s *model.ApplicationStack) []string {
	var out []string
	for _, r := range s.Routing {
		for _, rule := range r.Rules {
			what := "kept " + rule.KeptMember
			if rule.KeptMember == "" {
				what = rule.Actions[0].Forward.TargetGroups[0].TargetGroupID
			}
			out = append(out, fmt.Sprintf("%d: %d %s", r.Port, rule.Priority, what))
		}
	}
	return out
}

func excludedSummary(ex []Excluded) []string {
	var out []string
	for _, e := range ex {
		kind := "invalid"
		var c *ConflictError
		if errors.As(e.Err, &c) {
			kind = "conflict " + c.Annotation + " with " + c.Winner
		}
		out = append(out, e.Key+": "+kind)
	}
	return out
}

func TestBuildGroup(t *testing.T) {
	facts := Facts{Subnets: []string{"subnet-a", "subnet-b"}}
	tests := []struct {
		name     string
		members  []GroupMember
		built    []string
		excluded []string
		routing  []string
		kept     []string
		lbName   string
		scheme   string
		err      string
	}{{
		name: "rules follow group.order, then namespace/name",
		members: []GroupMember{
			groupMember("b", "two", "/two", 0, nil),
			groupMember("a", "one", "/one", 1, nil),
			groupMember("c", "first", "/first", 2, map[string]string{AnnGroupOrder: "-5"}),
			groupMember("a", "last", "/last", 3, map[string]string{AnnGroupOrder: "10"}),
		},
		built: []string{"c/first", "a/one", "b/two", "a/last"},
		routing: []string{"80: 1 c/first-web:80", "80: 2 a/one-web:80", "80: 3 b/two-web:80",
			"80: 4 a/last-web:80"},
		lbName: "k8s-teama-e4e1d3825c", scheme: SchemeInternal,
	}, {
		name: "a member's settings apply to the group; a member setting nothing agrees",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, map[string]string{AnnScheme: SchemeInternetFacing}),
			groupMember("b", "two", "/two", 1, nil),
		},
		built:   []string{"a/one", "b/two"},
		routing: []string{"80: 1 a/one-web:80", "80: 2 b/two-web:80"},
		scheme:  SchemeInternetFacing,
	}, {
		name: "the later member's conflicting scheme is excluded and its rules kept in place",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, map[string]string{AnnScheme: SchemeInternetFacing}),
			groupMember("b", "two", "/two", 1, map[string]string{AnnScheme: SchemeInternal}),
			groupMember("c", "three", "/three", 2, nil),
		},
		built:    []string{"a/one", "c/three"},
		excluded: []string{"b/two: conflict " + AnnScheme + " with a/one"},
		routing:  []string{"80: 1 a/one-web:80", "80: 2 kept b/two", "80: 3 c/three-web:80"},
		kept:     []string{"b/two"},
		scheme:   SchemeInternetFacing,
	}, {
		name: "the earlier member wins by order before age",
		members: []GroupMember{
			groupMember("a", "old", "/old", 0, map[string]string{AnnScheme: SchemeInternal}),
			groupMember("b", "young", "/young", 5, map[string]string{AnnScheme: SchemeInternetFacing,
				AnnGroupOrder: "-1"}),
		},
		built:    []string{"b/young"},
		excluded: []string{"a/old: conflict " + AnnScheme + " with b/young"},
		routing:  []string{"80: 1 b/young-web:80", "80: 2 kept a/old"},
		kept:     []string{"a/old"},
		scheme:   SchemeInternetFacing,
	}, {
		name: "a member's IngressClassParams field conflicts with a later member's annotation",
		members: func() []GroupMember {
			a := groupMember("a", "one", "/one", 0, nil)
			public := elbv2.LoadBalancerSchemeInternetFacing
			a.Class.Params = &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "public"},
				Spec: elbv2.IngressClassParamsSpec{Scheme: &public}}
			return []GroupMember{a, groupMember("b", "two", "/two", 1, map[string]string{AnnScheme: SchemeInternal})}
		}(),
		built:    []string{"a/one"},
		excluded: []string{"b/two: conflict " + AnnScheme + " with a/one"},
		routing:  []string{"80: 1 a/one-web:80", "80: 2 kept b/two"},
		kept:     []string{"b/two"},
		scheme:   SchemeInternetFacing,
	}, {
		name: "lists agree whatever their order",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, map[string]string{AnnInboundCIDRs: "10.0.0.0/8, 192.168.0.0/16"}),
			groupMember("b", "two", "/two", 1, map[string]string{AnnInboundCIDRs: "192.168.0.0/16,10.0.0.0/8"}),
		},
		built:   []string{"a/one", "b/two"},
		routing: []string{"80: 1 a/one-web:80", "80: 2 b/two-web:80"},
		scheme:  SchemeInternal,
	}, {
		name: "a bad annotation of a later member excludes it alone",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, nil),
			groupMember("b", "bad", "/bad", 1, map[string]string{AnnBackendProtocol: "FTP"}),
			groupMember("c", "order", "/order", 2, map[string]string{AnnGroupOrder: "5000"}),
		},
		built:    []string{"a/one"},
		excluded: []string{"b/bad: invalid", "c/order: invalid"},
		routing:  []string{"80: 1 a/one-web:80", "80: 2 kept b/bad", "80: 3 kept c/order"},
		kept:     []string{"b/bad", "c/order"},
		scheme:   SchemeInternal,
	}, {
		name: "listen ports are merged; each member's rules go on its own listeners",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, nil),
			groupMember("b", "two", "/two", 1, map[string]string{AnnListenPorts: `[{"HTTP": 80}, {"HTTP": 8080}]`}),
			groupMember("c", "three", "/three", 2, map[string]string{AnnListenPorts: `[{"HTTPS": 8080}]`}),
		},
		built:    []string{"a/one", "b/two"},
		excluded: []string{"c/three: conflict " + AnnListenPorts + " with b/two"},
		routing: []string{"80: 1 a/one-web:80", "80: 2 b/two-web:80", "80: 3 kept c/three",
			"8080: 1 b/two-web:80", "8080: 2 kept c/three"},
		kept:   []string{"c/three"},
		scheme: SchemeInternal,
	}, {
		name: "a conflicting tag value is a conflict; other tags merge",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, map[string]string{AnnTags: "team=a"}),
			groupMember("b", "two", "/two", 1, map[string]string{AnnTags: "team=b"}),
			groupMember("c", "three", "/three", 2, map[string]string{AnnTags: "cost=x"}),
		},
		built:    []string{"a/one", "c/three"},
		excluded: []string{"b/two: conflict " + AnnTags + " with a/one"},
		routing:  []string{"80: 1 a/one-web:80", "80: 2 kept b/two", "80: 3 c/three-web:80"},
		kept:     []string{"b/two"},
		scheme:   SchemeInternal,
	}, {
		name: "a member naming a missing Service is excluded after the merge",
		members: func() []GroupMember {
			m := groupMember("b", "two", "/two", 1, nil)
			m.Services = nil
			return []GroupMember{groupMember("a", "one", "/one", 0, nil), m}
		}(),
		built:    []string{"a/one"},
		excluded: []string{"b/two: invalid"},
		routing:  []string{"80: 1 a/one-web:80", "80: 2 kept b/two"},
		kept:     []string{"b/two"},
		scheme:   SchemeInternal,
	}, {
		name: "the first member's invalid load-balancer setting fails the group",
		members: []GroupMember{
			groupMember("a", "one", "/one", 0, map[string]string{AnnScheme: "public"}),
			groupMember("b", "two", "/two", 1, nil),
		},
		err: "the first of group team-a",
	}, {
		name: "no member left fails the group",
		members: func() []GroupMember {
			m := groupMember("a", "one", "/one", 0, nil)
			m.Services = nil
			return []GroupMember{m}
		}(),
		err: "no member can be built",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := BuildGroup(testConfig(), GroupInput{Name: "team-a", Members: tc.members, Facts: facts})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.built, res.Built); d != "" {
				t.Errorf("built (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.excluded, excludedSummary(res.Excluded)); d != "" {
				t.Errorf("excluded (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.routing, routingSummary(res.Stack)); d != "" {
				t.Errorf("routing (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.kept, res.Stack.KeptMembers); d != "" {
				t.Errorf("kept members (-want +got):\n%s", d)
			}
			if res.Stack.ID != (model.StackID{Kind: model.IngressKind, Name: "team-a"}) {
				t.Errorf("stack id %v", res.Stack.ID)
			}
			if tc.lbName != "" && res.Stack.LoadBalancer.Name != tc.lbName {
				t.Errorf("load balancer name %s, want %s", res.Stack.LoadBalancer.Name, tc.lbName)
			}
			// LBC's managed group of an explicit group: cluster + group
			// name hashed, "prodteam-a" -> f2fac9541f.
			if sg := res.Stack.FrontendSG; sg == nil || sg.Name != "k8s-teama-f2fac9541f" {
				t.Errorf("managed security group %+v, want k8s-teama-f2fac9541f", sg)
			}
			if res.Stack.LoadBalancer.Scheme != tc.scheme {
				t.Errorf("scheme %s, want %s", res.Stack.LoadBalancer.Scheme, tc.scheme)
			}
			for _, b := range res.Stack.Bindings {
				if d := cmp.Diff(map[string]string{model.LabelIngressStack: "team-a"}, b.Labels); d != "" {
					t.Errorf("binding %s labels (-want +got):\n%s", b.Name, d)
				}
			}
		})
	}
}

func TestGroupOf(t *testing.T) {
	params := func(group string) *elbv2.IngressClassParams {
		return &elbv2.IngressClassParams{ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: elbv2.IngressClassParamsSpec{Group: &elbv2.IngressGroup{Name: group}}}
	}
	ing := func(group string) *networkingv1.Ingress {
		i := minimalIngress()
		if group != "" {
			i.Annotations = map[string]string{AnnGroupName: group}
		}
		return i
	}
	tests := []struct {
		name   string
		ing    *networkingv1.Ingress
		params *elbv2.IngressClassParams
		want   string
		field  string
	}{
		{name: "implicit", ing: ing("")},
		{name: "annotation", ing: ing("team-a.prod"), want: "team-a.prod"},
		{name: "params win over the annotation", ing: ing("team-a"), params: params("shared"), want: "shared"},
		{name: "upper case refused", ing: ing("Team"), field: AnnGroupName},
		{name: "ending with a dash refused", ing: ing("team-"), field: AnnGroupName},
		{name: "64 characters refused", ing: ing(strings.Repeat("a", 64)), field: AnnGroupName},
		{name: "63 characters taken", ing: ing(strings.Repeat("a", 63)), want: strings.Repeat("a", 63)},
		{name: "bad params group", ing: ing(""), params: params("a_b"), field: paramsField("p", "group.name")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GroupOf(tc.ing, tc.params)
			var fe *FieldError
			switch {
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Fatalf("error %v, want a field error on %s", err, tc.field)
			case tc.field == "" && err != nil:
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("group %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckGroupNameAnnotation(t *testing.T) {
	forced := &elbv2.IngressClassParams{Spec: elbv2.IngressClassParamsSpec{Group: &elbv2.IngressGroup{Name: "g"}}}
	named := minimalIngress()
	named.Annotations = map[string]string{AnnGroupName: "g"}
	tests := []struct {
		name             string
		ing              *networkingv1.Ingress
		params           *elbv2.IngressClassParams
		disabled, served bool
		refused          bool
	}{
		{name: "flag off", ing: named},
		{name: "new use refused", ing: named, disabled: true, refused: true},
		{name: "a member already served stays", ing: named, disabled: true, served: true},
		{name: "a group forced by the class is not refused", ing: named, params: forced, disabled: true},
		{name: "no annotation", ing: minimalIngress(), disabled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckGroupNameAnnotation(tc.ing, tc.params, tc.disabled, tc.served)
			var ae *AnnotationError
			if got := errors.As(err, &ae) && ae.Annotation == AnnGroupName; got != tc.refused || (err != nil) != tc.refused {
				t.Errorf("error %v, want refused=%t", err, tc.refused)
			}
		})
	}
}
