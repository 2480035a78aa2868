package targets

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

func node(name, id string, ready bool, lbls map[string]string, mods ...func(*corev1.Node)) *corev1.Node {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls},
		Spec:   corev1.NodeSpec{ProviderID: "aws:///us-west-2a/" + id},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}}}
	for _, m := range mods {
		m(n)
	}
	return n
}

func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }

func deleting(n *corev1.Node) {
	now := metav1.NewTime(time.Unix(1, 0))
	n.DeletionTimestamp = &now
}

func autoscalerTaint(n *corev1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: TaintToBeDeletedByClusterAutoscaler, Effect: corev1.TaintEffectNoSchedule})
}

func tgts(pairs ...any) []model.Target {
	var out []model.Target
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, model.Target{ID: pairs[i].(string), Port: int32(pairs[i+1].(int))})
	}
	return out
}

func TestBindingInstances(t *testing.T) {
	tests := []struct {
		name     string
		nodes    []*corev1.Node
		selector *metav1.LabelSelector
		want     []model.Target
	}{
		{name: "ready nodes on the node port",
			nodes: []*corev1.Node{node("b", "i-2", true, nil), node("a", "i-1", true, nil), node("c", "i-3", false, nil)},
			want:  tgts("i-1", 30080, "i-2", 30080)},
		{name: "nodeSelector",
			selector: &metav1.LabelSelector{MatchLabels: map[string]string{"pool": "edge"}},
			nodes:    []*corev1.Node{node("a", "i-1", true, map[string]string{"pool": "edge"}), node("b", "i-2", true, nil)},
			want:     tgts("i-1", 30080)},
		{name: "nodeSelector expressions",
			selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "pool", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"batch"}}}},
			nodes: []*corev1.Node{node("a", "i-1", true, map[string]string{"pool": "batch"}), node("b", "i-2", true, nil)},
			want:  tgts("i-2", 30080)},
		{name: "exclusion labels, control plane and fargate as LBC",
			nodes: []*corev1.Node{
				node("a", "i-1", true, map[string]string{LabelExcludeFromLB: ""}),
				node("b", "i-2", true, map[string]string{LabelExcludeBalancerAlpha: "true"}),
				node("c", "i-3", true, map[string]string{LabelNodeRoleMaster: ""}),
				node("d", "i-4", true, map[string]string{LabelComputeType: "fargate"}),
				node("e", "i-5", true, map[string]string{LabelComputeType: "ec2"}),
			},
			want: tgts("i-5", 30080)},
		{name: "leaving nodes drain at once",
			nodes: []*corev1.Node{node("a", "i-1", true, nil, deleting), node("b", "i-2", true, nil, autoscalerTaint),
				node("c", "i-3", true, nil)},
			want: tgts("i-3", 30080)},
		{name: "cordoned nodes drain while others serve",
			nodes: []*corev1.Node{node("a", "i-1", true, nil, cordoned), node("b", "i-2", true, nil)},
			want:  tgts("i-2", 30080)},
		{name: "all cordoned: kept rather than empty",
			nodes: []*corev1.Node{node("a", "i-1", true, nil, cordoned), node("b", "i-2", true, nil, cordoned),
				node("c", "i-3", true, nil, deleting)},
			want: tgts("i-1", 30080, "i-2", 30080)},
		{name: "no instance id",
			nodes: []*corev1.Node{node("a", "", true, nil), func() *corev1.Node {
				n := node("b", "i-2", true, nil)
				n.Spec.ProviderID = "kind://docker/b"
				return n
			}()},
			want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := BindingNodeSelector(tt.selector)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, BindingInstances(tt.nodes, sel, 30080)); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

type epOpt func(*discoveryv1.Endpoint)

func notReady(e *discoveryv1.Endpoint) { e.Conditions.Ready = ptr(false) }
func terminating(e *discoveryv1.Endpoint) {
	e.Conditions.Terminating, e.Conditions.Serving = ptr(true), ptr(true)
}
func noPod(e *discoveryv1.Endpoint)        { e.TargetRef = nil }
func unknownReady(e *discoveryv1.Endpoint) { e.Conditions.Ready = nil }

func ep(ip string, opts ...epOpt) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "pod-" + ip}}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func slice(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{AddressType: family, Ports: ports, Endpoints: eps}
}

