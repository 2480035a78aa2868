package deploy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestStacksOfTheOtherKindAreRefused: each deploy serves its own kind
// only, before any AWS call (the deployer has no clients here): a Service
// stack is never built into an application load balancer, nor an Ingress
// stack into a Service's; a kind without stacks is never deleted.
func TestStacksOfTheOtherKindAreRefused(t *testing.T) {
	d := New(Deps{})
	ing := model.StackID{Kind: model.IngressKind, Name: "ns/web"}
	svc := model.ServiceStackID("ns", "web")
	claim := model.BindingClaimID("ns", "web")
	_, deployErr := d.Deploy(context.Background(), &model.Stack{ID: ing})
	_, appErr := d.DeployApplication(context.Background(), &model.ApplicationStack{Stack: model.Stack{ID: svc}})
	deleteErr := d.Delete(context.Background(), claim, DeleteOptions{})
	_, sweepErr := d.DeleteProven(context.Background(), claim)
	for name, tt := range map[string]struct {
		err  error
		want model.StackID
	}{"Deploy": {deployErr, ing}, "DeployApplication": {appErr, svc}, "Delete": {deleteErr, claim},
		"DeleteProven": {sweepErr, claim}} {
		var notServed *NotServedError
		if !errors.As(tt.err, &notServed) || notServed.Stack != tt.want {
			t.Errorf("%s: %v, want a NotServedError for %s", name, tt.err, tt.want)
		}
	}
}

// TestIngressStackPortsAreKept: an Ingress group's target groups found in
// AWS keep their ports on the node groups, even when a Service of the same
// namespace and name is deployed and needs nothing there.
func TestIngressStackPortsAreKept(t *testing.T) {
	d := New(Deps{})
	ing := model.StackID{Kind: model.IngressKind, Name: "ns/web"}
	st, release := d.inv.acquire(ing, time.Now)
	st.TargetGroups = []*TargetGroupState{
		{Protocol: "HTTP", Port: 31080, HealthCheck: model.HealthCheck{Port: "traffic-port"}},
		{Protocol: "HTTP", Port: 8080, HealthCheck: model.HealthCheck{Port: "9090"}}, // ip targets, own health port
	}
	release()
	sg := &SecurityGroupState{ID: "sg-n", Ingress: []model.Rule{{Protocol: "tcp", FromPort: 0, ToPort: 65535,
		SourceSG: "sg-b", Description: model.BackendRuleDescription}}}
	got := d.inUse(sg, "sg-b", map[model.StackID]bool{model.ServiceStackID("ns", "web"): true})
	want := []model.BackendRule{{NodeSG: "sg-n", Protocol: "tcp", Port: 31080}, {NodeSG: "sg-n", Protocol: "tcp", Port: 8080},
		{NodeSG: "sg-n", Protocol: "tcp", Port: 9090}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}
