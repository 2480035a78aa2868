package service

import (
	"fmt"
	"strconv"
	"strings"
)

// attrDeletionProtection is the load balancer attribute that makes AWS
// refuse DeleteLoadBalancer.
const attrDeletionProtection = "deletion_protection.enabled"

// DeletionProtectedError says a Service's load balancer is not deleted
// because its attributes annotation enables deletion protection. Nothing is
// changed in AWS until the annotation changes.
type DeletionProtectedError struct {
	Service string // its name
}

func (e *DeletionProtectedError) Error() string {
	// LBC's words, then what to do.
	return fmt.Sprintf("deletion_protection is enabled, cannot delete the service: %s; set %s=false in annotation %s "+
		"to let the load balancer be deleted", e.Service, attrDeletionProtection, AnnAttributes)
}

// Deletable says whether a Service being finalized may have its load
// balancer deleted, as LBC decides it from the attributes annotation alone:
// deletion_protection.enabled=true refuses (a *DeletionProtectedError,
// before any AWS call); =false also lets kelb turn the attribute off in AWS
// first (lift), since the annotation is where the user says what the
// attributes are; without the key AWS's value stands. A value that is not
// a boolean is an *AnnotationError: nothing is deleted.
func Deletable(name string, ann map[string]string) (lift bool, err error) {
	attrs, err := annotations(ann).keyValues(AnnAttributes)
	if err != nil {
		return false, err
	}
	v, ok := attrs[attrDeletionProtection]
	if !ok {
		return false, nil
	}
	on, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, &AnnotationError{Annotation: AnnAttributes, Value: attrDeletionProtection + "=" + v,
			Allowed: attrDeletionProtection + "=true or " + attrDeletionProtection + "=false"}
	}
	if on {
		return false, &DeletionProtectedError{Service: name}
	}
	return true, nil
}
