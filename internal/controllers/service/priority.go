package service

import (
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kelb-dev/kelb/internal/controllers/newwork"
	"github.com/kelb-dev/kelb/internal/service"
)

// newWorkFirst enqueues Services so that new and changed ones go ahead of
// re-checks (newwork.First). A Service of the first list is a re-check when
// its status says its current spec is deployed (kelb's finalizer,
// Deployed=True for its generation, not being deleted), or kelb has nothing
// to do with it (not its own and no finalizer of kelb's: the cluster's
// other Services, which must not crowd out new work either).
type newWorkFirst struct{ class string }

func (h newWorkFirst) handler() newwork.First { return newwork.First{RecheckOnly: h.recheckOnly} }

// recheckOnly reports whether reconciling the Service can only confirm what
// is there.
func (h newWorkFirst) recheckOnly(o client.Object) bool {
	svc, ok := o.(*corev1.Service)
	if !ok {
		return false
	}
	finalizer := controllerutil.ContainsFinalizer(svc, service.Finalizer)
	if !finalizer {
		return service.OwnershipOf(svc, h.class) != service.Claimed || !svc.DeletionTimestamp.IsZero()
	}
	if !svc.DeletionTimestamp.IsZero() || service.OwnershipOf(svc, h.class) != service.Claimed {
		return false // clean-up to do
	}
	c := meta.FindStatusCondition(svc.Status.Conditions, ConditionDeployed)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == svc.Generation
}

// serviceLogger gives reconciles the log keys For() gives them.
func serviceLogger(base logr.Logger) func(*reconcile.Request) logr.Logger {
	log := base.WithValues("controller", Name, "controllerGroup", "", "controllerKind", "Service")
	return func(req *reconcile.Request) logr.Logger {
		if req == nil {
			return log
		}
		return log.WithValues("Service", objectRef{Name: req.Name, Namespace: req.Namespace},
			"namespace", req.Namespace, "name", req.Name)
	}
}

// objectRef logs as klog's object reference does.
type objectRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (r objectRef) String() string { return r.Namespace + "/" + r.Name }
