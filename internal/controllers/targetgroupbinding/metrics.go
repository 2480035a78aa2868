package targetgroupbinding

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	targetChanges = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kelb_targetgroupbinding_targets_total",
		Help: "Targets the TargetGroupBinding controller registered or deregistered."}, []string{"action"})
	registeredTargets   = targetChanges.WithLabelValues("registered")
	deregisteredTargets = targetChanges.WithLabelValues("deregistered")
	reconcileErrors     = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kelb_targetgroupbinding_reconcile_errors_total",
		Help: "TargetGroupBinding reconciles that failed and are retried, by reason."}, []string{"reason"})
	gateConditionWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kelb_targetgroupbinding_readiness_gate_writes_total",
		Help: "Pod readiness gate conditions the TargetGroupBinding controller wrote, by status."}, []string{"status"})
)

func init() { metrics.Registry.MustRegister(targetChanges, reconcileErrors, gateConditionWrites) }
