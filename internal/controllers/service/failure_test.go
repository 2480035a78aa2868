package service

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/service"
)

func awsErr(code string) error {
	return fmt.Errorf("creating listener: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
}

func TestClassifyFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want failure
	}{
		{"bad annotation", &service.AnnotationError{Annotation: "a", Value: "v"},
			failure{ReasonInvalidConfiguration, conditions.RetryOnChange}},
		{"invalid Service", fmt.Errorf("%w: no ports", service.ErrInvalid), failure{ReasonInvalidConfiguration, conditions.RetryOnChange}},
		{"subnet that may be created", &service.AnnotationError{Annotation: "a", Value: "v", External: true},
			failure{ReasonInvalidConfiguration, conditions.RetryWithBackoff}},
		{"certificate not issued yet", fmt.Errorf("building: %w", &service.CertificateError{ARN: "arn", Status: "PENDING_VALIDATION"}),
			failure{ReasonCertificateNotReady, conditions.RetryWithBackoff}},
		{"AWS has no such certificate", awsErr("CertificateNotFound"), failure{ReasonCertificateNotReady, conditions.RetryWithBackoff}},
		{"AWS cannot use the certificate", awsErr("UnsupportedCertificate"), failure{ReasonCertificateNotReady, conditions.RetryWithBackoff}},
		{"full node security group", &deploy.RuleLimitError{Group: "sg-1"}, failure{ReasonSecurityGroupRuleLimit, conditions.RetryPeriodically}},
		{"malformed request", awsErr("ValidationError"), failure{ReasonAWSRejected, conditions.RetryOnChange}},
		{"access denied", awsErr("AccessDenied"), failure{conditions.ReasonMissingIAMPermission, conditions.RetryWithBackoff}},
		{"quota", awsErr("TooManyLoadBalancers"), failure{ReasonWaitingForAWS, conditions.RetryWithBackoff}},
		{"throttled", awsErr("Throttling"), failure{ReasonAWSError, conditions.RetrySoon}},
		{"deletion protection in the annotation", &service.DeletionProtectedError{Service: "web"},
			failure{ReasonDeletionProtected, conditions.RetryOnChange}},
		{"deletion protection in AWS", fmt.Errorf("deleting: %w", &deploy.LoadBalancerProtectedError{Name: "lb",
			Err: awsErr("OperationNotPermitted")}), failure{ReasonDeletionProtected, conditions.RetryWithBackoff}},
		{"anything else", errors.New("connection reset"), failure{ReasonAWSError, conditions.RetrySoon}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, classifyFailure(tt.err), cmp.AllowUnexported(failure{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestContentVersion: what a user edits changes the version; status does not.
func TestContentVersion(t *testing.T) {
	base := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{"a": "1"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
	annotated, respec, restatus := base.DeepCopy(), base.DeepCopy(), base.DeepCopy()
	annotated.Annotations["a"] = "2"
	respec.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
	restatus.Status.Conditions = []metav1.Condition{{Type: "x"}}
	restatus.ResourceVersion = "42"
	got := map[string]bool{"annotation": contentVersion(annotated) != contentVersion(base),
		"spec": contentVersion(respec) != contentVersion(base), "status": contentVersion(restatus) != contentVersion(base)}
	if diff := cmp.Diff(map[string]bool{"annotation": true, "spec": true, "status": false}, got); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
}
