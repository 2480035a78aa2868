package deploy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

const testVPC = "vpc-0123456789abcdef0"

var testStackLabels = map[string]string{model.LabelServiceStackNamespace: "shop", model.LabelServiceStackName: "web"}

// fakeBindings is a Kubernetes client holding the objects given, that
// records every write as "Verb name" in calls.
func fakeBindings(t *testing.T, calls *[]string, objs ...client.Object) client.WithWatch {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := elbv2api.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			*calls = append(*calls, "Create "+obj.GetName())
			return c.Create(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			*calls = append(*calls, "Patch "+obj.GetName())
			return c.Patch(ctx, obj, p, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			*calls = append(*calls, "Delete "+obj.GetName())
			return c.Delete(ctx, obj, opts...)
		},
	}).Build()
}

func desiredBinding(name, tgID string, port int32) model.TargetGroupBinding {
	return model.TargetGroupBinding{Namespace: "shop", Name: name, Labels: testStackLabels, TargetGroupID: tgID,
		TargetType: "instance", IPAddressType: "ipv4", ServiceName: "web", ServicePort: port,
		Networking: &model.BindingNetworking{Ingress: []model.BindingIngressRule{{
			From:  []model.BindingPeer{{BackendSG: true}},
			Ports: []model.BindingPort{{Protocol: "TCP", Port: "30080"}},
		}}}}
}

// lbcBinding is a binding as LBC v3.5 leaves it for a Service port:
// LBC's labels and spec, plus what its webhook and controller add.
func lbcBinding(name, arn string, port int32) *elbv2api.TargetGroupBinding {
	instance, ipv4, tcp := elbv2api.TargetTypeInstance, elbv2api.TargetGroupIPAddressTypeIPv4, elbv2api.NetworkingProtocolTCP
	tgProtocol := elbv2api.TargetGroupProtocolTCP
	nodePort := intstr.FromInt32(30080)
	return &elbv2api.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Labels: map[string]string{
			model.LabelServiceStackNamespace: "shop", model.LabelServiceStackName: "web"},
			Finalizers: []string{"elbv2.k8s.aws/resources"}, Generation: 1},
		Spec: elbv2api.TargetGroupBindingSpec{TargetGroupARN: arn, TargetType: &instance,
			ServiceRef:    elbv2api.ServiceReference{Name: "web", Port: intstr.FromInt32(port)},
			IPAddressType: &ipv4, VpcID: testVPC, TargetGroupProtocol: &tgProtocol,
			Networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
				From:  []elbv2api.NetworkingPeer{{SecurityGroup: &elbv2api.SecurityGroup{GroupID: "sg-backend"}}},
				Ports: []elbv2api.NetworkingPort{{Protocol: &tcp, Port: &nodePort}},
			}}}},
	}
}

func bindingDeployer(c BindingClient, elb *fakeELB) *Deployer {
	d := New(Deps{Config: Config{ClusterName: "prod", VPCID: testVPC}, Bindings: c, ELBV2: elb})
	d.bindingDeleteWait = 300 * time.Millisecond
	return d
}

func TestBindingsCreatePatchAndDeleteUnmatchedLast(t *testing.T) {
	var calls []string
	stale := lbcBinding("k8s-shop-web-bbbbbbbbbb", "arn:tg/b", 443)
	stale.Spec.Networking = nil // an older controller's binding: no rules
	c := fakeBindings(t, &calls,
		lbcBinding("k8s-shop-web-aaaaaaaaaa", "arn:tg/a", 80),
		stale,
		lbcBinding("k8s-shop-web-0000000000", "arn:tg/old", 8080), // a target group no longer wanted
		func() client.Object { // another stack's: never touched
			o := lbcBinding("k8s-shop-api-1111111111", "arn:tg/api", 80)
			o.Labels[model.LabelServiceStackName] = "api"
			return o
		}())
	d := bindingDeployer(c, newFakeELB())
	stack := &model.Stack{ID: svcStack("shop/web"), Bindings: []model.TargetGroupBinding{
		desiredBinding("k8s-shop-web-aaaaaaaaaa", "shop/web:80", 80),
		desiredBinding("k8s-shop-web-bbbbbbbbbb", "shop/web:443", 443),
		desiredBinding("k8s-shop-web-cccccccccc", "shop/web:53", 53),
	}}
	arns := map[string]string{"shop/web:80": "arn:tg/a", "shop/web:443": "arn:tg/b", "shop/web:53": "arn:tg/c"}
	plan, err := d.ensureBindings(t.Context(), stack, arns, "sg-backend")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Patch k8s-shop-web-bbbbbbbbbb", "Create k8s-shop-web-cccccccccc"}, calls); diff != "" {
		t.Errorf("writes before the post step (-want +got):\n%s", diff)
	}
	var unmatched []string
	for _, u := range plan.unmatched {
		unmatched = append(unmatched, u.Name)
	}
	if diff := cmp.Diff([]string{"k8s-shop-web-0000000000"}, unmatched); diff != "" {
		t.Errorf("unmatched (-want +got):\n%s", diff)
	}
	// The old binding still has LBC's finalizer: the delete waits, bounded.
	if err := d.deleteBindings(t.Context(), plan.unmatched); !errors.Is(err, ErrPending) {
		t.Fatalf("deleting a binding held by its finalizer: want ErrPending, got %v", err)
	}

	var got elbv2api.TargetGroupBinding
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "shop", Name: "k8s-shop-web-cccccccccc"}, &got); err != nil {
		t.Fatal(err)
	}
	instance, ipv4, tcp := elbv2api.TargetTypeInstance, elbv2api.TargetGroupIPAddressTypeIPv4, elbv2api.NetworkingProtocolTCP
	nodePort := intstr.FromInt32(30080)
	want := elbv2api.TargetGroupBindingSpec{TargetGroupARN: "arn:tg/c", TargetType: &instance,
		ServiceRef: elbv2api.ServiceReference{Name: "web", Port: intstr.FromInt32(53)}, IPAddressType: &ipv4, VpcID: testVPC,
		Networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
			From:  []elbv2api.NetworkingPeer{{SecurityGroup: &elbv2api.SecurityGroup{GroupID: "sg-backend"}}},
			Ports: []elbv2api.NetworkingPort{{Protocol: &tcp, Port: &nodePort}},
		}}}}
	if diff := cmp.Diff(want, got.Spec); diff != "" {
		t.Errorf("created spec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(testStackLabels, got.Labels); diff != "" {
		t.Errorf("created labels (-want +got):\n%s", diff)
	}
	if len(got.OwnerReferences) != 0 {
		t.Errorf("owner references %v: LBC's bindings have none", got.OwnerReferences)
	}
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "shop", Name: "k8s-shop-web-bbbbbbbbbb"}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Networking == nil || got.Spec.TargetGroupProtocol == nil {
		t.Errorf("patched spec %+v: want the networking added and the webhook's protocol kept", got.Spec)
	}
}

