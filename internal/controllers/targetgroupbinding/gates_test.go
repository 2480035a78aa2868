package targetgroupbinding

import (
	"context"
	"testing"
	"time"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/readinessgate"
)

func readyNodeObj(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

// gatedPodObj is the pod behind endpoint ip ("pod-"+ip, as epSlice names
// it) on node-a, carrying the gates named, its containers ready or not.
func gatedPodObj(ip string, containersReady bool, gates ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "pod-" + ip, UID: types.UID("uid-" + ip)},
		Spec: corev1.PodSpec{NodeName: "node-a"}}
	for _, g := range gates {
		p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(g)})
	}
	status := corev1.ConditionFalse
	if containersReady {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.ContainersReady, Status: status},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	return p
}

// gateStatus is each pod's condition of gate, "-" when it has none.
func (h *harness) gateStatus(gate string, pods ...string) map[string]string {
	h.t.Helper()
	out := map[string]string{}
	for _, name := range pods {
		var p corev1.Pod
		if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &p); err != nil {
			h.t.Fatal(err)
		}
		out[name] = "-"
		if c := readinessgate.Existing(&p, gate); c != nil {
			out[name] = string(c.Status) + "/" + c.Reason
		}
	}
	return out
}

func (h *harness) requeueAfter(name string) time.Duration {
	h.t.Helper()
	var tgb elbv2api.TargetGroupBinding
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &tgb); err != nil {
		h.t.Fatal(err)
	}
	res, err := h.ctrl.Reconcile(context.Background(), &tgb)
	if err != nil {
		h.t.Fatalf("reconcile: %v", err)
	}
	return res.RequeueAfter
}

// TestReadinessGates: which not-ready endpoints are registered, which pods
// get which condition, and the reads it costs: one DescribeTargetHealth per
// pass while a gated pod waits, none once every gated pod is True.
func TestReadinessGates(t *testing.T) {
	gate := readinessgate.ConditionType("b")
	other := readinessgate.ConditionType("other")
	pods := []string{"pod-10.0.0.1", "pod-10.0.0.2", "pod-10.0.0.3", "pod-10.0.0.4", "pod-10.0.0.5", "pod-10.0.0.6"}
	h := newHarness(t, Config{}, binding("b", ipType), svc(), readyNodeObj("node-a"),
		epSlice(endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.2", false, false}, endpoint{"10.0.0.3", false, false},
			endpoint{"10.0.0.4", false, false}, endpoint{"10.0.0.5", false, false}, endpoint{"10.0.0.6", false, true}),
		gatedPodObj("10.0.0.1", true),              // ready, no gate
		gatedPodObj("10.0.0.2", true, gate),        // waits on our gate only
		gatedPodObj("10.0.0.3", false, gate),       // containers not ready
		gatedPodObj("10.0.0.4", true, gate, other), // waits on two bindings' gates
		gatedPodObj("10.0.0.5", true, other),       // waits on another binding's gate
		gatedPodObj("10.0.0.6", true, gate))        // terminating
	h.elb.add(tgARN, tgName, "ip", nil)
	for _, ip := range []string{"10.0.0.2", "10.0.0.4", "10.0.0.5"} {
		h.elb.setState(tg(ip, 8080), elbtypes.TargetHealthStateEnumInitial)
	}

	if after := h.requeueAfter("b"); after != DefaultGatePoll {
		t.Errorf("requeue after %v while gated pods wait, want %v", after, DefaultGatePoll)
	}
	// Containers ready: registered, whichever gate holds the pod back.
	want := []model.Target{tg("10.0.0.1", 8080), tg("10.0.0.2", 8080), tg("10.0.0.4", 8080), tg("10.0.0.5", 8080)}
	if diff := cmp.Diff(want, h.elb.memberList(tgARN)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	// Only pods carrying this binding's gate, and registered, get its condition.
	initial := "False/" + string(elbtypes.TargetHealthReasonEnumRegistrationInProgress)
	wantConds := map[string]string{"pod-10.0.0.1": "-", "pod-10.0.0.2": initial, "pod-10.0.0.3": "-",
		"pod-10.0.0.4": initial, "pod-10.0.0.5": "-", "pod-10.0.0.6": "-"}
	if diff := cmp.Diff(wantConds, h.gateStatus(gate, pods...)); diff != "" {
		t.Errorf("conditions while initial (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"pod-10.0.0.4": "-", "pod-10.0.0.5": "-"},
		h.gateStatus(other, "pod-10.0.0.4", "pod-10.0.0.5")); diff != "" {
		t.Errorf("another binding's gate was written (-want +got):\n%s", diff)
	}

	// Each poll reads the target group once, whatever the number of pods,
	// and writes nothing while nothing changes.
	reads := h.elb.count("DescribeTargetHealth")
	h.clock.Step(DefaultGatePoll)
	h.reconcile("b")
	if n := h.elb.count("DescribeTargetHealth") - reads; n != 1 {
		t.Errorf("%d DescribeTargetHealth in a poll, want 1", n)
	}

	// AWS reports them healthy: the conditions flip True at the next poll.
	h.elb.setState(tg("10.0.0.2", 8080), elbtypes.TargetHealthStateEnumHealthy)
	h.elb.setState(tg("10.0.0.4", 8080), elbtypes.TargetHealthStateEnumHealthy)
	h.clock.Step(DefaultGatePoll)
	h.reconcile("b")
	wantConds["pod-10.0.0.2"], wantConds["pod-10.0.0.4"] = "True/", "True/"
	if diff := cmp.Diff(wantConds, h.gateStatus(gate, pods...)); diff != "" {
		t.Errorf("conditions once healthy (-want +got):\n%s", diff)
	}

	// The pod with unready containers keeps the binding polled; once it
	// is gone, and every gated pod is True, no more reads.
	var p3 corev1.Pod
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "pod-10.0.0.3"}, &p3); err != nil {
		t.Fatal(err)
	}
	if err := h.c.Delete(context.Background(), &p3); err != nil {
		t.Fatal(err)
	}
	reads = h.elb.count("DescribeTargetHealth")
	for range 3 {
		h.clock.Step(DefaultGatePoll)
		if after := h.requeueAfter("b"); after != DefaultResync {
			t.Errorf("requeue after %v at rest, want the resync %v", after, DefaultResync)
		}
	}
	if n := h.elb.count("DescribeTargetHealth") - reads; n != 0 {
		t.Errorf("%d DescribeTargetHealth at rest, want 0", n)
	}

	// A ready pod whose target turns unhealthy is caught at the resync.
	h.update(epSlice(endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.2", true, false},
		endpoint{"10.0.0.4", false, false}, endpoint{"10.0.0.5", false, false}))
	h.reconcile("b")
	h.elb.setState(tg("10.0.0.2", 8080), elbtypes.TargetHealthStateEnumUnhealthy)
	h.clock.Step(DefaultResync + time.Second)
	h.reconcile("b")
	if diff := cmp.Diff(map[string]string{"pod-10.0.0.2": "False/"}, h.gateStatus(gate, "pod-10.0.0.2")); diff != "" {
		t.Errorf("condition after the resync (-want +got):\n%s", diff)
	}
}

