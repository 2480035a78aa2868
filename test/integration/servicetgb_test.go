package integration

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// bindingsClient is a client of the test's API server that knows
// TargetGroupBindings.
func bindingsClient(cl *cluster) client.Client {
	cl.t.Helper()
	scheme := runtime.NewScheme()
	if err := elbv2api.AddToScheme(scheme); err != nil {
		cl.t.Fatal(err)
	}
	c, err := client.New(cl.kube.Config, client.Options{Scheme: scheme})
	if err != nil {
		cl.t.Fatal(err)
	}
	return c
}

// serviceBindings returns the bindings of a Service's stack, by LBC's labels.
func serviceBindings(cl *cluster, c client.Client, name string) []elbv2api.TargetGroupBinding {
	cl.t.Helper()
	var list elbv2api.TargetGroupBindingList
	if err := c.List(cl.t.Context(), &list, client.InNamespace("default"), client.MatchingLabels{
		model.LabelServiceStackNamespace: "default", model.LabelServiceStackName: name}); err != nil {
		cl.t.Fatal(err)
	}
	return list.Items
}

// waitBinding waits until the Service has exactly one binding and ok says
// it is the one wanted.
func waitBinding(cl *cluster, c client.Client, name string, ok func(elbv2api.TargetGroupBinding) string) elbv2api.TargetGroupBinding {
	cl.t.Helper()
	var got elbv2api.TargetGroupBinding
	eventually(cl.t, 60*time.Second, name+"'s binding", func() (bool, string) {
		items := serviceBindings(cl, c, name)
		if len(items) != 1 {
			return false, fmt.Sprintf("%d bindings", len(items))
		}
		got = items[0]
		msg := ok(got)
		return msg == "", msg
	})
	return got
}

