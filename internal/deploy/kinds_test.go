package deploy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestStacksOfOtherKindsAreNeverChanged: the deployer refuses, before any
// AWS call (it has no clients here), to deploy or delete an Ingress group's
// stack, whatever its name.
func TestStacksOfOtherKindsAreNeverChanged(t *testing.T) {
	d := New(Deps{})
	ing := model.StackID{Kind: model.IngressKind, Name: "ns/web"}
	_, deployErr := d.Deploy(context.Background(), &model.Stack{ID: ing})
	deleteErr := d.Delete(context.Background(), ing, DeleteOptions{})
	_, sweepErr := d.DeleteProven(context.Background(), ing)
	for name, err := range map[string]error{"Deploy": deployErr, "Delete": deleteErr, "DeleteProven": sweepErr} {
		var notServed *NotServedError
		if !errors.As(err, &notServed) || notServed.Stack != ing {
			t.Errorf("%s of an Ingress stack: %v, want a NotServedError", name, err)
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
