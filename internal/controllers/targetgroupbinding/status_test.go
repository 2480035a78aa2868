package targetgroupbinding

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func TestOutcomeOf(t *testing.T) {
	type got struct {
		Reason, Message string
		Retried         bool
	}
	apiErr := fmt.Errorf("registering: %w", &smithy.GenericAPIError{Code: "Throttling", Message: "slow down"})
	tests := []struct {
		name string
		err  error
		want got
	}{
		{"invalid spec field: waits for an edit", fmt.Errorf("checking: %w", &invalidError{Field: "spec.vpcID", Value: "vpc-2",
			Allowed: "vpc-1, the VPC of target group tg"}),
			got{ReasonInvalidConfiguration, `checking: spec.vpcID "vpc-2" is not valid: vpc-1, the VPC of target group tg`, false}},
		{"backend missing: waits for the Service", &backendMissingError{"service default/web not found"},
			got{ReasonBackendNotFound, "service default/web not found", false}},
		{"target group missing: retried", fmt.Errorf("tg: %w", errTargetGroupNotFound),
			got{ReasonTargetGroupNotFound, "tg: " + errTargetGroupNotFound.Error(), true}},
		{"AWS error: retried", apiErr, got{ReasonAWSError, apiErr.Error(), true}},
		{"anything else: retried", errors.New("connection reset"), got{ReasonError, "connection reset", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outcomeOf(tt.err)
			if diff := cmp.Diff(tt.want, got{o.reason, o.message, o.err != nil}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