func targetGroupsByARN(cl *cluster) map[string]string {
	cl.t.Helper()
	out, err := cl.world.Clients.ELBV2.DescribeTargetGroups(cl.t.Context(), &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	byARN := map[string]string{}
	for _, tg := range out.TargetGroups {
		byARN[aws.ToString(tg.TargetGroupArn)] = aws.ToString(tg.TargetGroupName)
	}
	return byARN
}

// TestServiceTargetGroupBindings: a Service's target group gets its binding
// with LBC's name, labels and spec; a health-check port change patches it,
// a port change replaces it with its target group; an LBC-made binding is
// taken over without a write; deleting the Service deletes it.
func TestServiceTargetGroupBindings(t *testing.T) {
	cl := newCluster(t, 2)
	c := bindingsClient(cl)
	cl.startKelb()
	cl.createService("web")
	cl.waitReady("web")

	first := waitBinding(cl, c, "web", func(b elbv2api.TargetGroupBinding) string { return "" })
	tgs := targetGroupsByARN(cl)
	if len(tgs) != 1 || tgs[first.Spec.TargetGroupARN] != first.Name {
		t.Errorf("binding %s for %s; target groups %v: want the binding named as its target group", first.Name,
			first.Spec.TargetGroupARN, tgs)
	}
	if !strings.HasPrefix(first.Name, "k8s-default-web-") {
		t.Errorf("binding name %s: want LBC's target group name", first.Name)
	}
	svc := cl.get("web")
	nodePort := intstr.FromInt32(svc.Spec.Ports[0].NodePort)
	backendSG := ""
	if n := first.Spec.Networking; n != nil && len(n.Ingress) == 1 && len(n.Ingress[0].From) == 1 &&
		n.Ingress[0].From[0].SecurityGroup != nil {
		backendSG = n.Ingress[0].From[0].SecurityGroup.GroupID
	}
	instance, ipv4, tcp := elbv2api.TargetTypeInstance, elbv2api.TargetGroupIPAddressTypeIPv4, elbv2api.NetworkingProtocolTCP
	want := elbv2api.TargetGroupBindingSpec{TargetGroupARN: first.Spec.TargetGroupARN, TargetType: &instance,
		ServiceRef: elbv2api.ServiceReference{Name: "web", Port: intstr.FromInt32(80)}, IPAddressType: &ipv4,
		VpcID: cl.world.VPCID,
		Networking: &elbv2api.TargetGroupBindingNetworking{Ingress: []elbv2api.NetworkingIngressRule{{
			From:  []elbv2api.NetworkingPeer{{SecurityGroup: &elbv2api.SecurityGroup{GroupID: backendSG}}},
			Ports: []elbv2api.NetworkingPort{{Protocol: &tcp, Port: &nodePort}},
		}}}}
	if diff := cmp.Diff(want, first.Spec); diff != "" || !strings.HasPrefix(backendSG, "sg-") {
		t.Errorf("binding spec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{model.LabelServiceStackNamespace: "default", model.LabelServiceStackName: "web"},
		first.Labels); diff != "" {
		t.Errorf("binding labels (-want +got):\n%s", diff)
	}

	// A health-check port of its own: the same binding, patched.
	cl.update("web", func(s *corev1.Service) { annotate(service.AnnHCPort, "10256")(s) })
	patched := waitBinding(cl, c, "web", func(b elbv2api.TargetGroupBinding) string {
		if n := b.Spec.Networking; n == nil || len(n.Ingress) != 1 || len(n.Ingress[0].Ports) != 2 {
			return fmt.Sprintf("networking %+v", n)
		}
		return ""
	})
	if patched.Name != first.Name || patched.UID != first.UID {
		t.Errorf("binding %s (%s) after a health-check port change: want %s patched in place", patched.Name, patched.UID, first.Name)
	}

	// A new port number: a new target group and binding; the old ones go.
	cl.update("web", func(s *corev1.Service) { s.Spec.Ports[0].Port = 81 })
	moved := waitBinding(cl, c, "web", func(b elbv2api.TargetGroupBinding) string {
		if b.Spec.ServiceRef.Port.IntVal != 81 {
			return fmt.Sprintf("service port %s", b.Spec.ServiceRef.Port.String())
		}
		return ""
	})
	eventually(t, 30*time.Second, "the old target group deleted", func() (bool, string) {
		tgs := targetGroupsByARN(cl)
		return len(tgs) == 1 && tgs[moved.Spec.TargetGroupARN] == moved.Name, fmt.Sprint(tgs)
	})

	// LBC's binding for the same target group: taken over without a write.
	cl.stopKelb()
	// The binding controller put LBC's finalizer on kelb's binding; with
	// kelb stopped nobody releases it, so the test lets it go.
	if err := c.Get(t.Context(), client.ObjectKeyFromObject(&moved), &moved); err != nil {
		t.Fatal(err)
	}
	moved.Finalizers = nil
	if err := c.Update(t.Context(), &moved); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context(), &moved); err != nil {
		t.Fatal(err)
	}
	protocol := elbv2api.TargetGroupProtocolTCP
	lbcMade := &elbv2api.TargetGroupBinding{}
	lbcMade.Namespace, lbcMade.Name, lbcMade.Labels = moved.Namespace, moved.Name, moved.Labels
	lbcMade.Finalizers = []string{"elbv2.k8s.aws/resources"} // LBC's, on every binding it serves
	lbcMade.Spec = moved.Spec
	lbcMade.Spec.TargetGroupProtocol = &protocol // what LBC's webhook may fill in
	eventually(t, 10*time.Second, "kelb's binding gone", func() (bool, string) {
		return len(serviceBindings(cl, c, "web")) == 0, ""
	})
	if err := c.Create(t.Context(), lbcMade); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cl.startKelb()
	cl.waitReady("web")
	eventually(t, 30*time.Second, "kelb quiet", func() (bool, string) {
		calls := cl.calls(t0)
		return len(calls) > 0 && time.Since(calls[len(calls)-1].Time) > 3*time.Second, ""
	})
	after := serviceBindings(cl, c, "web")
	// The binding controller writes the status (as LBC does); the spec,
	// labels and annotations stay as LBC left them.
	if len(after) != 1 || after[0].UID != lbcMade.UID || after[0].Generation != lbcMade.Generation ||
		!maps.Equal(after[0].Labels, lbcMade.Labels) || !maps.Equal(after[0].Annotations, lbcMade.Annotations) {
		t.Errorf("LBC's binding %s (generation %d) after the takeover: %+v", lbcMade.UID, lbcMade.Generation, after)
	}

	// Deleting the Service deletes its binding before its target group.
	if err := cl.c.Delete(t.Context(), cl.get("web")); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("web")
	if left := serviceBindings(cl, c, "web"); len(left) != 0 {
		t.Errorf("bindings left after the Service: %v", left)
	}
	if left := cl.tagged(); len(left) != 0 {
		t.Errorf("resources left after the Service: %v", left)
	}
}
