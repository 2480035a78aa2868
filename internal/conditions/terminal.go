package conditions

import (
	"errors"
	"fmt"
)

// Reasons every controller uses alike, in conditions and events.
const (
	// ReasonInvalidConfiguration: a value the object's author set is not
	// allowed (a TerminalError).
	ReasonInvalidConfiguration = "InvalidConfiguration"
	// ReasonAWSRejected: AWS refuses the request as made; the author must
	// act (RetryOnChange).
	ReasonAWSRejected = "AWSRejected"
	// ReasonAWSError: an AWS error that is retried.
	ReasonAWSError = "AWSError"
	// ReasonWaitingForAWS: something outside the object may yet come to
	// be (a quota raised, a permission granted, a certificate issued).
	ReasonWaitingForAWS = "WaitingForAWS"
	// ReasonMissingIAMPermission: kelb's IAM policy lacks the permission
	// the message names; retried with backoff until an admin grants it.
	ReasonMissingIAMPermission = "MissingIAMPermission"
)

// TerminalError is an error only the object's author can fix: a field (a
// spec field or an annotation) whose value is not allowed, or a request AWS
// refuses as made. Retrying cannot help, so a controller reports it (a
// condition and a Warning event naming the field and what it may be) and
// waits for an edit of the object, changing nothing in AWS meanwhile.
//
// A package whose errors say more (which Service annotation, whether the
// outside world may yet create what it names) keeps its own error type and
// gives it an As method that returns the TerminalError view, so that
// controllers classify every such error through this one type.
type TerminalError struct {
	// Reason is the condition's and the event's reason.
	Reason string
	// Field is what must change: a spec field ("spec.serviceName") or an
	// annotation key.
	Field string
	// Value is the field's value, as the object has it.
	Value string
	// Allowed says what the field may be.
	Allowed string
	// Message, when set, is the error's text as users read it; else
	// `<Field>: "<Value>" is not valid; allowed: <Allowed>`.
	Message string
}

func (e *TerminalError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("%s: %q is not valid; allowed: %s", e.Field, e.Value, e.Allowed)
}

// InvalidField is a TerminalError for a spec field, e.g. "spec.serviceName".
func InvalidField(field, value, allowed string) *TerminalError {
	return &TerminalError{Reason: ReasonInvalidConfiguration, Field: field, Value: value, Allowed: allowed}
}

// InvalidAnnotation is a TerminalError for an annotation.
func InvalidAnnotation(key, value, allowed string) *TerminalError {
	return &TerminalError{Reason: ReasonInvalidConfiguration, Field: key, Value: value, Allowed: allowed,
		Message: fmt.Sprintf("annotation %s: %q is not valid; allowed: %s", key, value, allowed)}
}

// AsTerminal returns the TerminalError in err's chain, if any.
func AsTerminal(err error) (*TerminalError, bool) {
	var te *TerminalError
	if errors.As(err, &te) {
		return te, true
	}
	return nil, false
}

// IsTerminal reports whether err's chain holds a TerminalError.
func IsTerminal(err error) bool {
	_, ok := AsTerminal(err)
	return ok
}
