package ingress

import (
	"errors"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
)

// Event reasons on the Ingress: LBC's (pkg/k8s/events.go), so that what
// users watch for keeps working.
const (
	EventFailedLoadGroupID      = "FailedLoadGroupID"
	EventFailedAddFinalizer     = "FailedAddFinalizer"
	EventFailedRemoveFinalizer  = "FailedRemoveFinalizer"
	EventFailedUpdateStatus     = "FailedUpdateStatus"
	EventFailedBuildModel       = "FailedBuildModel"
	EventFailedDeployModel      = "FailedDeployModel"
	EventSuccessfullyReconciled = "SuccessfullyReconciled"
	// EventAnnotationIgnored: an add-on flag that is off makes an
	// annotation of the Ingress ignored (kelb's).
	EventAnnotationIgnored = "AnnotationIgnored"
	// EventFailedCleanup is kelb's: deleting the stack of an Ingress that
	// is deleted or left the class failed (LBC reports it as a failed
	// deploy of the emptied group).
	EventFailedCleanup = "FailedCleanup"
)

// Condition reasons (kelb-side conditions and metrics).
const (
	ReasonInvalidConfiguration = conditions.ReasonInvalidConfiguration
	ReasonAWSRejected          = conditions.ReasonAWSRejected
	ReasonAWSError             = conditions.ReasonAWSError
	// ReasonWaitingForAWS: AWS or the cluster may come to satisfy what the
	// Ingress names (a subnet tagged, a certificate issued, a Service
	// created, a permission granted): retried with backoff.
	ReasonWaitingForAWS     = conditions.ReasonWaitingForAWS
	ReasonDeletionProtected = "DeletionProtected"
	// ReasonNotServed: the Ingress or its class asks for a setting kelb
	// does not build yet (custom actions, auth, WAF, ...).
	ReasonNotServed = "SettingNotServed"
)

// failure is what a failed reconcile reports and when it is tried again.
type failure struct {
	reason string
	retry  conditions.Retry
}

// classifyFailure sorts errors by who can fix them: the Ingress's author
// alone (a value not allowed: wait for an edit), the outside world (a
// subnet, a certificate, a Service that may come to exist: retried with a
// capped backoff), or time (throttling, a 5xx: the work queue's backoff).
func classifyFailure(err error) failure {
	var fieldErr *ingress.FieldError
	var annErr *ingress.AnnotationError
	var protected *deploy.LoadBalancerProtectedError
	var conflict *ingress.ConflictError
	switch {
	case errors.As(err, &conflict):
		return failure{ReasonInvalidConfiguration, conditions.RetryOnChange}
	case errors.As(err, &fieldErr):
		if fieldErr.External {
			return failure{ReasonWaitingForAWS, conditions.RetryWithBackoff}
		}
		return failure{ReasonInvalidConfiguration, conditions.RetryOnChange}
	case errors.As(err, &annErr) && annErr.External:
		return failure{ReasonWaitingForAWS, conditions.RetryWithBackoff}
	case conditions.IsTerminal(err):
		return failure{ReasonInvalidConfiguration, conditions.RetryOnChange}
	case errors.As(err, &protected):
		return failure{ReasonDeletionProtected, conditions.RetryWithBackoff}
	case awsclient.IsCertificateUnusable(err):
		return failure{ReasonWaitingForAWS, conditions.RetryWithBackoff}
	}
	reason, retry := conditions.ReasonOf(err)
	return failure{reason, retry}
}
