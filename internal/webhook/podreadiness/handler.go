package podreadiness

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// Path is where the webhook is served: LBC's path, so LBC's webhook
// configuration reaches kelb unchanged.
const Path = "/mutate-v1-pod"

// DefaultBudget is how long one admission may spend reading; past it the
// pod is created unchanged. It stays below the configuration's
// timeoutSeconds, so kelb answers before the API server gives up on it.
const DefaultBudget = 3 * time.Second

var admissions = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "kelb_pod_readiness_gate_admissions_total",
	Help: "Pod creations the readiness gate webhook answered, by outcome: injected, unchanged, not-enabled, " +
		"error (a read failed; the pod was created unchanged), not-pod-create.",
}, []string{"outcome"})

func init() { crmetrics.Registry.MustRegister(admissions) }

// Handler answers the API server's admission reviews of pod creations. It
// never refuses a pod: when anything fails the pod is created as it is, the
// failure logged and counted.
type Handler struct {
	// Reader reads Namespaces, TargetGroupBindings and Services (the
	// manager's cache).
	Reader client.Reader
	// Enabled is --enable-pod-readiness-gate-inject.
	Enabled bool
	// Budget bounds the reads of one admission (DefaultBudget when 0).
	Budget  time.Duration
	Decoder admission.Decoder
	Log     logr.Logger
}

// NewWebhook returns the handler wrapped for the webhook server.
func NewWebhook(h *Handler, scheme *runtime.Scheme) *webhook.Admission {
	if h.Decoder == nil {
		h.Decoder = admission.NewDecoder(scheme)
	}
	return &webhook.Admission{Handler: h}
}

// Handle implements admission.Handler.
func (h *Handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create || req.Kind.Kind != "Pod" || req.SubResource != "" {
		admissions.WithLabelValues(OutcomeNotPodCreate).Inc()
		return admission.Allowed("not a pod creation")
	}
	pod := &corev1.Pod{}
	if err := h.Decoder.Decode(req, pod); err != nil {
		return h.allowOnError(req, fmt.Errorf("decoding the pod: %w", err))
	}
	budget := h.Budget
	if budget == 0 {
		budget = DefaultBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	in, err := h.gather(ctx, req.Namespace, pod)
	if err != nil {
		return h.allowOnError(req, err)
	}
	d := Decide(in)
	admissions.WithLabelValues(d.Outcome).Inc()
	if d.Outcome != OutcomeInjected {
		return admission.Allowed(d.Outcome)
	}
	pod.Spec.ReadinessGates = d.Gates
	mutated, err := json.Marshal(pod)
	if err != nil {
		return h.allowOnError(req, fmt.Errorf("encoding the pod: %w", err))
	}
	h.Log.V(1).Info("readiness gates injected", "namespace", req.Namespace, "pod", podName(req, pod),
		"added", d.Added, "removed", d.Removed)
	return admission.PatchResponseFromRaw(req.Object.Raw, mutated)
}

// gather reads what the decision needs. A namespace without the label
// costs one cached read; only then are bindings and Services read.
func (h *Handler) gather(ctx context.Context, namespace string, pod *corev1.Pod) (Input, error) {
	in := Input{Enabled: h.Enabled, Pod: pod, Services: map[string]*corev1.Service{}}
	if !h.Enabled {
		return in, nil
	}
	ns := &corev1.Namespace{}
	if err := h.Reader.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
		return in, fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	in.NamespaceLabels = ns.Labels
	if Decide(Input{Enabled: true, NamespaceLabels: ns.Labels, Pod: pod}).Outcome == OutcomeNotEnabled {
		return in, nil
	}
	var bindings elbv2.TargetGroupBindingList
	if err := h.Reader.List(ctx, &bindings, client.InNamespace(namespace)); err != nil {
		return in, fmt.Errorf("listing TargetGroupBindings in %s: %w", namespace, err)
	}
	in.Bindings = bindings.Items
	for _, name := range ServiceNames(bindings.Items) {
		svc := &corev1.Service{}
		err := h.Reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, svc)
		switch {
		case apierrors.IsNotFound(err):
			continue // a binding of a Service not made yet selects nothing, as in LBC
		case err != nil:
			return in, fmt.Errorf("reading Service %s/%s: %w", namespace, name, err)
		}
		in.Services[name] = svc
	}
	return in, nil
}

// allowOnError lets the pod be created unchanged: a missing gate costs a
// rolling update its wait for target health, a refused pod costs far more.
func (h *Handler) allowOnError(req admission.Request, err error) admission.Response {
	admissions.WithLabelValues(OutcomeError).Inc()
	h.Log.Error(err, "pod readiness gate webhook: the pod is created without target-health gates",
		"namespace", req.Namespace, "pod", req.Name)
	return admission.Allowed("readiness gates not injected: " + err.Error())
}

func podName(req admission.Request, pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	if req.Name != "" {
		return req.Name
	}
	return pod.GenerateName + "*"
}
