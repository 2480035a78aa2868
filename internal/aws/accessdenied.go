package aws

import (
	"context"

	"regexp"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// AccessDeniedError is an AWS call refused because kelb's IAM policy lacks
// Permission: neither throttling nor a fault of the object being
// reconciled, and fixed only by whoever owns the policy.
type AccessDeniedError struct {
	Permission string // e.g. elasticloadbalancing:AddTags
	Err        error
}

func (e *AccessDeniedError) Error() string {
	return "missing IAM permission " + e.Permission + ": " + e.Err.Error()
}

func (e *AccessDeniedError) Unwrap() error { return e.Err }

// IsAccessDenied reports whether err says kelb's IAM policy refused a call.
func IsAccessDenied(err error) bool {
	switch ErrorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return true
	}
	return false
}

// PermissionOf returns the IAM action of an SDK call: its service's prefix
// and the operation name.
func PermissionOf(serviceID, operation string) string {
	prefix, ok := map[string]string{ec2.ServiceID: "ec2", elbv2.ServiceID: "elasticloadbalancing",
		tagging.ServiceID: "tag", acm.ServiceID: "acm", iam.ServiceID: "iam", wafv2.ServiceID: "wafv2",
		wafregional.ServiceID: "waf-regional", shield.ServiceID: "shield"}[serviceID]
	if !ok {
		prefix = serviceID
	}
	return prefix + ":" + operation
}

// deniedAction finds the refused action in AWS's message ("... is not
// authorized to perform: elasticloadbalancing:AddTags on resource ...").
var deniedAction = regexp.MustCompile(`not authorized to perform: ([a-zA-Z0-9-]+:[A-Za-z0-9]+)`)

// deniedPermission is the permission a refusal names: AWS's message says
// which, and it may not be the operation's own (a create that tags what it
// makes needs the tagging action too); without one, the operation's.
func deniedPermission(err error, serviceID, operation string) string {
	if m := deniedAction.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return PermissionOf(serviceID, operation)
}

var (
	accessDenied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kelb_aws_access_denied_total",
		Help: "AWS calls refused for a missing IAM permission, by service, operation and permission.",
	}, []string{"service", "operation", "permission"})
	accessDeniedFirstSeen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kelb_aws_access_denied_first_seen_timestamp_seconds",
		Help: "When kelb first saw an AWS operation refused for a missing IAM permission (Unix seconds).",
	}, []string{"service", "operation", "permission"})
)

func init() { crmetrics.Registry.MustRegister(accessDenied, accessDeniedFirstSeen) }

// AccessDenied is the first refusal of one operation, as reported to
// OnAccessDenied.
type AccessDenied struct {
	Service, Operation, Permission string
	Err                            error
}

// deniedReporter reports the first refusal of each operation once: a log
// line, the first-seen gauge and the hook (an event on kelb's Pod); every
// refusal counts in the counter and comes back as an AccessDeniedError.
type deniedReporter struct {
	seen sync.Map // service/operation/permission -> struct{}
	hook atomic.Pointer[func(AccessDenied)]
}

func (d *deniedReporter) addMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("kelbAccessDenied",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil || !IsAccessDenied(err) {
				return out, md, err
			}
			svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			denied := &AccessDeniedError{Permission: deniedPermission(err, svc, op), Err: err}
			d.report(ctx, AccessDenied{Service: svc, Operation: op, Permission: denied.Permission, Err: err})
			return out, md, denied
		}), middleware.Before)
}

func (d *deniedReporter) report(ctx context.Context, a AccessDenied) {
	accessDenied.WithLabelValues(a.Service, a.Operation, a.Permission).Inc()
	if _, dup := d.seen.LoadOrStore(a.Service+"/"+a.Operation+"/"+a.Permission, struct{}{}); dup {
		return
	}
	accessDeniedFirstSeen.WithLabelValues(a.Service, a.Operation, a.Permission).Set(float64(time.Now().Unix()))
	ctrllog.FromContext(ctx).WithName("aws").Error(a.Err, "missing IAM permission: AWS refused the call",
		"permission", a.Permission, "service", a.Service, "operation", a.Operation)
	if hook := d.hook.Load(); hook != nil {
		(*hook)(a)
	}
}

// OnAccessDenied has f called with the first refusal of each operation
// from now on (an event on kelb's own Pod).
func (c *Clients) OnAccessDenied(f func(AccessDenied)) {
	if c.denied != nil {
		c.denied.hook.Store(&f)
	}
}
