package service

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/service"
)

// Condition types on the Service's status.conditions. Ready is derived from
// the other two (readyRule).
const (
	ConditionConfigured = "elbv2.k8s.aws/Configured" // the Service's settings are valid
	ConditionDeployed   = "elbv2.k8s.aws/Deployed"   // AWS matches the settings
	ConditionReady      = "elbv2.k8s.aws/Ready"
)

// Reasons, in conditions and events.
const (
	ReasonInvalidConfiguration = conditions.ReasonInvalidConfiguration
	ReasonAWSError             = conditions.ReasonAWSError
	ReasonAWSRejected          = conditions.ReasonAWSRejected
	// ReasonCertificateNotReady: a certificate of a TLS listener is not in
	// ACM or IAM, or not issued; retried with backoff until it is.
	ReasonCertificateNotReady = "CertificateNotReady"
	// ReasonWaitingForAWS: AWS refuses for now what it may accept later (a
	// permission, a quota, a subnet); retried with backoff.
	ReasonWaitingForAWS = conditions.ReasonWaitingForAWS
	// ReasonNoMatchingNodes: deployed, but target-node-labels select no
	// node, so the load balancer has no targets.
	ReasonNoMatchingNodes = "NoMatchingNodes"
	// ReasonSecurityGroupRuleLimit: a node security group is full; the rules
	// that carry traffic now were kept.
	ReasonSecurityGroupRuleLimit = "SecurityGroupRuleLimit"
	// ReasonDeletionProtected: the Service is being deleted (or is no
	// longer kelb's) but its load balancer's deletion protection is on, in
	// the annotation or in AWS: nothing is deleted, the finalizer stays.
	ReasonDeletionProtected = "DeletionProtected"
	ReasonDeployed          = "Deployed"
	ReasonProvisioning      = "Provisioning"
	ReasonValid             = "Valid"
	ReasonDeleted           = "Deleted"
	ReasonDeleteFailed      = "DeleteFailed"
	ReasonNotReconciled     = "NotReconciled"
)

func (c *Controller) patchStatus(ctx context.Context, svc *corev1.Service, mutate func(*corev1.Service)) error {
	before := svc.DeepCopy()
	mutate(svc)
	if equalStatus(before, svc) {
		return nil
	}
	if err := c.Client.Status().Patch(ctx, svc, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	return nil
}

func equalStatus(a, b *corev1.Service) bool {
	if len(a.Status.LoadBalancer.Ingress) != len(b.Status.LoadBalancer.Ingress) ||
		len(a.Status.Conditions) != len(b.Status.Conditions) {
		return false
	}
	for i := range a.Status.LoadBalancer.Ingress {
		if a.Status.LoadBalancer.Ingress[i].Hostname != b.Status.LoadBalancer.Ingress[i].Hostname {
			return false
		}
	}
	for i, ca := range a.Status.Conditions {
		cb := b.Status.Conditions[i]
		if ca.Type != cb.Type || ca.Status != cb.Status || ca.Reason != cb.Reason || ca.Message != cb.Message ||
			ca.ObservedGeneration != cb.ObservedGeneration {
			return false
		}
	}
	return true
}

// readyRule: a Service is Ready once its settings are valid and AWS
// matches them.
var readyRule = conditions.ReadyRule{Type: ConditionReady, From: []string{ConditionConfigured, ConditionDeployed},
	Reason: ReasonDeployed, NotReconciled: ReasonNotReconciled}

// conditionsOf edits the Service's conditions, at the controller's clock.
func (c *Controller) conditionsOf(svc *corev1.Service) conditions.Editor {
	return conditions.Edit(&svc.Status.Conditions, svc.Generation, c.Clock)
}

// setReady records a successful deploy, which ends any backoff. Ready
// stays False while target-node-labels select no node.
func (c *Controller) setReady(ctx context.Context, svc *corev1.Service, res deploy.Result) error {
	c.retries.Reset(client.ObjectKeyFromObject(svc).String())
	var nodes corev1.NodeList
	if err := c.Client.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	ptrs := make([]*corev1.Node, len(nodes.Items))
	for i := range nodes.Items {
		ptrs[i] = &nodes.Items[i]
	}
	warning := service.NodeSelectionWarning(c.Config, svc, ptrs)
	first := svc.Status.LoadBalancer.Ingress == nil
	warnedBefore := readyReason(svc) == ReasonNoMatchingNodes
	err := c.patchStatus(ctx, svc, func(s *corev1.Service) {
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: res.DNSName}}
		e := c.conditionsOf(s)
		e.Mark(ConditionConfigured, true, ReasonValid, "")
		e.Mark(ConditionDeployed, true, ReasonDeployed, truncate("load balancer "+res.DNSName))
		e.SetReady(readyRule, readyHolds(res.Provisioning, warning)...)
	})
	if err == nil && first {
		c.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ReasonDeployed, "Reconcile",
			"load balancer %s is deployed", res.DNSName)
	}
	if err == nil && warning != "" && !warnedBefore {
		c.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, ReasonNoMatchingNodes, "Reconcile", "%s", warning)
	}
	return err
}

func readyReason(svc *corev1.Service) string {
	if cond := meta.FindStatusCondition(svc.Status.Conditions, ConditionReady); cond != nil {
		return cond.Reason
	}
	return ""
}

// setFailed records why the Service is not (fully) deployed. A configuration
// error leaves the hostname of a load balancer that still serves in place.
func (c *Controller) setFailed(ctx context.Context, svc *corev1.Service, reason, msg string) error {
	return c.patchStatus(ctx, svc, func(s *corev1.Service) {
		e := c.conditionsOf(s)
		if reason == ReasonInvalidConfiguration {
			e.Mark(ConditionConfigured, false, reason, truncate(msg))
		} else {
			e.Mark(ConditionConfigured, true, ReasonValid, "")
			e.Mark(ConditionDeployed, false, reason, truncate(msg))
		}
		e.SetReady(readyRule)
	})
}

// readyHolds is what may still keep a deployed load balancer from
// serving: AWS provisioning it, or no node to send traffic to (warning).
func readyHolds(provisioning bool, warning string) []conditions.Hold {
	var holds []conditions.Hold
	if provisioning {
		holds = append(holds, conditions.Hold{Reason: ReasonProvisioning,
			Message: "AWS is provisioning the load balancer; it serves traffic once active"})
	}
	if warning != "" {
		holds = append(holds, conditions.Hold{Reason: ReasonNoMatchingNodes, Message: truncate(warning)})
	}
	return holds
}

// clearStatus removes what kelb wrote on a Service that is no longer its own.
func (c *Controller) clearStatus(ctx context.Context, svc *corev1.Service) error {
	return c.patchStatus(ctx, svc, func(s *corev1.Service) {
		s.Status.LoadBalancer.Ingress = nil
		c.conditionsOf(s).Remove(ConditionConfigured, ConditionDeployed, ConditionReady)
	})
}

func truncate(s string) string {
	if len(s) > 1024 {
		return s[:1021] + "..."
	}
	return s
}
