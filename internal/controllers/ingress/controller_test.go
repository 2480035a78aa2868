package ingress

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/api/elbv2"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/sgpolicy"
)

const (
	ns       = "shop"
	ingName  = "web"
	stackRef = "ingress:shop/web"
)

// testIngress is an Ingress routing / to Service web:80, changed by opts.
func testIngress(opts ...func(*networkingv1.Ingress)) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ingName, UID: "uid-ing", Annotations: map[string]string{}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web",
					Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}},
	}
	for _, o := range opts {
		o(ing)
	}
	return ing
}

func className(n string) func(*networkingv1.Ingress) {
	return func(ing *networkingv1.Ingress) { ing.Spec.IngressClassName = &n }
}

func annotate(k, v string) func(*networkingv1.Ingress) {
	return func(ing *networkingv1.Ingress) { ing.Annotations[k] = v }
}

func finalized(ing *networkingv1.Ingress) { ing.Finalizers = append(ing.Finalizers, Finalizer) }

func deleting(ing *networkingv1.Ingress) {
	now := metav1.NewTime(time.Unix(2000, 0))
	ing.DeletionTimestamp = &now
}

func ingressClass(name, controller string) *networkingv1.IngressClass {
	return &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: networkingv1.IngressClassSpec{Controller: controller}}
}

func webService() *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", UID: types.UID("uid-web")},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}}}}
}

type harness struct {
	c     client.Client
	ctrl  *Controller
	dep   *fakeDeployer
	rec   *fakeRecorder
	facts *fakeFacts
}

func newHarness(t *testing.T, flag string, objs ...client.Object) *harness {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := elbv2.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&networkingv1.Ingress{}).Build()
	h := &harness{c: c, dep: &fakeDeployer{client: c}, rec: &fakeRecorder{}, facts: &fakeFacts{}}
	h.ctrl = NewController(Deps{Client: c, Recorder: h.rec, Deployer: h.dep, Subnets: h.facts, Certificates: h.facts,
		CertificateStatuses: h.facts, SecurityGroupNames: h.facts, SSLPolicies: h.facts, IngressClass: flag,
		DriftPeriod: time.Hour,
		Config:      ingress.Config{ClusterName: "prod", SecurityGroups: sgpolicy.Flags{EnableBackendSG: true}},
		Clock:       clocktesting.NewFakeClock(time.Unix(1000, 0))})
	return h
}

func (h *harness) reconcile(t *testing.T) (reconcile.Result, error) {
	t.Helper()
	var ing networkingv1.Ingress
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: ingName}, &ing); err != nil {
		t.Fatal(err)
	}
	return h.ctrl.Reconcile(context.Background(), &ing)
}

// state is what a reconcile left behind.
type state struct {
	Calls       []string
	Events      []string
	Finalizers  []string
	Annotations map[string]string
	Hostnames   []string
	Gone        bool
	Requeue     time.Duration
	Err         bool
}

func (h *harness) state(t *testing.T, res reconcile.Result, err error) state {
	t.Helper()
	s := state{Calls: h.dep.list(), Events: h.rec.list(), Requeue: res.RequeueAfter, Err: err != nil}
	var ing networkingv1.Ingress
	switch err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: ingName}, &ing); {
	case apierrors.IsNotFound(err):
		s.Gone = true
	case err != nil:
		t.Fatal(err)
	default:
		s.Finalizers, s.Annotations = ing.Finalizers, ing.Annotations
		for _, lb := range ing.Status.LoadBalancer.Ingress {
			s.Hostnames = append(s.Hostnames, lb.Hostname)
		}
	}
	return s
}

