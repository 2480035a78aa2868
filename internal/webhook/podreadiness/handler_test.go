package podreadiness

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	elbv2 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

func testScheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := elbv2.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func createRequest(t *testing.T, p *corev1.Pod) admission.Request {
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Create, Namespace: "shop", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Object: runtime.RawExtension{Raw: raw}}}
}

func TestHandler(t *testing.T) {
	s := testScheme(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: enabledNS}}
	b := binding("k8s-shop-web-1", "web", "ip")
	objs := []client.Object{ns, &b, service("web", map[string]string{"app": "web"})}
	failing := interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
		return errors.New("cache not synced")
	}}
	for _, tc := range []struct {
		name    string
		fail    bool
		req     func(*testing.T) admission.Request
		patched bool
		outcome string
	}{
		{name: "matching pod gets the gate", req: func(t *testing.T) admission.Request {
			return createRequest(t, pod(map[string]string{"app": "web"}))
		}, patched: true, outcome: OutcomeInjected},
		{name: "other pod unchanged", req: func(t *testing.T) admission.Request {
			return createRequest(t, pod(map[string]string{"app": "api"}))
		}, outcome: OutcomeUnchanged},
		{name: "a failing read lets the pod through unchanged", fail: true, req: func(t *testing.T) admission.Request {
			return createRequest(t, pod(map[string]string{"app": "web"}))
		}, outcome: OutcomeError},
		{name: "an update is not ours", req: func(t *testing.T) admission.Request {
			r := createRequest(t, pod(map[string]string{"app": "web"}))
			r.Operation = admissionv1.Update
			return r
		}, outcome: OutcomeNotPodCreate},
		{name: "an undecodable object lets the pod through", req: func(t *testing.T) admission.Request {
			r := createRequest(t, pod(nil))
			r.Object.Raw = []byte("{not json")
			return r
		}, outcome: OutcomeError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cb := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...)
			if tc.fail {
				cb = cb.WithInterceptorFuncs(failing)
			}
			h := &Handler{Reader: cb.Build(), Enabled: true, Log: logr.Discard()}
			NewWebhook(h, s)
			before := testutil.ToFloat64(admissions.WithLabelValues(tc.outcome))
			resp := h.Handle(t.Context(), tc.req(t))
			if !resp.Allowed {
				t.Fatalf("pod refused: %+v", resp.Result)
			}
			if got := len(resp.Patches) > 0; got != tc.patched {
				t.Errorf("patched = %v (%v); want %v", got, resp.Patches, tc.patched)
			}
			if tc.patched {
				want := `[{"op":"add","path":"/spec/readinessGates","value":[{"conditionType":"target-health.elbv2.k8s.aws/k8s-shop-web-1"}]}]`
				got, _ := json.Marshal(resp.Patches)
				if diff := cmp.Diff(want, string(got)); diff != "" {
					t.Errorf("patch (-want +got):\n%s", diff)
				}
			}
			if d := testutil.ToFloat64(admissions.WithLabelValues(tc.outcome)) - before; d != 1 {
				t.Errorf("outcome %s counted %v times", tc.outcome, d)
			}
		})
	}
}
