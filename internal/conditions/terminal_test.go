package conditions

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// viewed is a package's own error that shows itself as a TerminalError.
type viewed struct{ external bool }

func (v *viewed) Error() string { return "annotation a: invalid value \"v\"; allowed: b" }

func (v *viewed) As(target any) bool {
	te, ok := target.(**TerminalError)
	if ok && !v.external {
		*te = &TerminalError{Reason: ReasonInvalidConfiguration, Field: "a", Value: "v", Allowed: "b", Message: v.Error()}
	}
	return ok && !v.external
}

func awsErr(code string) error {
	return fmt.Errorf("creating: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
}

func TestTerminalError(t *testing.T) {
	type got struct {
		Terminal      bool
		Reason, Field string
		Text          string
		Retry         Retry
	}
	tests := []struct {
		name string
		err  error
		want got
	}{
		{"spec field", fmt.Errorf("checking: %w", InvalidField("spec.serviceName", "", "the name of a VPC endpoint service")),
			got{true, ReasonInvalidConfiguration, "spec.serviceName",
				`checking: spec.serviceName: "" is not valid; allowed: the name of a VPC endpoint service`, RetryOnChange}},
		{"annotation", InvalidAnnotation("services.k8s.aws/deletion-policy", "keep", "delete, retain"),
			got{true, ReasonInvalidConfiguration, "services.k8s.aws/deletion-policy",
				`annotation services.k8s.aws/deletion-policy: "keep" is not valid; allowed: delete, retain`, RetryOnChange}},
		{"own reason and words", &TerminalError{Reason: "NotOwned", Field: "metadata.annotations", Message: "not yours"},
			got{true, "NotOwned", "metadata.annotations", "not yours", RetryOnChange}},
		{"a package's error seen through its As method", fmt.Errorf("building: %w", &viewed{}),
			got{true, ReasonInvalidConfiguration, "a", `building: annotation a: invalid value "v"; allowed: b`, RetryOnChange}},
		{"a package's error that is not terminal", &viewed{external: true},
			got{Text: `annotation a: invalid value "v"; allowed: b`}},
		{"AWS refuses the request as made", awsErr("ValidationError"),
			got{Text: "creating: api error ValidationError: m", Retry: RetryOnChange}},
		{"AWS waits for the outside world", awsErr("AccessDenied"),
			got{Text: "creating: api error AccessDenied: m", Retry: RetryWithBackoff}},
		{"AWS throttles", awsErr("Throttling"), got{Text: "creating: api error Throttling: m"}},
		{"anything else", errors.New("connection reset"), got{Text: "connection reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := got{Text: tt.err.Error(), Retry: RetryOf(tt.err), Terminal: IsTerminal(tt.err)}
			if te, ok := AsTerminal(tt.err); ok {
				g.Reason, g.Field = te.Reason, te.Field
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
