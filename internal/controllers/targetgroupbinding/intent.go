package targetgroupbinding

import (
	"context"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// Plan does to AWS what a reconcile of the binding would (kelb plan): the
// same checks, node rules and membership change, through the clients the
// controller was built with (a plan's record writes instead of making
// them), without the finalizer, status or event writes. A binding being
// deleted is left out: its targets go with its target group. notReady is
// what the reconcile would report when the binding does not end Ready.
func (c *Controller) Plan(ctx context.Context, tgb *elbv2api.TargetGroupBinding) (notReady string, err error) {
	if !tgb.DeletionTimestamp.IsZero() {
		return "", nil
	}
	o := c.sync(ctx, tgb)
	if o.err != nil {
		return "", o.err
	}
	if o.ready || o.reason == "" {
		return "", nil
	}
	return o.reason + ": " + o.message, nil
}