func TestReconcile(t *testing.T) {
	albClass := ingressClass("alb", ingress.ControllerALB)
	nginxClass := ingressClass("nginx", "k8s.io/ingress-nginx")
	const host = "k8s-web.elb.amazonaws.com"
	tests := []struct {
		name string
		flag string // --ingress-class
		ing  *networkingv1.Ingress
		objs []client.Object
		// deployErr, deleteErr are the deployer's answers.
		deployErr, deleteErr error
		// driftOK: the converged result asks for a re-check after the
		// drift period (jittered), checked apart.
		driftOK bool
		want    state
	}{
		{name: "ours by IngressClass: finalizer before the deploy, hostname, event",
			flag: "alb", ing: testIngress(className("alb")), objs: []client.Object{albClass, webService()}, driftOK: true,
			want: state{Calls: []string{"deploy shop/web finalized=true"},
				Events:     []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers: []string{Finalizer}, Annotations: map[string]string{}, Hostnames: []string{host}}},
		{name: "ours by the legacy annotation",
			flag: "alb", ing: testIngress(annotate(ingress.AnnIngressClass, "alb")), objs: []client.Object{webService()},
			driftOK: true,
			want: state{Calls: []string{"deploy shop/web finalized=true"},
				Events:     []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers: []string{Finalizer}, Annotations: map[string]string{ingress.AnnIngressClass: "alb"},
				Hostnames: []string{host}}},
		{name: "a kelb with a class of its own records it with the finalizer",
			flag: "kelb", ing: testIngress(annotate(ingress.AnnIngressClass, "kelb")), objs: []client.Object{webService()},
			driftOK: true,
			want: state{Calls: []string{"deploy shop/web finalized=true"},
				Events:      []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers:  []string{Finalizer},
				Annotations: map[string]string{ingress.AnnIngressClass: "kelb", AnnClaimedClass: "kelb"},
				Hostnames:   []string{host}}},
		{name: "another controller's class: untouched",
			flag: "alb", ing: testIngress(className("nginx")), objs: []client.Object{albClass, nginxClass, webService()},
			want: state{Annotations: map[string]string{}}},
		{name: "another class's Ingress with the shared finalizer, beside a kelb of its own class: untouched",
			flag: "kelb", ing: testIngress(annotate(ingress.AnnIngressClass, "alb"), finalized),
			objs: []client.Object{webService()},
			want: state{Finalizers: []string{Finalizer}, Annotations: map[string]string{ingress.AnnIngressClass: "alb"}}},
		{name: "another kelb's Ingress (its class recorded): untouched, even being deleted",
			flag: "alb", ing: testIngress(className("alb"), annotate(AnnClaimedClass, "other"), finalized, deleting),
			objs: []client.Object{albClass, webService()},
			want: state{Finalizers: []string{Finalizer}, Annotations: map[string]string{AnnClaimedClass: "other"}}},
		{name: "bad annotation: no finalizer, no deploy, event naming it and the allowed values, waits for an edit",
			flag: "alb", ing: testIngress(className("alb"), annotate(ingress.AnnScheme, "public")),
			objs: []client.Object{albClass, webService()},
			want: state{Events: []string{`Warning FailedBuildModel: Failed build model due to annotation ` +
				`alb.ingress.kubernetes.io/scheme: invalid value "public"; allowed: internal, internet-facing`},
				Annotations: map[string]string{ingress.AnnScheme: "public"}}},
		{name: "missing backend Service: nothing made, retried with backoff",
			flag: "alb", ing: testIngress(className("alb")), objs: []client.Object{albClass},
			want: state{Events: []string{`Warning FailedBuildModel: Failed build model due to ` +
				`spec.rules[0].http.paths[0].backend.service.name: invalid value "web"; allowed: the name of a ` +
				`Service in namespace shop; retrying in 10s`},
				Annotations: map[string]string{}, Requeue: conditions.RetryFirstWait}},
		{name: "explicit group: the group's stack deployed, the group's finalizer on",
			flag: "alb", ing: testIngress(className("alb"), annotate(AnnGroupName, "shared")),
			objs: []client.Object{albClass, webService()}, driftOK: true,
			want: state{Calls: []string{"deploy shared finalized=false"},
				Events:     []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers: []string{ingress.GroupFinalizer("shared")}, Hostnames: []string{"k8s-shared.elb.amazonaws.com"},
				Annotations: map[string]string{AnnGroupName: "shared"}}},
		{name: "explicit group: moved from its implicit group, whose stack goes after the group's deploy",
			flag: "alb", ing: testIngress(className("alb"), annotate(AnnGroupName, "shared"), finalized),
			objs: []client.Object{albClass, webService()}, driftOK: true,
			want: state{Calls: []string{"deploy shared finalized=false", "delete " + stackRef + " finalized=true"},
				Events:     []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers: []string{ingress.GroupFinalizer("shared")}, Hostnames: []string{"k8s-shared.elb.amazonaws.com"},
				Annotations: map[string]string{AnnGroupName: "shared"}}},
		{name: "explicit group: moved from another group, which goes after the new group's deploy",
			flag: "alb", ing: testIngress(className("alb"), annotate(AnnGroupName, "shared"),
				func(i *networkingv1.Ingress) { i.Finalizers = append(i.Finalizers, ingress.GroupFinalizer("old")) }),
			objs: []client.Object{albClass, webService()}, driftOK: true,
			want: state{Calls: []string{"deploy shared finalized=false", "delete ingress:old finalized=false"},
				Events:     []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers: []string{ingress.GroupFinalizer("shared")}, Hostnames: []string{"k8s-shared.elb.amazonaws.com"},
				Annotations: map[string]string{AnnGroupName: "shared"}}},
		{name: "explicit group: left for its implicit group, whose load balancer comes first",
			flag: "alb", ing: testIngress(className("alb"),
				func(i *networkingv1.Ingress) { i.Finalizers = append(i.Finalizers, ingress.GroupFinalizer("old")) }),
			objs: []client.Object{albClass, webService()}, driftOK: true,
			want: state{Calls: []string{"deploy shop/web finalized=true", "delete ingress:old finalized=false"},
				Events:     []string{"Normal SuccessfullyReconciled: Successfully reconciled"},
				Finalizers: []string{Finalizer}, Hostnames: []string{host}, Annotations: map[string]string{}}},
		{name: "explicit group: a name LBC refuses changes nothing, event",
			flag: "alb", ing: testIngress(className("alb"), annotate(AnnGroupName, "Shared")),
			objs: []client.Object{albClass, webService()},
			want: state{Events: []string{`Warning FailedLoadGroupID: Failed load group ID due to ` +
				AnnGroupName + `: invalid value "Shared"; allowed: at most 63 lower case alphanumeric characters, ` +
				`'-' or '.', starting and ending with an alphanumeric character`},
				Annotations: map[string]string{AnnGroupName: "Shared"}}},
		{name: "explicit group: its last member deleted deletes the group's stack, then its finalizer",
			flag: "alb", ing: testIngress(className("alb"), annotate(AnnGroupName, "shared"), deleting,
				func(i *networkingv1.Ingress) { i.Finalizers = append(i.Finalizers, ingress.GroupFinalizer("shared")) }),
			objs: []client.Object{albClass, webService()},
			want: state{Calls: []string{"delete ingress:shared finalized=false"}, Gone: true}},
		{name: "a frontend-NLB Ingress (LBC-made): nothing changed, event",
			flag: "alb", ing: testIngress(className("alb"), annotate("alb.ingress.kubernetes.io/enable-frontend-nlb", "true")),
			objs: []client.Object{albClass, webService()},
			want: state{Events: []string{`Warning FailedBuildModel: Failed build model due to ` +
				`alb.ingress.kubernetes.io/enable-frontend-nlb: "true" is not served by kelb yet; ` +
				`allowed: the annotation unset; the load balancer is kept as it is`},
				Annotations: map[string]string{"alb.ingress.kubernetes.io/enable-frontend-nlb": "true"}}},
		{name: "deploy fails: finalizer stays, event, retried by the queue",
			flag: "alb", ing: testIngress(className("alb")), objs: []client.Object{albClass, webService()},
			deployErr: errors.New("connection reset"),
			want: state{Calls: []string{"deploy shop/web finalized=true"},
				Events:     []string{"Warning FailedDeployModel: Failed deploy model due to connection reset"},
				Finalizers: []string{Finalizer}, Annotations: map[string]string{}, Err: true}},
		{name: "deleted: stack deleted, then the finalizer released",
			flag: "alb", ing: testIngress(className("alb"), finalized, deleting),
			objs: []client.Object{albClass, webService()},
			want: state{Calls: []string{"delete " + stackRef + " finalized=true"}, Gone: true}},
		{name: "deleted while AWS holds a dependency: finalizer kept, looked at again soon",
			flag: "alb", ing: testIngress(className("alb"), finalized, deleting),
			objs: []client.Object{albClass, webService()}, deleteErr: deploy.ErrPending,
			want: state{Calls: []string{"delete " + stackRef + " finalized=true"}, Finalizers: []string{Finalizer},
				Annotations: map[string]string{}, Requeue: 5 * time.Second}},
		{name: "left the class (now nginx's) with the finalizer: cleaned up",
			flag: "alb", ing: testIngress(className("nginx"), finalized),
			objs: []client.Object{albClass, nginxClass, webService()},
			want: state{Calls: []string{"delete " + stackRef + " finalized=true"}, Annotations: map[string]string{}}},
		{name: "left a kelb of its own class: cleaned up, record removed",
			flag: "kelb", ing: testIngress(annotate(ingress.AnnIngressClass, "nginx"), annotate(AnnClaimedClass, "kelb"),
				finalized), objs: []client.Object{webService()},
			want: state{Calls: []string{"delete " + stackRef + " finalized=true"},
				Annotations: map[string]string{ingress.AnnIngressClass: "nginx"}}},
		{name: "class configuration broken: kept as it is and reported",
			flag: "alb", ing: testIngress(className("gone"), finalized), objs: []client.Object{webService()},
			want: state{Events: []string{`Warning FailedLoadGroupID: spec.ingressClassName: IngressClass "gone" not ` +
				`found; the load balancer is kept as it is until the class is fixed`},
				Finalizers: []string{Finalizer}, Annotations: map[string]string{}}},
		{name: "class configuration broken, Ingress deleted: cleaned up",
			flag: "alb", ing: testIngress(className("gone"), finalized, deleting), objs: []client.Object{webService()},
			want: state{Calls: []string{"delete " + stackRef + " finalized=true"}, Gone: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.flag, append(tt.objs, tt.ing)...)
			h.dep.deployErr, h.dep.deleteErr = tt.deployErr, tt.deleteErr
			res, err := h.reconcile(t)
			got := h.state(t, res, err)
			if tt.driftOK {
				if got.Requeue < time.Hour || got.Requeue > time.Hour+6*time.Minute {
					t.Errorf("requeue after %s, want the drift period with jitter", got.Requeue)
				}
				got.Requeue = 0
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClassAnnotationDisabled: with --disable-ingress-class-annotation, a
// new use of the class annotation is refused (nothing made, an event naming
// it, a wait for an edit), while an Ingress already served by it goes on.
func TestClassAnnotationDisabled(t *testing.T) {
	refused := `Warning FailedBuildModel: Failed build model due to annotation kubernetes.io/ingress.class: ` +
		`invalid value "alb"; allowed: none: new uses are refused with --disable-ingress-class-annotation; ` +
		`name an IngressClass of controller ingress.k8s.aws/alb in spec.ingressClassName`
	tests := []struct {
		name string
		ing  *networkingv1.Ingress
		want []string // deployer calls, then events
	}{
		{"new use", testIngress(annotate(ingress.AnnIngressClass, "alb")), []string{refused}},
		{"served before", testIngress(annotate(ingress.AnnIngressClass, "alb"), finalized),
			[]string{"deploy shop/web finalized=true", "Normal SuccessfullyReconciled: Successfully reconciled"}},
		{"spec.ingressClassName", testIngress(className("alb")),
			[]string{"deploy shop/web finalized=true", "Normal SuccessfullyReconciled: Successfully reconciled"}},
	}
	for _, tt := range tests {
		h := newHarness(t, "alb", ingressClass("alb", ingress.ControllerALB), webService(), tt.ing)
		h.ctrl.DisableIngressClassAnnotation = true
		res, err := h.reconcile(t)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := append(h.dep.list(), h.rec.list()...); !cmp.Equal(tt.want, got) {
			t.Errorf("%s: %s", tt.name, cmp.Diff(tt.want, got))
		}
		if len(tt.want) == 1 && res.RequeueAfter != 0 {
			t.Errorf("%s: requeue after %s, want a wait for an edit", tt.name, res.RequeueAfter)
		}
	}
}

// TestNoFactReadWithoutUse: an Ingress of another class is not built, and
// one whose annotations are refused before the facts they call for are
// known asks AWS nothing.
func TestNoFactReadWithoutUse(t *testing.T) {
	for name, ing := range map[string]*networkingv1.Ingress{
		"another class": testIngress(className("nginx")),
		"bad scheme":    testIngress(className("alb"), annotate(ingress.AnnScheme, "public")),
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "alb", ingressClass("nginx", "k8s.io/ingress-nginx"),
				ingressClass("alb", ingress.ControllerALB), webService(), ing)
			if _, err := h.reconcile(t); err != nil {
				t.Fatal(err)
			}
			if h.facts.calls != 0 {
				t.Errorf("fact calls = %d, want 0", h.facts.calls)
			}
		})
	}
}

// TestConvergedReconcileIsQuiet: a second reconcile of a converged Ingress
// deploys again (the deployer diffs) but repeats no event and writes
// nothing to the Ingress.
func TestConvergedReconcileIsQuiet(t *testing.T) {
	h := newHarness(t, "alb", ingressClass("alb", ingress.ControllerALB), webService(), testIngress(className("alb")))
	if _, err := h.reconcile(t); err != nil {
		t.Fatal(err)
	}
	var before networkingv1.Ingress
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: ingName}, &before); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reconcile(t); err != nil {
		t.Fatal(err)
	}
	var after networkingv1.Ingress
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: ingName}, &after); err != nil {
		t.Fatal(err)
	}
	if before.ResourceVersion != after.ResourceVersion {
		t.Errorf("resourceVersion %s -> %s, want no write", before.ResourceVersion, after.ResourceVersion)
	}
	if got := len(h.rec.list()); got != 1 {
		t.Errorf("events = %q, want one", h.rec.list())
	}
	if got := h.dep.list(); len(got) != 2 {
		t.Errorf("deployer calls = %q, want two deploys", got)
	}
}

