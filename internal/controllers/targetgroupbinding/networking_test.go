package targetgroupbinding

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

func netPort(proto elbv2api.NetworkingProtocol, port *intstr.IntOrString) elbv2api.NetworkingPort {
	return elbv2api.NetworkingPort{Protocol: &proto, Port: port}
}

func fromSG(id string) elbv2api.NetworkingPeer {
	return elbv2api.NetworkingPeer{SecurityGroup: &elbv2api.SecurityGroup{GroupID: id}}
}

func fromCIDR(c string) elbv2api.NetworkingPeer {
	return elbv2api.NetworkingPeer{IPBlock: &elbv2api.IPBlock{CIDR: c}}
}

func rule(sg, proto string, port int32, cidr string) model.BackendRule {
	return model.BackendRule{NodeSG: sg, Protocol: proto, Port: port, CIDR: cidr}
}

func TestNetworkingRules(t *testing.T) {
	num := func(n int32) *intstr.IntOrString { p := intstr.FromInt32(n); return &p }
	name := func(s string) *intstr.IntOrString { p := intstr.FromString(s); return &p }
	placed := []placedTarget{
		{target: tg("i-1", 30080), nodeSG: "sg-a"},
		{target: tg("i-2", 30080), nodeSG: "sg-b"},
		{target: tg("i-3", 30080)}, // its group is unknown: nothing for it
	}
	tests := []struct {
		name        string
		networking  *elbv2api.TargetGroupBindingNetworking
		portName    string
		placed      []placedTarget
		want        []model.BackendRule
		wantSkipped []string
		wantErr     string
	}{
		{name: "no networking, no rules", placed: placed},
		{name: "backend group to the traffic and health-check ports", placed: placed,
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From:  []elbv2api.NetworkingPeer{fromSG("sg-backend")},
				Ports: []elbv2api.NetworkingPort{netPort("TCP", num(30080)), netPort("TCP", num(8081))}}}},
			want: []model.BackendRule{rule("sg-a", "tcp", 8081, ""), rule("sg-a", "tcp", 30080, ""),
				rule("sg-b", "tcp", 8081, ""), rule("sg-b", "tcp", 30080, "")}},
		{name: "port left out: the targets' ports, never every port", placed: placed,
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From: []elbv2api.NetworkingPeer{fromSG("sg-backend")}, Ports: []elbv2api.NetworkingPort{netPort("UDP", nil)}}}},
			want: []model.BackendRule{rule("sg-a", "udp", 30080, ""), rule("sg-b", "udp", 30080, "")}},
		{name: "no ports: every TCP port of the targets",
			placed: []placedTarget{{target: tg("10.0.0.1", 8080), nodeSG: "sg-a"}, {target: tg("10.0.0.2", 8443), nodeSG: "sg-a"}},
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From: []elbv2api.NetworkingPeer{fromCIDR("10.1.0.0/16")}}}},
			want: []model.BackendRule{rule("sg-a", "tcp", 8080, "10.1.0.0/16"), rule("sg-a", "tcp", 8443, "10.1.0.0/16")}},
		{name: "the Service's target port name resolves to the targets' ports", portName: "http",
			placed: []placedTarget{{target: tg("10.0.0.1", 8080), nodeSG: "sg-a"}},
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From:  []elbv2api.NetworkingPeer{fromCIDR("0.0.0.0/0"), fromCIDR("::/0")},
				Ports: []elbv2api.NetworkingPort{netPort("TCP", name("http")), netPort("TCP", name("metrics"))}}}},
			want:        []model.BackendRule{rule("sg-a", "tcp", 8080, "0.0.0.0/0"), rule("sg-a", "tcp", 8080, "::/0")},
			wantSkipped: []string{"port name metrics (not the Service's target port name)"}},
		{name: "another group as source is not written", placed: placed,
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From:  []elbv2api.NetworkingPeer{fromSG("sg-users")},
				Ports: []elbv2api.NetworkingPort{netPort("TCP", num(30080))}}}},
			wantSkipped: []string{"rules from security group sg-users (not the backend group)"}},
		{name: "a CIDR that does not parse writes nothing", placed: placed,
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From: []elbv2api.NetworkingPeer{fromSG("sg-backend"), fromCIDR("10.0.0.0/33")}}}},
			wantErr: `spec.networking.ingress[0].from[1].ipBlock.cidr "10.0.0.0/33" is not valid: an IPv4 or IPv6 CIDR`},
		{name: "a peer without a source writes nothing", placed: placed,
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From: []elbv2api.NetworkingPeer{{}}}}},
			wantErr: `spec.networking.ingress[0].from[0] is not valid: either ipBlock or securityGroup`},
		{name: "no targets, no rules",
			networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From: []elbv2api.NetworkingPeer{fromSG("sg-backend")}, Ports: []elbv2api.NetworkingPort{netPort("TCP", num(30080))}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped, err := networkingRules(tt.networking, "sg-backend", tt.portName, tt.placed)
			if fmt.Sprint(err) != fmt.Sprint(nilIfEmpty(tt.wantErr)) {
				t.Fatalf("error %v, want %s", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, skipped, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestUncoveredPorts(t *testing.T) {
	placed := []placedTarget{{target: tg("i-1", 30100), nodeSG: "sg-a"}, {target: tg("i-2", 30100)}}
	got := uncoveredPorts([]model.BackendRule{rule("sg-a", "tcp", 30080, "")}, placed)
	if diff := cmp.Diff([]string{"sg-a:30100"}, got); diff != "" {
		t.Errorf("uncovered (-want +got):\n%s", diff)
	}
	if got := uncoveredPorts([]model.BackendRule{rule("sg-a", "tcp", 30100, "")}, placed); len(got) != 0 {
		t.Errorf("uncovered %v, want none", got)
	}
}

// fakeNodeRules records the claims, and what the target group held when
// each was made.
type fakeNodeRules struct {
	mu       sync.Mutex
	elb      *fakeELB
	claims   map[model.StackID][]model.BackendRule
	atEnsure [][]model.Target // members of tgARN when Ensure was called
	deployed []model.StackID
	forgot   []model.StackID
}

func (f *fakeNodeRules) BackendSG(context.Context) (string, error) { return "sg-backend", nil }

func (f *fakeNodeRules) Ensure(_ context.Context, key model.StackID, rules []model.BackendRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.claims == nil {
		f.claims = map[model.StackID][]model.BackendRule{}
	}
	f.claims[key] = rules
	f.atEnsure = append(f.atEnsure, f.elb.memberList(tgARN))
	return nil
}

func (f *fakeNodeRules) Deployed(key model.StackID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deployed = append(f.deployed, key)
}

func (f *fakeNodeRules) Forget(_ context.Context, key model.StackID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.claims, key)
	f.forgot = append(f.forgot, key)
	return nil
}

type fakeInstances map[string]string

func (f fakeInstances) SecurityGroups(_ context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if sg, ok := f[id]; ok {
			out[id] = sg
		}
	}
	return out, nil
}

func readyNode(name, instance string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:   corev1.NodeSpec{ProviderID: "aws:///us-west-2a/" + instance},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

func backendNetworking(ports ...int32) func(*elbv2api.TargetGroupBinding) {
	return func(b *elbv2api.TargetGroupBinding) {
		var ps []elbv2api.NetworkingPort
		for _, p := range ports {
			n := intstr.FromInt32(p)
			ps = append(ps, netPort("TCP", &n))
		}
		b.Spec.Networking = &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
			From: []elbv2api.NetworkingPeer{fromSG("sg-backend")}, Ports: ps}}}
	}
}

