package ingress

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/internal/conditions"
)

// kelb's conditions of an Ingress. The Ingress API has no status
// conditions, and LBC writes none (nor any annotation): its users read
// events and status.loadBalancer. kelb keeps the same conditions as for
// Services, in memory, and shows them as events (when they change) and as
// the kelb_ingress_condition metric; it invents no status field and writes
// no annotation that would change the object on every state change.
const (
	ConditionConfigured = "elbv2.k8s.aws/Configured" // the Ingress's settings are valid
	ConditionDeployed   = "elbv2.k8s.aws/Deployed"   // AWS matches the settings
	ConditionReady      = "elbv2.k8s.aws/Ready"
)

// Reasons of the conditions that hold.
const (
	ReasonValid         = "Valid"
	ReasonDeployed      = "Deployed"
	ReasonProvisioning  = "Provisioning"
	ReasonNotReconciled = "NotReconciled"
)

var readyRule = conditions.ReadyRule{Type: ConditionReady, From: []string{ConditionConfigured, ConditionDeployed},
	Reason: ReasonDeployed, NotReconciled: ReasonNotReconciled}

var conditionGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kelb_ingress_condition",
	Help: "kelb's conditions of each Ingress it serves: 1 when True, 0 when False; reason says why"},
	[]string{"namespace", "ingress", "type", "reason"})

func init() { metrics.Registry.MustRegister(conditionGauge) }

// health holds the conditions of every Ingress kelb serves.
type health struct {
	clock clock.PassiveClock

	mu    sync.Mutex
	conds map[types.NamespacedName][]metav1.Condition
}

func newHealth(clk clock.PassiveClock) *health {
	return &health{clock: clk, conds: map[types.NamespacedName][]metav1.Condition{}}
}

// update edits the Ingress's conditions at generation and reports whether
// Ready changed as a reader sees it (status, reason or message).
func (h *health) update(key types.NamespacedName, generation int64, edit func(conditions.Editor),
	holds ...conditions.Hold) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	conds := h.conds[key]
	e := conditions.Edit(&conds, generation, h.clock)
	edit(e)
	changed := e.SetReady(readyRule, holds...)
	h.conds[key] = conds
	for _, c := range conds {
		conditionGauge.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "ingress": key.Name,
			"type": c.Type})
		v := 0.0
		if c.Status == metav1.ConditionTrue {
			v = 1
		}
		conditionGauge.WithLabelValues(key.Namespace, key.Name, c.Type, c.Reason).Set(v)
	}
	return changed
}

// get returns a copy of the Ingress's conditions.
func (h *health) get(key types.NamespacedName) []metav1.Condition {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]metav1.Condition(nil), h.conds[key]...)
}

// forget drops an Ingress kelb no longer serves.
func (h *health) forget(key types.NamespacedName) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conds, key)
	conditionGauge.DeletePartialMatch(prometheus.Labels{"namespace": key.Namespace, "ingress": key.Name})
}
