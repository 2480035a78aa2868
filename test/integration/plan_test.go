package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/manager"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/plan"
)

// TestPlanEqualsWhatKelbDoes: with kelb not running, `kelb plan` for a
// Service (NLB) and an Ingress (ALB) sends no mutating call to AWS and
// writes nothing to the cluster; kelb started afterwards makes exactly the
// AWS writes the plan listed (target membership, the binding controller's
// part, aside); and a plan once kelb has converged is empty.
func TestPlanEqualsWhatKelbDoes(t *testing.T) {
	cl := newCluster(t, 2)
	ctx := t.Context()
	if err := cl.c.Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb"},
		Spec: networkingv1.IngressClassSpec{Controller: "ingress.k8s.aws/alb"}}); err != nil {
		t.Fatal(err)
	}
	cl.createService("nlb")
	cl.createService("shop", withPort(80, 30961, corev1.ProtocolTCP), func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.LoadBalancerClass = nil
	})
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop"},
		Spec: networkingv1.IngressSpec{IngressClassName: aws.String("alb"), Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: "shop",
						Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
	if err := cl.c.Create(ctx, ing); err != nil {
		t.Fatal(err)
	}
	versions := resourceVersions(t, cl)

	t0 := time.Now()
	p := cl.plan()
	if calls := cl.mutatingCalls(t0); len(calls) != 0 {
		t.Fatalf("the plan made mutating AWS calls: %v", calls)
	}
	if diff := cmp.Diff(versions, resourceVersions(t, cl)); diff != "" {
		t.Errorf("the plan changed Kubernetes objects (-before +after):\n%s", diff)
	}
	var text bytes.Buffer
	if err := plan.WriteText(&text, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("plan before kelb ran:\n%s", text.String())
	for _, o := range p.Objects {
		if o.Error != "" {
			t.Errorf("%s %s/%s: %s", o.Kind, o.Namespace, o.Name, o.Error)
		}
	}
	// The JSON schema round-trips.
	var js bytes.Buffer
	if err := plan.WriteJSON(&js, p); err != nil {
		t.Fatal(err)
	}
	var back plan.Plan
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Schema != plan.Schema {
		t.Errorf("JSON output: schema %q, %v", back.Schema, err)
	}

	t1 := time.Now()
	cl.startKelb()
	cl.waitReady("nlb")
	eventually(t, 60*time.Second, "Ingress hostname", func() (bool, string) {
		var got networkingv1.Ingress
		if err := cl.c.Get(ctx, client.ObjectKeyFromObject(ing), &got); err != nil {
			return false, err.Error()
		}
		return len(got.Status.LoadBalancer.Ingress) > 0, fmt.Sprint(got.Status.LoadBalancer)
	})
	cl.waitSettled(t1, 3*time.Second)
	var did []string
	for _, c := range cl.calls(t1) {
		if c.Mutating() {
			did = append(did, callKey(c))
		}
	}
	var planned []string
	for _, o := range p.Objects {
		for _, a := range o.Actions {
			if service, op, _ := strings.Cut(a.Operation, ":"); service != "kubernetes" {
				planned = append(planned, actionKey(op, a))
			}
		}
	}
	slices.Sort(did)
	slices.Sort(planned)
	if diff := cmp.Diff(did, planned); diff != "" {
		t.Errorf("plan vs kelb's AWS writes (-kelb did +planned):\n%s", diff)
	}

	cl.stopKelb()
	t2 := time.Now()
	after := cl.plan()
	if calls := cl.mutatingCalls(t2); len(calls) != 0 {
		t.Fatalf("the second plan made mutating AWS calls: %v", calls)
	}
	if !after.Empty() {
		text.Reset()
		_ = plan.WriteText(&text, after)
		t.Errorf("plan after kelb converged is not empty:\n%s", text.String())
	}

	// A manifest planned against the live cluster and AWS: the Service
	// with other source ranges. Only the file's objects are planned.
	manifest := filepath.Join(t.TempDir(), "nlb.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: v1
kind: Service
metadata: {name: nlb, namespace: default}
spec:
  type: LoadBalancer
  loadBalancerClass: service.k8s.aws/nlb
  selector: {app: nlb}
  loadBalancerSourceRanges: [198.51.100.0/24]
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t3 := time.Now()
	fromFile, err := manager.Plan(ctx, cl.kelbConfig(), cl.opts, manager.PlanOptions{Files: []string{manifest}},
		manager.Overrides{Credentials: cl.world.Credentials})
	if err != nil {
		t.Fatal(err)
	}
	if calls := cl.mutatingCalls(t3); len(calls) != 0 {
		t.Fatalf("the plan of a file made mutating AWS calls: %v", calls)
	}
	var got []string
	for _, o := range fromFile.Objects {
		for _, a := range o.Actions {
			got = append(got, fmt.Sprintf("%s %s/%s %s %s", o.Kind, o.Namespace, o.Name, a.Operation, a.Detail))
		}
	}
	want := []string{
		"Service default/nlb ec2:AuthorizeSecurityGroupIngress tcp 80 from 198.51.100.0/24",
		"Service default/nlb ec2:RevokeSecurityGroupIngress tcp 80 from 0.0.0.0/0",
	}
	if diff := cmp.Diff(want, got); diff != "" || fromFile.Source != "files" {
		t.Errorf("plan of the file (source %s) (-want +got):\n%s", fromFile.Source, diff)
	}
}

// plan runs `kelb plan` in-process with kelb's options and the chart's
// RBAC, as kelb runs in the suite.
func (cl *cluster) plan() *plan.Plan {
	cl.t.Helper()
	p, err := manager.Plan(cl.t.Context(), cl.kelbConfig(), cl.opts, manager.PlanOptions{},
		manager.Overrides{Credentials: cl.world.Credentials})
	if err != nil {
		cl.t.Fatal(err)
	}
	return p
}

// waitSettled waits until kelb has made no mutating call for quiet.
func (cl *cluster) waitSettled(since time.Time, quiet time.Duration) {
	cl.t.Helper()
	eventually(cl.t, 60*time.Second, "kelb settled", func() (bool, string) {
		last := since
		for _, c := range cl.calls(since) {
			if c.Mutating() && c.Time.After(last) {
				last = c.Time
			}
		}
		return time.Since(last) > quiet, "last mutating call at " + last.String()
	})
}

// callKey and actionKey name a write the same way from the proxy's log and
// from the plan: the operation, and for a create what it makes.
func callKey(c awsproxy.Call) string {
	switch c.Action {
	case "CreateLoadBalancer", "CreateTargetGroup":
		return c.Action + " " + c.Params["Name"]
	case "CreateSecurityGroup":
		return c.Action + " " + c.Params["GroupName"]
	case "CreateListener":
		return c.Action + " " + c.Params["Protocol"] + ":" + c.Params["Port"]
	}
	return c.Action
}

func actionKey(op string, a plan.Action) string {
	switch op {
	case "CreateLoadBalancer", "CreateTargetGroup", "CreateSecurityGroup", "CreateListener":
		return op + " " + a.Name
	}
	return op
}

// resourceVersions are the resource versions of the objects a plan reads.
func resourceVersions(t *testing.T, cl *cluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	var svcs corev1.ServiceList
	var ings networkingv1.IngressList
	if err := cl.c.List(t.Context(), &svcs); err != nil {
		t.Fatal(err)
	}
	if err := cl.c.List(t.Context(), &ings); err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		out["Service "+s.Namespace+"/"+s.Name] = s.ResourceVersion
	}
	for _, i := range ings.Items {
		out["Ingress "+i.Namespace+"/"+i.Name] = i.ResourceVersion
	}
	return out
}

// TestPlanOfLBCStack: for a Service whose load balancer LBC v3.5 made, the
// plan holds no AWS write: what a team sees before switching.
func TestPlanOfLBCStack(t *testing.T) {
	cl := newCluster(t, 3)
	svc := cl.createService("legacy")
	cl.update("legacy", func(s *corev1.Service) { s.Finalizers = []string{"service.k8s.aws/resources"} })
	nodePort := cl.get("legacy").Spec.Ports[0].NodePort
	cluster, uid := cl.world.Cluster, string(svc.UID)
	sum := sha256.Sum256([]byte(cluster))
	cl.leaveStack(svc, nodePort, leftBehind{
		lbName:              lbcName(svc.Namespace, svc.Name, cluster, uid, "internal"),
		tgName:              lbcName(svc.Namespace, svc.Name, cluster, uid, fmt.Sprint(nodePort), "80", "instance", "TCP", "TCP", "10"),
		frontendName:        lbcName(svc.Namespace, svc.Name, cluster, svc.Name, svc.Namespace, uid),
		backendName:         "k8s-traffic-" + regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(cluster, "") + "-" + hex.EncodeToString(sum[:])[:10],
		frontendDescription: "[k8s] Managed SecurityGroup for LoadBalancer",
		listenerTags: map[string]string{model.TagCluster: cluster, model.TagServiceStack: svc.Namespace + "/" + svc.Name,
			model.TagServiceResource: "80"},
	})
	t0 := time.Now()
	p := cl.plan()
	if calls := cl.mutatingCalls(t0); len(calls) != 0 {
		t.Fatalf("the plan made mutating AWS calls: %v", calls)
	}
	var text bytes.Buffer
	_ = plan.WriteText(&text, p)
	t.Logf("plan of LBC's stack:\n%s", text.String())
	for _, o := range p.Objects {
		if o.Error != "" {
			t.Errorf("%s %s/%s: %s", o.Kind, o.Namespace, o.Name, o.Error)
		}
		for _, a := range o.Actions {
			if !strings.HasPrefix(a.Operation, "kubernetes:") {
				t.Errorf("%s %s/%s: AWS write planned: %+v", o.Kind, o.Namespace, o.Name, a)
			}
		}
	}
}
