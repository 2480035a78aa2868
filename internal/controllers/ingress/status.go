package ingress

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/conditions"
)

// writeHostname sets status.loadBalancer.ingress to the load balancer's
// hostname alone, as LBC writes it, when it is not that already.
func (c *Controller) writeHostname(ctx context.Context, ing *networkingv1.Ingress, hostname string) error {
	lb := ing.Status.LoadBalancer.Ingress
	if len(lb) == 1 && lb[0].IP == "" && lb[0].Hostname == hostname && len(lb[0].Ports) == 0 {
		return nil
	}
	before := ing.DeepCopy()
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{Hostname: hostname}}
	if err := c.Client.Status().Patch(ctx, ing, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("writing the hostname to the status of Ingress %s/%s: %w", ing.Namespace, ing.Name, err)
	}
	return nil
}

// markDeployed records a successful deploy.
func markDeployed(hostname string) func(conditions.Editor) {
	return func(e conditions.Editor) {
		e.Mark(ConditionConfigured, true, ReasonValid, "")
		e.Mark(ConditionDeployed, true, ReasonDeployed, "load balancer "+hostname)
	}
}

// markInvalid records settings only the author can fix.
func markInvalid(reason, msg string) func(conditions.Editor) {
	return func(e conditions.Editor) { e.Mark(ConditionConfigured, false, reason, truncate(msg)) }
}

// markFailed records valid settings AWS does not (yet) match.
func markFailed(reason, msg string) func(conditions.Editor) {
	return func(e conditions.Editor) {
		e.Mark(ConditionConfigured, true, ReasonValid, "")
		e.Mark(ConditionDeployed, false, reason, truncate(msg))
	}
}

// provisioningHold keeps Ready False while AWS provisions the load balancer.
func provisioningHold(provisioning bool) conditions.Hold {
	if !provisioning {
		return conditions.Hold{}
	}
	return conditions.Hold{Reason: ReasonProvisioning,
		Message: "AWS is provisioning the load balancer; it serves traffic once active"}
}

func truncate(s string) string {
	if len(s) > 1024 {
		return s[:1021] + "..."
	}
	return s
}
