package targetgroupbinding

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

const (
	tgARN  = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/user-tg/1"
	tgName = "user-tg"
)

type harness struct {
	t     *testing.T
	c     client.Client
	elb   *fakeELB
	rec   *fakeRecorder
	ctrl  *Controller
	clock *clocktesting.FakeClock
}

func newHarness(t *testing.T, cfg Config, objs ...client.Object) *harness {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2api.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&elbv2api.TargetGroupBinding{}, &corev1.Pod{}).
		WithIndex(&elbv2api.TargetGroupBinding{}, IndexServiceRefName, func(o client.Object) []string {
			return []string{o.(*elbv2api.TargetGroupBinding).Spec.ServiceRef.Name}
		}).Build()
	h := &harness{t: t, c: c, elb: newFakeELB(), rec: &fakeRecorder{}, clock: clocktesting.NewFakeClock(time.Unix(1000, 0))}
	if cfg.ClusterName == "" {
		cfg.ClusterName = "test"
	}
	h.ctrl = NewController(Deps{Client: c, Recorder: h.rec, ELBV2: h.elb, Config: cfg, Clock: h.clock})
	return h
}

// reconcile runs one reconcile of the binding and returns it as stored.
func (h *harness) reconcile(name string) *elbv2api.TargetGroupBinding {
	h.t.Helper()
	b, err := h.reconcileErr(name)
	if err != nil {
		h.t.Fatalf("reconcile: %v", err)
	}
	return b
}

// reconcileErr is reconcile for a reconcile that may fail (and be retried).
func (h *harness) reconcileErr(name string) (*elbv2api.TargetGroupBinding, error) {
	h.t.Helper()
	var tgb elbv2api.TargetGroupBinding
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &tgb); err != nil {
		h.t.Fatal(err)
	}
	_, rerr := h.ctrl.Reconcile(context.Background(), &tgb)
	var after elbv2api.TargetGroupBinding
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &after); err != nil {
		return nil, rerr
	}
	return &after, rerr
}

func (h *harness) update(o client.Object) {
	h.t.Helper()
	cur := o.DeepCopyObject().(client.Object)
	if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(o), cur); err != nil {
		h.t.Fatal(err)
	}
	o.SetResourceVersion(cur.GetResourceVersion())
	if err := h.c.Update(context.Background(), o); err != nil {
		h.t.Fatal(err)
	}
}

func ready(tgb *elbv2api.TargetGroupBinding) (metav1.ConditionStatus, string) {
	c := meta.FindStatusCondition(tgb.Status.Conditions, ConditionReady)
	if c == nil {
		return "", ""
	}
	return c.Status, c.Reason
}

func binding(name string, mods ...func(*elbv2api.TargetGroupBinding)) *elbv2api.TargetGroupBinding {
	b := &elbv2api.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Generation: 1},
		Spec: elbv2api.TargetGroupBindingSpec{TargetGroupARN: tgARN,
			ServiceRef: elbv2api.ServiceReference{Name: "web", Port: intstr.FromInt32(80)}}}
	for _, m := range mods {
		m(b)
	}
	return b
}

func svc(mods ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP},
			{Name: "admin", Port: 9000, NodePort: 30900, Protocol: corev1.ProtocolTCP}}}}
	for _, m := range mods {
		m(s)
	}
	return s
}

type endpoint struct {
	ip          string
	ready, term bool
}

func epSlice(eps ...endpoint) *discoveryv1.EndpointSlice {
	http, admin := "http", "admin"
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1",
		Labels: map[string]string{discoveryv1.LabelServiceName: "web"}}, AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{Name: &http, Port: ptr(int32(8080))}, {Name: &admin, Port: ptr(int32(9090))}}}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(e.ready), Terminating: ptr(e.term)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "pod-" + e.ip, UID: types.UID("uid-" + e.ip)}})
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func tg(id string, port int32) model.Target { return model.Target{ID: id, Port: port} }

func ipType(b *elbv2api.TargetGroupBinding) { t := elbv2api.TargetTypeIP; b.Spec.TargetType = &t }