func TestLBCBindingsAreTakenOverWithoutAWrite(t *testing.T) {
	var calls []string
	c := fakeBindings(t, &calls, lbcBinding("k8s-shop-web-aaaaaaaaaa", "arn:tg/a", 80))
	d := bindingDeployer(c, newFakeELB())
	stack := &model.Stack{ID: svcStack("shop/web"), Bindings: []model.TargetGroupBinding{
		desiredBinding("k8s-shop-web-aaaaaaaaaa", "shop/web:80", 80)}}
	plan, err := d.ensureBindings(t.Context(), stack, map[string]string{"shop/web:80": "arn:tg/a"}, "sg-backend")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.deleteBindings(t.Context(), plan.unmatched); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Errorf("writes on taking over LBC's binding: %v", calls)
	}
}

func TestBindingsGoAfterTheLoadBalancerAndBeforeTheirTargetGroups(t *testing.T) {
	elb := newFakeELB()
	own := lbcBinding("k8s-shop-web-aaaaaaaaaa", "arn:tg/a", 80)
	own.Finalizers = nil // no binding controller here
	c := fakeBindings(t, &elb.calls, own)
	d := bindingDeployer(c, elb)
	st := &StackState{ID: svcStack("shop/web"), LoadBalancer: &LoadBalancerState{ARN: "arn:lb", Name: "lb"},
		TargetGroups: []*TargetGroupState{{ARN: "arn:tg/a", Name: "k8s-shop-web-aaaaaaaaaa"}}}
	if err := d.deleteHeld(t.Context(), st, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"DeleteLoadBalancer arn:lb", "Delete k8s-shop-web-aaaaaaaaaa", "DeleteTargetGroup arn:tg/a"}
	if diff := cmp.Diff(want, elb.calls); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestTargetGroupsWaitForTheirBindingsToGo(t *testing.T) {
	elb := newFakeELB()
	c := fakeBindings(t, &elb.calls, lbcBinding("k8s-shop-web-aaaaaaaaaa", "arn:tg/a", 80)) // finalizer held
	d := bindingDeployer(c, elb)
	st := &StackState{ID: svcStack("shop/web"), TargetGroups: []*TargetGroupState{{ARN: "arn:tg/a", Name: "k8s-shop-web-aaaaaaaaaa"}}}
	if err := d.deleteHeld(t.Context(), st, DeleteOptions{}); !errors.Is(err, ErrPending) {
		t.Fatalf("want ErrPending while the binding is held, got %v", err)
	}
	if diff := cmp.Diff([]string{"Delete k8s-shop-web-aaaaaaaaaa"}, elb.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// Called again once the binding controller has let it go: no second delete.
	var tgb elbv2api.TargetGroupBinding
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "shop", Name: "k8s-shop-web-aaaaaaaaaa"}, &tgb); err != nil {
		t.Fatal(err)
	}
	tgb.Finalizers = nil
	if err := c.Update(t.Context(), &tgb); err != nil {
		t.Fatal(err)
	}
	if err := d.deleteHeld(t.Context(), st, DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Delete k8s-shop-web-aaaaaaaaaa", "DeleteTargetGroup arn:tg/a"}
	if diff := cmp.Diff(want, elb.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestBindingsNeedTheirCRD(t *testing.T) {
	var calls []string
	notServed := interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
		return &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "elbv2.k8s.aws", Kind: "TargetGroupBinding"}}
	}}
	c := interceptor.NewClient(fakeBindings(t, &calls), notServed)
	stack := &model.Stack{ID: svcStack("shop/web"), Bindings: []model.TargetGroupBinding{desiredBinding("x", "shop/web:80", 80)}}
	arns := map[string]string{"shop/web:80": "arn:tg/a"}
	d := bindingDeployer(c, newFakeELB())
	// The bindings register the targets: a stack without them waits.
	if _, err := d.ensureBindings(t.Context(), stack, arns, "sg-backend"); err == nil {
		t.Error("want an error without the CRD")
	}
	// With the kind not served there is no binding to delete.
	if err := d.deleteStackBindings(t.Context(), svcStack("shop/web")); err != nil {
		t.Errorf("deleting the bindings of a stack without the CRD: %v", err)
	}
}
