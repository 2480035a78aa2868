package integration

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2"
	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/controllers/targetgroupbinding"
)

// tgbWorld is a cluster with a client that knows the elbv2.k8s.aws types.
type tgbWorld struct {
	*cluster
	typed client.Client
}

func newTGBWorld(t *testing.T) *tgbWorld {
	cl := newCluster(t, 3)
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2api.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	typed, err := client.New(cl.kube.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return &tgbWorld{cluster: cl, typed: typed}
}

// in returns the world for a subtest: failures are the subtest's.
func (w *tgbWorld) in(t *testing.T) *tgbWorld {
	cl := *w.cluster
	cl.t = t
	return &tgbWorld{cluster: &cl, typed: w.typed}
}

// userTargetGroup creates a target group the way a user does, outside
// Kubernetes, and returns its ARN.
func (w *tgbWorld) userTargetGroup(name string, targetType elbtypes.TargetTypeEnum) string {
	w.t.Helper()
	out, err := w.world.Clients.ELBV2.CreateTargetGroup(w.t.Context(), &elbv2.CreateTargetGroupInput{Name: aws.String(name),
		Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(8080), TargetType: targetType, VpcId: aws.String(w.world.VPCID)})
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

// members lists a target group's targets as "id:port", sorted.
func (w *tgbWorld) members(arn string) []string {
	w.t.Helper()
	out, err := w.world.Clients.ELBV2.DescribeTargetHealth(w.t.Context(),
		&elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		w.t.Fatal(err)
	}
	var ms []string
	for _, d := range out.TargetHealthDescriptions {
		ms = append(ms, fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)))
	}
	sort.Strings(ms)
	return ms
}

func (w *tgbWorld) waitMembers(arn string, want ...string) {
	w.t.Helper()
	want = slices.Sorted(slices.Values(want))
	eventually(w.t, 30*time.Second, "members "+strings.Join(want, ","), func() (bool, string) {
		got := w.members(arn)
		return slices.Equal(got, want), fmt.Sprint(got)
	})
}

func (w *tgbWorld) create(o client.Object) {
	w.t.Helper()
	if err := w.typed.Create(w.t.Context(), o); err != nil {
		w.t.Fatal(err)
	}
}

func (w *tgbWorld) waitBindingReady(name string) *v1beta1.TargetGroupBinding {
	w.t.Helper()
	var b *v1beta1.TargetGroupBinding
	eventually(w.t, 30*time.Second, name+" ready", func() (bool, string) {
		b = &v1beta1.TargetGroupBinding{}
		if err := w.typed.Get(w.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, b); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(b.Status.Conditions, targetgroupbinding.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == b.Generation, fmt.Sprintf("%+v", c)
	})
	return b
}

// deleteBinding deletes a binding and waits until its finalizer is released.
func (w *tgbWorld) deleteBinding(name string) {
	w.t.Helper()
	b := &v1beta1.TargetGroupBinding{}
	if err := w.typed.Get(w.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, b); err != nil {
		w.t.Fatal(err)
	}
	if err := w.typed.Delete(w.t.Context(), b); err != nil {
		w.t.Fatal(err)
	}
	eventually(w.t, 30*time.Second, name+" gone", func() (bool, string) {
		err := w.typed.Get(w.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, &v1beta1.TargetGroupBinding{})
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err)
	})
}

// podSlice is the EndpointSlice an endpoints controller would write for
// Service svc's port "http" (target port 8080): address -> state.
func podSlice(svc string, eps map[string]string) *discoveryv1.EndpointSlice {
	name, port := "http", int32(8080)
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: svc + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
	}
	ips := make([]string, 0, len(eps))
	for ip := range eps {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	for _, ip := range ips {
		ready, terminating := eps[ip] == "ready", eps[ip] == "terminating"
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: aws.Bool(ready || terminating),
				Terminating: &terminating},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "pod-" + strings.ReplaceAll(ip, ".", "-")}})
	}
	return s
}

func (w *tgbWorld) writeSlice(s *discoveryv1.EndpointSlice) {
	w.t.Helper()
	cur := &discoveryv1.EndpointSlice{}
	if err := w.c.Get(w.t.Context(), client.ObjectKeyFromObject(s), cur); err != nil {
		w.create(s)
		return
	}
	s.ResourceVersion = cur.ResourceVersion
	if err := w.c.Update(w.t.Context(), s); err != nil {
		w.t.Fatal(err)
	}
}

func (w *tgbWorld) service(name string, nodePort int32) {
	w.t.Helper()
	w.create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, NodePort: nodePort, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(8080)}}}})
}