// TestConditionsKeptKelbSide: the conditions follow the reconciles, Ready
// derived from Configured and Deployed.
func TestConditionsKeptKelbSide(t *testing.T) {
	h := newHarness(t, "alb", ingressClass("alb", ingress.ControllerALB), webService(),
		testIngress(className("alb"), annotate(ingress.AnnScheme, "public")))
	if _, err := h.reconcile(t); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: ns, Name: ingName}
	ready := func() string {
		for _, c := range h.ctrl.health.get(key) {
			if c.Type == ConditionReady {
				return string(c.Status) + " " + c.Reason
			}
		}
		return "missing"
	}
	if got := ready(); got != "False InvalidConfiguration" {
		t.Errorf("Ready = %s, want False InvalidConfiguration", got)
	}
	var ing networkingv1.Ingress
	if err := h.c.Get(context.Background(), key, &ing); err != nil {
		t.Fatal(err)
	}
	delete(ing.Annotations, ingress.AnnScheme)
	if err := h.c.Update(context.Background(), &ing); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reconcile(t); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got != "True Deployed" {
		t.Errorf("Ready = %s, want True Deployed", got)
	}
	if ev := h.rec.list(); !strings.HasPrefix(ev[len(ev)-1], "Normal SuccessfullyReconciled") {
		t.Errorf("last event = %q", ev[len(ev)-1])
	}
}