func port(name string, n int32, proto corev1.Protocol) discoveryv1.EndpointPort {
	p := discoveryv1.EndpointPort{Port: &n}
	if name != "" {
		p.Name = &name
	}
	if proto != "" {
		p.Protocol = &proto
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func TestEndpoints(t *testing.T) {
	v4, v6 := discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6
	binding := EndpointFilter{AddressType: v4, DropTerminating: true, PodsOnly: true}
	named := func(f EndpointFilter, name string) EndpointFilter { f.PortName = name; return f }
	tests := []struct {
		name   string
		filter EndpointFilter
		slices []*discoveryv1.EndpointSlice
		want   []model.Target
	}{
		{name: "ready endpoints with the slice's port",
			filter: binding,
			slices: []*discoveryv1.EndpointSlice{
				slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")}, ep("10.0.0.2"), ep("10.0.0.1"), ep("10.0.0.3", notReady)),
				slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")}, ep("10.0.0.4", unknownReady)),
			},
			want: tgts("10.0.0.1", 8080, "10.0.0.2", 8080, "10.0.0.4", 8080)},
		{name: "named port picks its slice port",
			filter: named(binding, "metrics"),
			slices: []*discoveryv1.EndpointSlice{slice(v4,
				[]discoveryv1.EndpointPort{port("http", 8080, ""), port("metrics", 9090, "")}, ep("10.0.0.1"))},
			want: tgts("10.0.0.1", 9090)},
		{name: "slice without the port",
			filter: named(binding, "metrics"),
			slices: []*discoveryv1.EndpointSlice{slice(v4, []discoveryv1.EndpointPort{port("http", 8080, "")}, ep("10.0.0.1"))},
			want:   tgts()},
		{name: "terminating endpoints drain at once, even published ready",
			filter: binding,
			slices: []*discoveryv1.EndpointSlice{slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")},
				ep("10.0.0.1", terminating), ep("10.0.0.2"))},
			want: tgts("10.0.0.2", 8080)},
		{name: "the Service path keeps published terminating endpoints (unchanged)",
			filter: EndpointFilter{AddressType: v4},
			slices: []*discoveryv1.EndpointSlice{slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")},
				ep("10.0.0.1", terminating), ep("10.0.0.2", noPod))},
			want: tgts("10.0.0.1", 8080, "10.0.0.2", 8080)},
		{name: "endpoints of no pod are not a binding's, as LBC",
			filter: binding,
			slices: []*discoveryv1.EndpointSlice{slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")},
				ep("10.0.0.1", noPod), ep("10.0.0.2"))},
			want: tgts("10.0.0.2", 8080)},
		{name: "address family",
			filter: EndpointFilter{AddressType: v6, PodsOnly: true},
			slices: []*discoveryv1.EndpointSlice{
				slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")}, ep("10.0.0.1")),
				slice(v6, []discoveryv1.EndpointPort{port("", 8080, "")}, ep("2001:db8::1")),
			},
			want: tgts("2001:db8::1", 8080)},
		{name: "protocol filter",
			filter: EndpointFilter{AddressType: v4, Protocol: func(p corev1.Protocol) bool { return p == corev1.ProtocolUDP }},
			slices: []*discoveryv1.EndpointSlice{
				slice(v4, []discoveryv1.EndpointPort{port("", 8080, "")}, ep("10.0.0.1")),
				slice(v4, []discoveryv1.EndpointPort{port("", 5353, corev1.ProtocolUDP)}, ep("10.0.0.2")),
			},
			want: tgts("10.0.0.2", 5353)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Endpoints(tt.slices, tt.filter)
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func members(ts []model.Target, draining ...model.Target) []Member {
	var out []Member
	for _, t := range ts {
		out = append(out, Member{Target: t})
	}
	for _, t := range draining {
		out = append(out, Member{Target: t, Draining: true})
	}
	return out
}

func TestPlan(t *testing.T) {
	a, b, c, d := model.Target{ID: "10.0.0.1", Port: 80}, model.Target{ID: "10.0.0.2", Port: 80},
		model.Target{ID: "10.0.0.3", Port: 80}, model.Target{ID: "10.9.9.9", Port: 80}
	tests := []struct {
		name  string
		want  []model.Target
		have  []Member
		owned Set
		plan  Change
	}{
		{name: "at rest", want: []model.Target{a, b}, have: members([]model.Target{b, a})},
		{name: "scale up and down", want: []model.Target{a, c}, have: members([]model.Target{a, b}),
			plan: Change{Register: []model.Target{c}, Deregister: []model.Target{b}}},
		{name: "a draining member wanted again is registered again", want: []model.Target{a},
			have: members(nil, a), plan: Change{Register: []model.Target{a}}},
		{name: "a draining member is not deregistered again", want: nil, have: members(nil, a)},
		{name: "same address on another port is another target", want: []model.Target{{ID: "10.0.0.1", Port: 81}},
			have: members([]model.Target{a}), plan: Change{Register: []model.Target{{ID: "10.0.0.1", Port: 81}},
				Deregister: []model.Target{a}}},
		{name: "multi-cluster: others' members stay", want: []model.Target{a}, have: members([]model.Target{a, b, d}),
			owned: NewSet(a, b), plan: Change{Deregister: []model.Target{b}}},
		{name: "multi-cluster without a record: nothing deregistered", want: []model.Target{a},
			have: members([]model.Target{b, d}), owned: Set{}, plan: Change{Register: []model.Target{a}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.plan, Plan(tt.want, tt.have, tt.owned)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrackedRoundTrip(t *testing.T) {
	s := NewSet(model.Target{ID: "i-2", Port: 30080}, model.Target{ID: "10.0.0.1", Port: 80},
		model.Target{ID: "2001:db8::1", Port: 8080})
	enc := EncodeTracked(s)
	if want := "10.0.0.1:80,2001:db8::1:8080,i-2:30080"; enc != want {
		t.Errorf("encoded %q, want %q", enc, want)
	}
	if diff := cmp.Diff(s, DecodeTracked(enc)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(NewSet(model.Target{ID: "10.0.0.1", Port: 80}), DecodeTracked(" 10.0.0.1:80,,junk,x:y")); diff != "" {
		t.Errorf("lenient decode (-want +got):\n%s", diff)
	}
}
