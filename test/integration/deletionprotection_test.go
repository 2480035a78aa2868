package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/service"
)

// TestDeletionProtection: a deleted Service whose load balancer is
// protected keeps its finalizer and every AWS resource, and says why:
// protected by its annotation, kelb makes no AWS call until the annotation
// says false (then it lifts the protection and deletes); protected in AWS
// only, AWS refuses, and kelb retries until someone lifts it there.
func TestDeletionProtection(t *testing.T) {
	cl := newCluster(t, 2)
	cl.startKelb()
	ctx := t.Context()
	cl.createService("kept", annotate(service.AnnAttributes, "deletion_protection.enabled=true"))
	cl.createService("console")
	cl.waitReady("kept")
	cl.waitReady("console")
	lbs := cl.loadBalancers()
	var consoleARN string
	for name, arn := range lbs {
		if strings.Contains(name, "console") {
			consoleARN = arn
		}
	}
	if _, err := cl.world.Clients.ELBV2.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(consoleARN), Attributes: []elbtypes.LoadBalancerAttribute{
			{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	for _, name := range []string{"kept", "console"} {
		if err := cl.c.Delete(ctx, cl.get(name)); err != nil {
			t.Fatal(err)
		}
	}
	c := cl.waitCondition("kept", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "DeletionProtected")
	if !strings.Contains(c.Message, "deletion_protection is enabled, cannot delete the service: kept") {
		t.Errorf("message %q", c.Message)
	}
	c = cl.waitCondition("console", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "DeletionProtected")
	if !strings.Contains(c.Message, "OperationNotPermitted") || !strings.Contains(c.Message, "retrying in") {
		t.Errorf("message %q", c.Message)
	}
	if n := cl.refusals(t0, "DeleteLoadBalancer", "OperationNotPermitted"); n != 1 {
		t.Errorf("%d refused deletes, want 1 (the console-protected one; the annotation stops the other first)", n)
	}
	for _, c := range cl.calls(t0) {
		if c.Mutating() && c.ErrorCode == "" {
			t.Errorf("a protected stack was changed: %s %v", c.Action, c.Params)
		}
	}
	if got := len(cl.loadBalancers()); got != 2 {
		t.Errorf("%d load balancers, want both kept", got)
	}
	for _, name := range []string{"kept", "console"} {
		if s := cl.get(name); len(s.Finalizers) == 0 {
			t.Errorf("%s lost its finalizer", name)
		}
	}

	// The owner lets go: in the annotation, and in AWS.
	cl.update("kept", func(s *corev1.Service) {
		s.Annotations[service.AnnAttributes] = "deletion_protection.enabled=false"
	})
	if _, err := cl.world.Clients.ELBV2.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String(consoleARN), Attributes: []elbtypes.LoadBalancerAttribute{
			{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}}); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("kept")
	cl.waitGone("console")
	eventually(t, 30*time.Second, "nothing left", func() (bool, string) {
		left := cl.tagged()
		return len(left) == 0, strings.Join(left, " ")
	})
}