// TestRulesBeforeRegistration: the binding's networking rules, on its
// targets' node groups, are claimed before any target is registered; the
// claim is marked deployed after the membership change and dropped when
// the binding goes.
func TestRulesBeforeRegistration(t *testing.T) {
	h := newHarness(t, Config{}, binding("b", backendNetworking(30080)), svc(),
		readyNode("n1", "i-1"), readyNode("n2", "i-2"))
	h.elb.add(tgARN, tgName, "instance", nil)
	rules := &fakeNodeRules{elb: h.elb}
	h.ctrl.NodeRules, h.ctrl.Instances = rules, fakeInstances{"i-1": "sg-a", "i-2": "sg-b"}

	b := h.reconcile("b")
	if st, reason := ready(b); st != metav1.ConditionTrue {
		t.Fatalf("Ready %s %s", st, reason)
	}
	key := claimKey("default", "b")
	want := map[model.StackID][]model.BackendRule{key: {rule("sg-a", "tcp", 30080, ""), rule("sg-b", "tcp", 30080, "")}}
	if diff := cmp.Diff(want, rules.claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]model.Target{nil}, rules.atEnsure); diff != "" {
		t.Errorf("members when the rules were claimed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]model.Target{tg("i-1", 30080), tg("i-2", 30080)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]model.StackID{key}, rules.deployed); diff != "" {
		t.Errorf("deployed (-want +got):\n%s", diff)
	}

	// A node in a new group: its rule is claimed before it is registered.
	if err := h.c.Create(context.Background(), readyNode("n3", "i-3")); err != nil {
		t.Fatal(err)
	}
	h.ctrl.Instances = fakeInstances{"i-1": "sg-a", "i-2": "sg-b", "i-3": "sg-c"}
	h.reconcile("b")
	if got := rules.claims[key]; !cmp.Equal(got[len(got)-1], rule("sg-c", "tcp", 30080, "")) {
		t.Errorf("claim %v lacks the new group's rule", got)
	}
	if last := rules.atEnsure[len(rules.atEnsure)-1]; len(last) != 2 {
		t.Errorf("members when the new group's rule was claimed: %v, want the two old ones", last)
	}

	// Deleting the binding deregisters, then drops the claim.
	if err := h.c.Delete(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var gone elbv2api.TargetGroupBinding
	if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(b), &gone); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ctrl.Reconcile(context.Background(), &gone); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]model.StackID{key}, rules.forgot); diff != "" {
		t.Errorf("forgotten (-want +got):\n%s", diff)
	}
	if n := len(h.elb.memberList(tgARN)); n != 0 {
		t.Errorf("%d members left", n)
	}
}