func TestBackendNames(t *testing.T) {
	ing := testIngress(func(ing *networkingv1.Ingress) {
		ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "zeta"}}
		ing.Spec.Rules = append(ing.Spec.Rules, ing.Spec.Rules[0], networkingv1.IngressRule{Host: "no-http"})
	})
	if diff := cmp.Diff([]string{"web", "zeta"}, backendNames(ing)); diff != "" {
		t.Errorf("backend names (-want +got):\n%s", diff)
	}
}

// TestCertificateDiscovery: an HTTPS listener without certificate-arn gets
// the ISSUED ACM certificates covering the Ingress's hosts; without one,
// nothing is deployed and the Ingress is retried with backoff.
func TestCertificateDiscovery(t *testing.T) {
	const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/wild"
	https := func(ing *networkingv1.Ingress) {
		ing.Annotations[ingress.AnnListenPorts] = `[{"HTTPS": 443}]`
		ing.Spec.Rules[0].Host = "shop.example.com"
	}
	for _, tt := range []struct {
		name      string
		certs     []ingress.ACMCertificate
		wantCerts []string
		wantWait  time.Duration
	}{
		{name: "wildcard covers the host", wantCerts: []string{arn},
			certs: []ingress.ACMCertificate{{ARN: arn, Status: "ISSUED", Domains: []string{"*.example.com"}},
				{ARN: arn + "-pending", Status: "PENDING_VALIDATION", Domains: []string{"shop.example.com"}}}},
		{name: "none issued", wantWait: conditions.RetryFirstWait,
			certs: []ingress.ACMCertificate{{ARN: arn, Status: "PENDING_VALIDATION", Domains: []string{"*.example.com"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "alb", ingressClass("alb", ingress.ControllerALB), webService(),
				testIngress(className("alb"), https))
			h.facts.certs = tt.certs
			res, err := h.reconcile(t)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if h.dep.last != nil {
				got = h.dep.last.Listeners[0].Certificates
			} else if res.RequeueAfter != tt.wantWait {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tt.wantWait)
			}
			if diff := cmp.Diff(tt.wantCerts, got); diff != "" {
				t.Errorf("certificates (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNamedCertificateNotUsable: a named certificate AWS does not hold (or
// has not issued) is found before anything changes: no deploy, no
// finalizer, a Warning naming the annotation, a retry with backoff; once
// AWS holds it, the Ingress deploys without an edit.
func TestNamedCertificateNotUsable(t *testing.T) {
	const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/later"
	h := newHarness(t, "alb", ingressClass("alb", ingress.ControllerALB), webService(),
		testIngress(className("alb"), func(ing *networkingv1.Ingress) {
			ing.Annotations[ingress.AnnCertificateARN] = arn
		}))
	h.facts.statuses = map[string]service.CertificateStatus{arn: service.CertificateNotFound}
	res, err := h.reconcile(t)
	got := h.state(t, res, err)
	want := state{Requeue: conditions.RetryFirstWait, Annotations: map[string]string{ingress.AnnCertificateARN: arn},
		Events: []string{"Warning FailedBuildModel: Failed build model " +
			"due to annotation " + ingress.AnnCertificateARN + ": invalid value \"" + arn + "\"; allowed: ISSUED ACM " +
			"certificates or IAM server certificates (it does not exist in ACM or IAM); retrying in 10s"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}

	h.facts.statuses = nil
	if _, err := h.reconcile(t); err != nil {
		t.Fatal(err)
	}
	if h.dep.last == nil || !slices.Equal(h.dep.last.Listeners[0].Certificates, []string{arn}) {
		t.Errorf("no deploy with the certificate once AWS holds it: %+v", h.dep.last)
	}
}
