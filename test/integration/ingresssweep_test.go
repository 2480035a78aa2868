package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestIngressStackSwept: with --enable-ingress, an implicit group's stack
// of this cluster (identity tag) whose Ingress does not exist is swept,
// while the stack of an Ingress of kelb's class whose build fails (a bad
// annotation: no finalizer, nothing deployed) is left as it is. Without
// the Ingress controller such stacks are left alone
// (TestIngressStackLeftAlone).
func TestIngressStackSwept(t *testing.T) {
	cl := newCluster(t, 2)
	cl.opts.EnableIngress, cl.opts.IngressClass = true, "alb"
	ctx := t.Context()
	identity := map[string]string{model.TagClusterUID: cl.uid()}
	gone := cl.makeStack(stackSpec{stack: "default/gone", name: "k8s-default-gone-alb", vpc: cl.world.VPCID,
		subnets: cl.world.PrivateSubnets, nodePort: 31710, withFrontend: true, withTG: true, ingress: true, extra: identity})
	kept := cl.makeStack(stackSpec{stack: "default/failing", name: "k8s-default-failing-alb", vpc: cl.world.VPCID,
		subnets: cl.world.PrivateSubnets, nodePort: 31711, withFrontend: true, withTG: true, ingress: true, extra: identity})
	if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
		t.Fatal(err)
	}
	failing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "failing",
		Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": "public"}},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), DefaultBackend: &networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}
	if err := cl.c.Create(ctx, failing); err != nil {
		t.Fatal(err)
	}

	deleted := orphanFindings(t, "deleted")
	cl.startKelb()
	eventually(t, 60*time.Second, "the orphaned Ingress stack swept", func() (bool, string) {
		left := cl.exists(gone.ids()...)
		n := orphanFindings(t, "deleted") - deleted
		return !slices.Contains(mapValues(left), true) && n >= 1, fmt.Sprintf("%v, %v deleted", left, n)
	})
	if got := orphanFindings(t, "deleted") - deleted; got != 1 {
		t.Errorf("orphan stacks deleted: %v, want 1", got)
	}
	waitSweeps(t, sweeps(t), 2)
	if left := cl.exists(kept.ids()...); slices.Contains(mapValues(left), false) {
		t.Errorf("the failing Ingress's stack lost resources: %v", left)
	}
}
