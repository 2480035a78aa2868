package deploy

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// TestInventoryRefreshDuringDeploy: a bulk refresh that runs while a stack
// is being deployed neither races with the deploy nor forgets what it made
// (here, the frontend group the deploy creates after the refresh started).
// Run with -race.
func TestInventoryRefreshDuringDeploy(t *testing.T) {
	inv := newInventory()
	clock := func() time.Time { return t0.Add(time.Hour) }
	st, release := inv.acquire(svcStack("ns/web"), clock)
	st.LoadBalancer = &LoadBalancerState{ARN: "arn:lb", SecurityGroups: []string{"sg-f"}}
	release()

	deploying := make(chan struct{})
	done := make(chan struct{})
	go func() { // the deploy
		defer close(done)
		st, release := inv.acquire(svcStack("ns/web"), clock)
		defer release()
		close(deploying)
		for i := int32(0); i < 200; i++ {
			st.TargetGroups = append(st.TargetGroups, &TargetGroupState{ARN: "arn:tg", Protocol: "TCP", Port: 30000 + i})
		}
		st.FrontendSG = &SecurityGroupState{ID: "sg-f"}
	}()
	<-deploying
	// The refresh started before the deploy's group existed: AWS showed none.
	stale := &snapshot{stacks: map[model.StackID]*StackState{svcStack("ns/web"): {ID: svcStack("ns/web"),
		LoadBalancer: &LoadBalancerState{ARN: "arn:lb", SecurityGroups: []string{"sg-f"}}}}}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				inv.replace(t0, stale)
				_ = inv.StackIDs()
				d := &Deployer{inv: inv}
				_ = d.inUse(&SecurityGroupState{ID: "sg-n", Ingress: []model.Rule{{Protocol: "tcp", FromPort: 1, ToPort: 1,
					SourceSG: "sg-b", Description: model.BackendRuleDescription}}}, "sg-b", nil)
			}
		}()
	}
	wg.Wait()
	<-done
	inv.replace(t0, stale) // after the deploy: its write is newer than the refresh
	got := inv.stacks[svcStack("ns/web")]
	if got.FrontendSG == nil || len(got.TargetGroups) != 200 {
		t.Errorf("the refresh forgot what the deploy made: frontend %v, %d target groups", got.FrontendSG, len(got.TargetGroups))
	}
	if d := cmp.Diff([]model.StackID{svcStack("ns/web")}, inv.StackIDs()); d != "" {
		t.Error(d)
	}
}

// svcStack is the id of a Service stack named name ("<namespace>/<name>").
func svcStack(name string) model.StackID { return model.StackID{Kind: model.ServiceKind, Name: name} }

// TestInventoryTargetGroupsPublishedBeforeRelease: the target groups a
// deploy made are found (for the binding controller) while the deploy
// still holds the stack, once published; nothing else of the stack is.
func TestInventoryTargetGroupsPublishedBeforeRelease(t *testing.T) {
	inv := newInventory()
	clock := func() time.Time { return t0 }
	id := model.StackID{Kind: model.IngressKind, Name: "ns/web"}
	st, release := inv.acquire(id, clock)
	st.LoadBalancer = &LoadBalancerState{ARN: "arn:lb", Scheme: "internal", Subnets: []string{"subnet-b", "subnet-a"}}
	st.TargetGroups = []*TargetGroupState{{ARN: "arn:tg", Name: "k8s-ns-web-1", TargetType: "ip", IPAddressType: "ipv4",
		Tags: map[string]string{model.TagIngressStack: "ns/web"}}}
	if _, ok := inv.TargetGroup("arn:tg"); ok {
		t.Fatal("target group found before it was published")
	}
	inv.publishTargetGroups(id, st)
	got, ok := inv.TargetGroup("arn:tg")
	want := TargetGroupFacts{ARN: "arn:tg", Name: "k8s-ns-web-1", TargetType: "ip", IPAddressType: "ipv4",
		Tags: map[string]string{model.TagIngressStack: "ns/web"}}
	if d := cmp.Diff(want, got); !ok || d != "" {
		t.Errorf("published target group (found %v): %s", ok, d)
	}
	if s := inv.LoadBalancerScheme(id); s != "" {
		t.Errorf("scheme %q published before release, want none", s)
	}
	release()
	if s := inv.LoadBalancerScheme(id); s != "internal" {
		t.Errorf("scheme %q after release, want internal", s)
	}
}