// podReads counts the pods read through the controller's Reader.
type podReads struct {
	client.Reader
	names []string
}

func (r *podReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Pod); ok {
		r.names = append(r.names, key.Name)
	}
	return r.Reader.Get(ctx, key, obj, opts...)
}

// TestSweepReadsUngatedPodsOnce: a resync sweep reads a ready pod once to
// learn it lacks the binding's gate (gates cannot change after creation);
// later sweeps read only the pods that carry it, and a new pod under a
// known name is read again.
func TestSweepReadsUngatedPodsOnce(t *testing.T) {
	gate := readinessgate.ConditionType("b")
	h := newHarness(t, Config{}, binding("b", ipType), svc(), readyNodeObj("node-a"),
		epSlice(endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.2", true, false}, endpoint{"10.0.0.3", true, false}),
		gatedPodObj("10.0.0.1", true), gatedPodObj("10.0.0.2", true), gatedPodObj("10.0.0.3", true, gate))
	h.elb.add(tgARN, tgName, "ip", nil)
	reads := &podReads{Reader: h.c}
	h.ctrl.Reader = reads

	sweep := func() []string {
		t.Helper()
		reads.names = nil
		h.clock.Step(DefaultResync + time.Second)
		h.reconcile("b")
		return reads.names
	}
	h.reconcile("b") // the first pass after a start is a sweep
	if diff := cmp.Diff([]string{"pod-10.0.0.1", "pod-10.0.0.2", "pod-10.0.0.3"}, reads.names); diff != "" {
		t.Errorf("first sweep's pod reads (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pod-10.0.0.3"}, sweep()); diff != "" {
		t.Errorf("second sweep's pod reads (-want +got):\n%s", diff)
	}
	// pod-10.0.0.2 replaced by a new pod (new UID) under the same name.
	h.update(epSliceWithUID(map[string]types.UID{"10.0.0.2": "uid-new"},
		endpoint{"10.0.0.1", true, false}, endpoint{"10.0.0.2", true, false}, endpoint{"10.0.0.3", true, false}))
	if diff := cmp.Diff([]string{"pod-10.0.0.2", "pod-10.0.0.3"}, sweep()); diff != "" {
		t.Errorf("sweep after a pod was replaced (-want +got):\n%s", diff)
	}
}

// epSliceWithUID is epSlice with some endpoints naming other pod UIDs.
func epSliceWithUID(uids map[string]types.UID, eps ...endpoint) *discoveryv1.EndpointSlice {
	s := epSlice(eps...)
	for i := range s.Endpoints {
		if uid, ok := uids[s.Endpoints[i].Addresses[0]]; ok {
			s.Endpoints[i].TargetRef.UID = uid
		}
	}
	return s
}
