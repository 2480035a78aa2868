package conditions

import (
	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// Retry says when a failed reconcile is tried again, by who can make it
// succeed.
type Retry int

// When to retry.
const (
	// RetrySoon: time may fix it (throttling, a 5xx, AWS's eventual
	// consistency): the work queue's backoff.
	RetrySoon Retry = iota
	// RetryOnChange: only the object's author can fix it; nothing is tried
	// until the object changes (a periodic re-check aside).
	RetryOnChange
	// RetryWithBackoff: the outside world may fix it without the object
	// changing (a quota raised, a permission granted, a certificate
	// issued): retried slowly, with a backoff of the controller's own.
	RetryWithBackoff
	// RetryPeriodically: something the controller cannot watch may change
	// (room in a full security group, a referenced object syncing): looked
	// at again at a fixed period.
	RetryPeriodically
)

// RetryOf classifies err: a TerminalError waits for an edit; an AWS error
// by its code, as internal/aws classifies AWS error codes (the one place
// that does); anything else is retried soon.
func RetryOf(err error) Retry {
	if IsTerminal(err) {
		return RetryOnChange
	}
	switch awsclient.Classify(err) {
	case awsclient.Terminal:
		return RetryOnChange
	case awsclient.External:
		return RetryWithBackoff
	}
	return RetrySoon
}

// ReasonOf is the reason and retry of an error that no controller knows
// better: RetryOf's class, named alike by every controller.
func ReasonOf(err error) (string, Retry) {
	if awsclient.IsAccessDenied(err) {
		return ReasonMissingIAMPermission, RetryWithBackoff
	}
	switch retry := RetryOf(err); retry {
	case RetryOnChange:
		return ReasonAWSRejected, retry
	case RetryWithBackoff:
		return ReasonWaitingForAWS, retry
	}
	return ReasonAWSError, RetrySoon
}