// TestTargetGroupBindingController: bindings of target groups made
// outside kelb get their targets, follow the endpoints and nodes, drain a
// terminating endpoint at once, and give their targets back on deletion.
func TestTargetGroupBindingController(t *testing.T) {
	world := newTGBWorld(t)
	world.startKelb()
	ipType, instanceType := v1beta1.TargetTypeIP, v1beta1.TargetTypeInstance

	t.Run("ip targets follow the endpoints", func(t *testing.T) {
		w := world.in(t)
		arn := w.userTargetGroup("user-ip", elbtypes.TargetTypeEnumIp)
		w.service("web", 30501)
		w.writeSlice(podSlice("web", map[string]string{"10.0.1.1": "ready", "10.0.1.2": "ready", "10.0.1.3": "not-ready"}))
		w.create(&v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: v1beta1.TargetGroupBindingSpec{TargetGroupName: "user-ip", TargetType: &ipType,
				ServiceRef: v1beta1.ServiceReference{Name: "web", Port: intstr.FromString("http")}}})
		w.waitMembers(arn, "10.0.1.1:8080", "10.0.1.2:8080")
		if b := w.waitBindingReady("web"); !slices.Contains(b.Finalizers, targetgroupbinding.Finalizer) {
			t.Errorf("finalizers %v", b.Finalizers)
		}

		w.writeSlice(podSlice("web", map[string]string{"10.0.1.1": "ready", "10.0.1.2": "ready", "10.0.1.3": "ready",
			"10.0.1.4": "ready"}))
		w.waitMembers(arn, "10.0.1.1:8080", "10.0.1.2:8080", "10.0.1.3:8080", "10.0.1.4:8080")

		// A pod being deleted: its endpoint turns terminating (still
		// serving); it leaves the target group now, not when it is gone.
		w.writeSlice(podSlice("web", map[string]string{"10.0.1.1": "terminating", "10.0.1.2": "ready", "10.0.1.3": "ready"}))
		w.waitMembers(arn, "10.0.1.2:8080", "10.0.1.3:8080")

		w.deleteBinding("web")
		w.waitMembers(arn)
	})

	t.Run("instance targets follow the nodes", func(t *testing.T) {
		w := world.in(t)
		arn := w.userTargetGroup("user-instance", elbtypes.TargetTypeEnumInstance)
		w.service("nodes", 30502)
		w.create(&v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "nodes"},
			Spec: v1beta1.TargetGroupBindingSpec{TargetGroupARN: arn, TargetType: &instanceType,
				ServiceRef: v1beta1.ServiceReference{Name: "nodes", Port: intstr.FromInt32(80)}}})
		var all []string
		for _, id := range w.world.Instances {
			all = append(all, id+":30502")
		}
		w.waitMembers(arn, all...)
		w.waitBindingReady("nodes")

		// A node excluded from load balancers leaves.
		node := &corev1.Node{}
		if err := w.c.Get(w.t.Context(), client.ObjectKey{Name: w.world.Nodes[0]}, node); err != nil {
			t.Fatal(err)
		}
		node.Labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "true"
		if err := w.c.Update(w.t.Context(), node); err != nil {
			t.Fatal(err)
		}
		w.waitMembers(arn, all[1:]...)

		w.deleteBinding("nodes")
		w.waitMembers(arn)
	})

	t.Run("a binding LBC made is taken over and deleted cleanly", func(t *testing.T) {
		w := world.in(t)
		arn := w.userTargetGroup("lbc-made", elbtypes.TargetTypeEnumIp)
		// LBC registered the pods it knew; one has gone since.
		if _, err := w.world.Clients.ELBV2.RegisterTargets(w.t.Context(), &elbv2.RegisterTargetsInput{
			TargetGroupArn: aws.String(arn), Targets: []elbtypes.TargetDescription{
				{Id: aws.String("10.0.2.1"), Port: aws.Int32(8080)}, {Id: aws.String("10.0.2.9"), Port: aws.Int32(8080)}}}); err != nil {
			t.Fatal(err)
		}
		w.service("api", 30503)
		w.writeSlice(podSlice("api", map[string]string{"10.0.2.1": "ready", "10.0.2.2": "ready"}))
		w.create(&v1beta1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "k8s-default-api-0123456789",
			Finalizers: []string{targetgroupbinding.Finalizer},
			Annotations: map[string]string{targetgroupbinding.AnnotationCheckpoint: "cKay81gadoTtBSg6uVVginqtmCVG",
				targetgroupbinding.AnnotationCheckpointTimestamp: "1729021572"},
			Labels: map[string]string{"service.k8s.aws/stack-name": "api", "service.k8s.aws/stack-namespace": "default"}},
			Spec: v1beta1.TargetGroupBindingSpec{TargetGroupARN: arn, TargetType: &ipType,
				ServiceRef: v1beta1.ServiceReference{Name: "api", Port: intstr.FromInt32(80)}}})
		w.waitMembers(arn, "10.0.2.1:8080", "10.0.2.2:8080")
		b := w.waitBindingReady("k8s-default-api-0123456789")
		if _, ok := b.Annotations[targetgroupbinding.AnnotationCheckpoint]; ok {
			t.Errorf("LBC's checkpoint kept after kelb changed the members: %v", b.Annotations)
		}
		if !slices.Equal(b.Finalizers, []string{targetgroupbinding.Finalizer}) {
			t.Errorf("finalizers %v, want LBC's one", b.Finalizers)
		}

		w.deleteBinding("k8s-default-api-0123456789")
		w.waitMembers(arn)
	})
}