func TestIPBindingFollowsEndpoints(t *testing.T) {
	h := newHarness(t, Config{}, binding("b", ipType), svc(),
		epSlice(endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.2", true, false}, endpoint{"10.0.0.3", false, false}))
	h.elb.add(tgARN, tgName, "ip", nil, tg("10.9.9.9", 8080))

	b := h.reconcile("b")
	if diff := cmp.Diff([]model.Target{tg("10.0.0.1", 8080), tg("10.0.0.2", 8080)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if !slices.Contains(b.Finalizers, Finalizer) {
		t.Errorf("finalizers %v lack %s", b.Finalizers, Finalizer)
	}
	if st, reason := ready(b); st != metav1.ConditionTrue || reason != ReasonRegistered {
		t.Errorf("Ready %s %s, want True %s", st, reason, ReasonRegistered)
	}
	if b.Status.ObservedGeneration == nil || *b.Status.ObservedGeneration != b.Generation {
		t.Errorf("observedGeneration %v, want %d", b.Status.ObservedGeneration, b.Generation)
	}

	// At rest: no AWS call at all.
	before := h.elb.count("DescribeTargetHealth") + h.elb.count("DescribeTargetGroups") + h.elb.writes()
	h.reconcile("b")
	if after := h.elb.count("DescribeTargetHealth") + h.elb.count("DescribeTargetGroups") + h.elb.writes(); after != before {
		t.Errorf("a reconcile at rest made %d AWS calls", after-before)
	}

	// A terminating endpoint (even one published ready) leaves at once; a
	// new one joins: one read, then register before deregister.
	h.update(epSlice(endpoint{"10.0.0.1", true, true}, endpoint{"10.0.0.2", true, false}, endpoint{"10.0.0.4", true, false}))
	reads := h.elb.count("DescribeTargetHealth")
	h.reconcile("b")
	if diff := cmp.Diff([]model.Target{tg("10.0.0.2", 8080), tg("10.0.0.4", 8080)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members after the change (-want +got):\n%s", diff)
	}
	if n := h.elb.count("DescribeTargetHealth") - reads; n != 1 {
		t.Errorf("%d target reads for one change, want 1", n)
	}

	// The slow resync reads AWS again.
	h.clock.Step(DefaultResync + time.Second)
	reads = h.elb.count("DescribeTargetHealth")
	h.reconcile("b")
	if n := h.elb.count("DescribeTargetHealth") - reads; n != 1 {
		t.Errorf("%d target reads on resync, want 1", n)
	}
}

func TestNamedPortAndInstanceTargets(t *testing.T) {
	nodes := []client.Object{}
	for i, lbls := range []map[string]string{{"pool": "edge"}, {"pool": "edge", "node.kubernetes.io/exclude-from-external-load-balancers": ""}, {"pool": "batch"}, {"pool": "edge"}} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n" + string(rune('0'+i)), Labels: lbls},
			Spec:   corev1.NodeSpec{ProviderID: "aws:///us-west-2a/i-" + string(rune('0'+i))},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
		if i == 3 {
			n.Spec.Unschedulable = true
		}
		nodes = append(nodes, n)
	}
	inst := func(b *elbv2api.TargetGroupBinding) {
		b.Spec.ServiceRef.Port = intstr.FromString("admin")
		b.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"pool": "edge"}}
	}
	h := newHarness(t, Config{}, append(nodes, binding("b", inst), svc())...)
	h.elb.add(tgARN, tgName, "instance", nil)
	b := h.reconcile("b")
	if diff := cmp.Diff([]model.Target{tg("i-0", 30900)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if st, reason := ready(b); st != metav1.ConditionTrue {
		t.Errorf("Ready %s %s", st, reason)
	}
}

func TestRefusalsWriteNothing(t *testing.T) {
	ipv6 := elbv2api.TargetGroupIPAddressTypeIPv6
	tests := []struct {
		name    string
		mod     func(*elbv2api.TargetGroupBinding)
		svc     func(*corev1.Service)
		tgType  string
		reason  string
		message string
		retried bool
	}{
		{name: "target type", mod: ipType, tgType: "instance", reason: ReasonInvalidConfiguration,
			message: `spec.targetType "ip" is not valid: instance, the target type of target group user-tg`},
		{name: "address family", mod: func(b *elbv2api.TargetGroupBinding) { b.Spec.IPAddressType = &ipv6 }, tgType: "ip",
			reason: ReasonInvalidConfiguration, message: `spec.ipAddressType "ipv6" is not valid: ipv4, the IP address type of target group user-tg`},
		{name: "vpc", mod: func(b *elbv2api.TargetGroupBinding) { b.Spec.VpcID = "vpc-2" }, tgType: "ip",
			reason: ReasonInvalidConfiguration, message: `spec.vpcID "vpc-2" is not valid: vpc-1, the VPC of target group user-tg`},
		{name: "cluster IP service for instance targets", tgType: "instance",
			svc:    func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP },
			reason: ReasonInvalidConfiguration, message: `spec.serviceRef (service type) "ClusterIP" is not valid: instance targets need a Service of type NodePort or LoadBalancer`},
		{name: "missing target group", mod: func(b *elbv2api.TargetGroupBinding) { b.Spec.TargetGroupARN = tgARN + "x" },
			tgType: "ip", reason: ReasonTargetGroupNotFound, retried: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mods := []func(*elbv2api.TargetGroupBinding){}
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			s := svc()
			if tt.svc != nil {
				tt.svc(s)
			}
			h := newHarness(t, Config{}, binding("b", mods...), s, epSlice(endpoint{"10.0.0.1", true, false}))
			h.elb.add(tgARN, tgName, tt.tgType, nil, tg("10.9.9.9", 8080))
			b, err := h.reconcileErr("b")
			if (err != nil) != tt.retried {
				t.Errorf("reconcile error %v, want one: %v", err, tt.retried)
			}
			if h.elb.writes() != 0 {
				t.Errorf("%d AWS writes", h.elb.writes())
			}
			c := meta.FindStatusCondition(b.Status.Conditions, ConditionReady)
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != tt.reason || (tt.message != "" && c.Message != tt.message) {
				t.Errorf("condition %+v, want False %s %q", c, tt.reason, tt.message)
			}
			if got := h.rec.list(); !slices.Contains(got, "Warning "+tt.reason) {
				t.Errorf("events %v lack a Warning %s", got, tt.reason)
			}
		})
	}
}

func TestOwnership(t *testing.T) {
	ours := map[string]string{model.TagCluster: "test", model.TagServiceStack: "default/web"}
	theirs := map[string]string{model.TagCluster: "other", model.TagServiceStack: "default/web"}
	multi := func(b *elbv2api.TargetGroupBinding) { ipType(b); b.Spec.MultiClusterTargetGroup = true }
	tests := []struct {
		name    string
		tags    map[string]string
		cfg     Config
		mod     func(*elbv2api.TargetGroupBinding)
		reason  string
		members []model.Target
	}{
		{name: "this cluster's Service stack", tags: ours, mod: ipType,
			reason: ReasonRegistered, members: []model.Target{tg("10.0.0.1", 8080)}},
		{name: "the same cluster name, another cluster", mod: ipType, reason: ReasonForeignTargetGroup,
			tags:    map[string]string{model.TagCluster: "test", model.TagServiceStack: "default/web", model.TagClusterUID: "other-uid"},
			cfg:     Config{ClusterUID: "our-uid"},
			members: []model.Target{tg("10.9.9.9", 8080)}},
		{name: "another cluster's stack", tags: theirs, mod: ipType, reason: ReasonForeignTargetGroup,
			members: []model.Target{tg("10.9.9.9", 8080)}},
		{name: "another cluster's stack, shared: first pass only registers", tags: theirs, mod: multi,
			reason: ReasonRegistered, members: []model.Target{tg("10.0.0.1", 8080), tg("10.9.9.9", 8080)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg, binding("b", tt.mod), svc(), epSlice(endpoint{"10.0.0.1", true, false}))
			h.elb.add(tgARN, tgName, "ip", tt.tags, tg("10.9.9.9", 8080))
			b := h.reconcile("b")
			if _, reason := ready(b); reason != tt.reason {
				t.Errorf("reason %s, want %s", reason, tt.reason)
			}
			if diff := cmp.Diff(tt.members, h.elb.memberList(tgARN)); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMultiClusterDeregistersOnlyItsOwn(t *testing.T) {
	multi := func(b *elbv2api.TargetGroupBinding) { ipType(b); b.Spec.MultiClusterTargetGroup = true }
	record := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "aws-lbc-targets-b"},
		Data: map[string]string{"targets": "10.0.0.1:8080,10.0.0.2:8080"}}
	h := newHarness(t, Config{}, binding("b", multi), svc(), record,
		epSlice(endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.3", true, false}))
	h.elb.add(tgARN, tgName, "ip", nil, tg("10.0.0.1", 8080), tg("10.0.0.2", 8080), tg("10.8.8.8", 8080))
	h.reconcile("b")
	want := []model.Target{tg("10.0.0.1", 8080), tg("10.0.0.3", 8080), tg("10.8.8.8", 8080)}
	if diff := cmp.Diff(want, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	var cm corev1.ConfigMap
	if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(record), &cm); err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["targets"]; got != "10.0.0.1:8080,10.0.0.3:8080" {
		t.Errorf("record %q", got)
	}

	// Deletion takes only this binding's targets and the record away.
	b := &elbv2api.TargetGroupBinding{}
	_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "b"}, b)
	if err := h.c.Delete(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if gone := h.reconcile("b"); gone != nil {
		t.Errorf("binding still there with finalizers %v", gone.Finalizers)
	}
	if diff := cmp.Diff([]model.Target{tg("10.8.8.8", 8080)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members after deletion (-want +got):\n%s", diff)
	}
	if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(record), &cm); err == nil {
		t.Errorf("the record is still there")
	}
}

func TestDeletion(t *testing.T) {
	lbcMade := func(b *elbv2api.TargetGroupBinding) {
		ipType(b)
		b.Finalizers = []string{Finalizer}
		b.Annotations = map[string]string{AnnotationCheckpoint: "abc", AnnotationCheckpointTimestamp: "1729021572"}
	}
	tests := []struct {
		name     string
		tgExists bool
		tags     map[string]string
		byName   bool
		members  []model.Target
		writes   int
	}{
		{name: "deregisters every member", tgExists: true, writes: 1},
		{name: "by target group name", tgExists: true, byName: true, writes: 1},
		{name: "target group gone: released without a write", writes: 0},
		{name: "a Service stack's: deregistered as any", tgExists: true, writes: 1,
			tags: map[string]string{model.TagCluster: "test", model.TagServiceStack: "default/web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod := lbcMade
			if tt.byName {
				mod = func(b *elbv2api.TargetGroupBinding) {
					lbcMade(b)
					b.Spec.TargetGroupARN, b.Spec.TargetGroupName = "", tgName
				}
			}
			h := newHarness(t, Config{}, binding("b", mod), svc(), epSlice(endpoint{"10.0.0.1", true, false}))
			if tt.tgExists {
				h.elb.add(tgARN, tgName, "ip", tt.tags, tg("10.0.0.1", 8080), tg("10.9.9.9", 8080))
			}
			// LBC's binding is taken over as it is; its checkpoint goes
			// with the first change.
			b, err := h.reconcileErr("b")
			if (err != nil) == tt.tgExists {
				t.Errorf("first reconcile: %v", err)
			}
			if tt.tgExists && tt.tags == nil {
				if _, ok := b.Annotations[AnnotationCheckpoint]; ok {
					t.Errorf("LBC's checkpoint kept after a change: %v", b.Annotations)
				}
			}
			writes := h.elb.writes()
			if err := h.c.Delete(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			if gone := h.reconcile("b"); gone != nil {
				t.Errorf("binding still there with finalizers %v", gone.Finalizers)
			}
			if n := h.elb.writes() - writes; n != tt.writes {
				t.Errorf("%d AWS writes on deletion, want %d", n, tt.writes)
			}
			if tt.tgExists {
				if diff := cmp.Diff(tt.members, h.elb.memberList(tgARN)); diff != "" {
					t.Errorf("members (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestMissingServiceEmptiesTheTargetGroup(t *testing.T) {
	h := newHarness(t, Config{}, binding("b", ipType))
	h.elb.add(tgARN, tgName, "ip", nil, tg("10.9.9.9", 8080))
	b := h.reconcile("b")
	if st, reason := ready(b); st != metav1.ConditionFalse || reason != ReasonBackendNotFound {
		t.Errorf("Ready %s %s, want False %s", st, reason, ReasonBackendNotFound)
	}
	if got := h.elb.memberList(tgARN); len(got) != 0 {
		t.Errorf("members %v, want none (as LBC)", got)
	}
}

// TestKnownTargetGroupCostsNoRead: a target group kelb already holds (a
// Service stack's, from the deployer's inventory) is not read from AWS.
func TestKnownTargetGroupCostsNoRead(t *testing.T) {
	h := newHarness(t, Config{}, binding("b", ipType), svc(), epSlice(endpoint{"10.0.0.1", true, false}))
	h.elb.add(tgARN, tgName, "ip", nil)
	h.ctrl.targetGroups.known = func(_ context.Context, arn string) (KnownTargetGroup, bool) {
		return KnownTargetGroup{ARN: arn, Name: tgName, TargetType: "ip", IPAddressType: "ipv4", VPCID: "vpc-1",
			Tags: map[string]string{model.TagCluster: "test", model.TagServiceStack: "default/web"}}, arn == tgARN
	}
	if st, reason := ready(h.reconcile("b")); st != metav1.ConditionTrue {
		t.Fatalf("Ready %s %s", st, reason)
	}
	if n := h.elb.count("DescribeTargetGroups") + h.elb.count("DescribeTags"); n != 0 {
		t.Errorf("%d target group reads for a known target group", n)
	}
	if diff := cmp.Diff([]model.Target{tg("10.0.0.1", 8080)}, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}