// TestServiceBindingWaitsForItsNetworking: a Service stack's binding
// whose networking still names the old node port registers nothing on the
// new one until the deployer rewrites it.
func TestServiceBindingWaitsForItsNetworking(t *testing.T) {
	stack := func(b *elbv2api.TargetGroupBinding) {
		b.Labels = map[string]string{model.LabelServiceStackNamespace: "default", model.LabelServiceStackName: "web"}
	}
	moved := svc(func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30100 })
	h := newHarness(t, Config{ClaimsService: func(*corev1.Service) bool { return true }},
		binding("b", stack, backendNetworking(30080)), moved, readyNode("n1", "i-1"))
	h.elb.add(tgARN, tgName, "instance", nil, tg("i-1", 30080))
	rules := &fakeNodeRules{elb: h.elb}
	h.ctrl.NodeRules, h.ctrl.Instances = rules, fakeInstances{"i-1": "sg-a"}

	b := h.reconcile("b")
	if st, reason := ready(b); st != metav1.ConditionFalse || reason != ReasonNetworkingPending {
		t.Errorf("Ready %s %s, want False %s", st, reason, ReasonNetworkingPending)
	}
	if diff := cmp.Diff([]model.Target{tg("i-1", 30080)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members changed while the networking lags (-want +got):\n%s", diff)
	}
	if len(rules.claims) != 0 {
		t.Errorf("claims %v while the networking lags", rules.claims)
	}

	// The deployer rewrites the binding: the new port's rule, then the move.
	backendNetworking(30100)(b)
	h.update(b)
	b = h.reconcile("b")
	if st, reason := ready(b); st != metav1.ConditionTrue {
		t.Errorf("Ready %s %s", st, reason)
	}
	if diff := cmp.Diff([]model.Target{tg("i-1", 30100)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]model.Target{{tg("i-1", 30080)}}, rules.atEnsure); diff != "" {
		t.Errorf("members when the new rule was claimed (-want +got):\n%s", diff)
	}
}

// TestIPTargetsRulesGoToTheirPodsNodeGroups: an ip binding's rules go to
// the groups of its endpoints' nodes, on the targets' port.
func TestIPTargetsRulesGoToTheirPodsNodeGroups(t *testing.T) {
	slice := epSlice(endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.2", true, false})
	slice.Endpoints[0].NodeName, slice.Endpoints[1].NodeName = ptr("n1"), ptr("n2")
	cidrs := func(b *elbv2api.TargetGroupBinding) {
		ipType(b)
		b.Spec.Networking = &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
			From: []elbv2api.NetworkingPeer{fromCIDR("10.1.0.0/16")}, Ports: []elbv2api.NetworkingPort{netPort("TCP", nil)}}}}
	}
	h := newHarness(t, Config{}, binding("b", cidrs), svc(), slice, readyNode("n1", "i-1"), readyNode("n2", "i-2"))
	h.elb.add(tgARN, tgName, "ip", nil)
	rules := &fakeNodeRules{elb: h.elb}
	h.ctrl.NodeRules, h.ctrl.Instances = rules, fakeInstances{"i-1": "sg-a", "i-2": "sg-b"}
	h.reconcile("b")
	want := []model.BackendRule{rule("sg-a", "tcp", 8080, "10.1.0.0/16"), rule("sg-b", "tcp", 8080, "10.1.0.0/16")}
	if diff := cmp.Diff(want, rules.claims[claimKey("default", "b")]); diff != "" {
		t.Errorf("claim (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]model.Target{nil}, rules.atEnsure); diff != "" {
		t.Errorf("members when the rules were claimed (-want +got):\n%s", diff)
	}
}
