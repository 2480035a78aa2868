package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// A dry run (kelb plan) builds the real clients with DryRun's middleware:
// every read goes to AWS, every mutating call is recorded and answered with
// a synthetic output without being sent, and any other call is refused. The
// deployer then runs unchanged, so what it would do is what it records.

// PlannedMarker is in every id and ARN a dry run makes up, so that a later
// read of such a resource is answered from the plan, never sent to AWS (which
// would not know it).
const PlannedMarker = "kelb-planned"

// readPrefixes are the operations a dry run sends to AWS: reads only.
// Anything else must be known to the recorder (mutations.go) or is refused,
// so that a mutating operation added later can never slip through.
var readPrefixes = []string{"Describe", "Get", "List"}

// RecordedCall is one mutating call a dry run kept from AWS.
type RecordedCall struct {
	Service   string // SDK service id, e.g. "Elastic Load Balancing v2"
	Operation string // e.g. "CreateLoadBalancer"
	Input     any    // the call's input, as the caller built it
	Output    any    // the synthetic output returned to the caller
	Scope     string // what the caller was planning (WithPlanScope), "" if unknown
}

// DryRun records the mutating calls of clients built with it.
type DryRun struct {
	// Region and Account appear in made-up ARNs.
	Region, Account string
	// Listeners, when set, reads a listener from AWS to answer a
	// ModifyListener as AWS would (the whole listener, changed).
	Listeners ListenerLookup

	mu    sync.Mutex
	calls []RecordedCall
	next  int
}

// NewDryRun returns an empty recorder.
func NewDryRun(region string) *DryRun {
	return &DryRun{Region: region, Account: "000000000000"}
}

// Calls returns the recorded calls, in the order they were made.
func (r *DryRun) Calls() []RecordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RecordedCall(nil), r.calls...)
}

// id returns a new made-up identifier suffix.
func (r *DryRun) id() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return fmt.Sprintf("%s-%04d", PlannedMarker, r.next)
}

// RefusedOperationError is a call a dry run neither sends nor knows how to
// answer: an operation that is not a read and not a known mutation.
type RefusedOperationError struct {
	Service, Operation string
}

func (e *RefusedOperationError) Error() string {
	return fmt.Sprintf("dry run: %s %s is neither a read nor a mutation the plan knows; refused, nothing sent",
		e.Service, e.Operation)
}

// UnplannedReadError is a read of a resource the plan made up that the dry
// run cannot answer.
type UnplannedReadError struct {
	Service, Operation string
}

func (e *UnplannedReadError) Error() string {
	return fmt.Sprintf("dry run: %s %s reads a resource that exists only in the plan; no answer is known",
		e.Service, e.Operation)
}

type planScopeKey struct{}

// WithPlanScope tags the calls made with ctx as belonging to scope (the
// object being planned).
func WithPlanScope(ctx context.Context, scope string) context.Context {
	return context.WithValue(ctx, planScopeKey{}, scope)
}

// PlanScope returns the scope set by WithPlanScope.
func PlanScope(ctx context.Context) string {
	s, _ := ctx.Value(planScopeKey{}).(string)
	return s
}

// Middleware is the API option that puts the recorder in front of a
// client's calls: first in the Initialize step, before validation,
// serialisation, signing, retries and the throttle, so a recorded or refused
// call never leaves the process.
func (r *DryRun) Middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("kelbDryRun",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			out, handled, err := r.handle(ctx, svc, op, in.Parameters)
			if !handled {
				return next.HandleInitialize(ctx, in)
			}
			return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, err
		}), middleware.Before)
}

// handle decides one call: sent (handled false), answered from the plan, or
// refused.
func (r *DryRun) handle(ctx context.Context, svc, op string, params any) (any, bool, error) {
	if isRead(op) {
		if !mentionsPlanned(params) {
			return nil, false, nil
		}
		out, ok := plannedRead(params)
		if !ok {
			return nil, true, &UnplannedReadError{Service: svc, Operation: op}
		}
		return out, true, nil
	}
	out, ok, err := r.synthesize(ctx, params)
	if !ok {
		return nil, true, &RefusedOperationError{Service: svc, Operation: op}
	}
	if err != nil {
		return nil, true, err
	}
	r.mu.Lock()
	r.calls = append(r.calls, RecordedCall{Service: svc, Operation: op, Input: params, Output: out, Scope: PlanScope(ctx)})
	r.mu.Unlock()
	return out, true, nil
}

func isRead(op string) bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// mentionsPlanned reports whether a read names a made-up resource.
func mentionsPlanned(params any) bool {
	b, err := json.Marshal(params)
	return err == nil && strings.Contains(string(b), PlannedMarker)
}

// Note records a write a dry run kept from somewhere other than AWS (a
// Kubernetes object the deployer writes), in order with the AWS calls.
func (r *DryRun) Note(ctx context.Context, service, operation string, input any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, RecordedCall{Service: service, Operation: operation, Input: input, Scope: PlanScope(ctx)})
}
