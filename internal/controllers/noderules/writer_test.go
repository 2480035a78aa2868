package noderules

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
)

// fakeDeployer records what each run asked for.
type fakeDeployer struct {
	mu         sync.Mutex
	syncs      []deploy.BackendNeeds
	deletions  int
	groupErrs  map[string]error
	authorized []model.BackendRule
}

func (f *fakeDeployer) EnsureLoaded(context.Context) error { return nil }
func (f *fakeDeployer) BackendSGID() string                { return "sg-backend" }

// AuthorizeFor fails as AWS would for a group at its quota.
func (f *fakeDeployer) AuthorizeFor(_ context.Context, rules []model.BackendRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authorized = append(f.authorized, rules...)
	for _, r := range rules {
		if err := f.groupErrs[r.NodeSG]; err != nil {
			return err
		}
	}
	return nil
}
func (f *fakeDeployer) SyncBackendRules(_ context.Context, n deploy.BackendNeeds) (map[string]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs = append(f.syncs, n)
	return f.groupErrs, nil
}
func (f *fakeDeployer) DeleteBackendSGIfUnused(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletions++
	return nil
}
func (f *fakeDeployer) last() deploy.BackendNeeds {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs[len(f.syncs)-1]
}

// fakeNeeds is what the cache says every Service needs.
type fakeNeeds struct{ needs deploy.BackendNeeds }

func (f fakeNeeds) BackendNeeds(context.Context) (deploy.BackendNeeds, error) { return f.needs, nil }

type fakeProtected struct{ found bool }

func (f fakeProtected) ProtectedPorts(context.Context) ([]model.BackendRule, bool, error) {
	return nil, f.found, nil
}

func port(p int32) model.BackendRule {
	return model.BackendRule{NodeSG: "sg-n", Protocol: "tcp", Port: p}
}

func start(t *testing.T, w *Writer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestStackChangeIsMakeBeforeBreak: the rules a stack used stay desired
// while it moves to new ones, and go once it is deployed.
func TestStackChangeIsMakeBeforeBreak(t *testing.T) {
	d := &fakeDeployer{}
	w := New(Deps{Deployer: d, Needs: fakeNeeds{deploy.BackendNeeds{Complete: true}}, Period: time.Hour})
	start(t, w)
	ctx := context.Background()
	sortRules := cmpopts.SortSlices(func(a, b model.BackendRule) bool { return a.Port < b.Port })
	steps := []struct {
		name         string
		do           func() error
		wantRules    []model.BackendRule
		wantDeployed map[model.StackID]bool
	}{
		{"first claim", func() error {
			if err := w.Ensure(ctx, svcStack("ns/a"), []model.BackendRule{port(30000)}); err != nil {
				return err
			}
			return w.Forget(ctx, svcStack("ns/other")) // a run
		},
			[]model.BackendRule{port(30000)}, map[model.StackID]bool{svcStack("ns/a"): false}},
		{"deployed", func() error { w.Deployed(svcStack("ns/a")); return w.Forget(ctx, svcStack("ns/other")) },
			[]model.BackendRule{port(30000)}, map[model.StackID]bool{svcStack("ns/a"): true}},
		{"moves to another port: both desired", func() error {
			if err := w.Ensure(ctx, svcStack("ns/a"), []model.BackendRule{port(30100)}); err != nil {
				return err
			}
			return w.Forget(ctx, svcStack("ns/other"))
		},
			[]model.BackendRule{port(30000), port(30100)}, map[model.StackID]bool{svcStack("ns/a"): false}},
		{"moved", func() error { w.Deployed(svcStack("ns/a")); return w.Forget(ctx, svcStack("ns/other")) },
			[]model.BackendRule{port(30100)}, map[model.StackID]bool{svcStack("ns/a"): true}},
		{"gone", func() error { return w.Forget(ctx, svcStack("ns/a")) }, nil, map[model.StackID]bool{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := d.last()
		if diff := cmp.Diff(s.wantRules, got.Rules, sortRules, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: rules: %s", s.name, diff)
		}
		if diff := cmp.Diff(s.wantDeployed, got.Deployed); diff != "" {
			t.Errorf("%s: deployed: %s", s.name, diff)
		}
	}
}

// TestEnsureReportsItsGroupsErrors: a full group fails the Services that
// need it, not the others.
func TestEnsureReportsItsGroupsErrors(t *testing.T) {
	full := &deploy.RuleLimitError{Group: "sg-full"}
	d := &fakeDeployer{groupErrs: map[string]error{"sg-full": full}}
	w := New(Deps{Deployer: d, Needs: fakeNeeds{deploy.BackendNeeds{Complete: true}}, Period: time.Hour})
	start(t, w)
	ctx := context.Background()
	var limit *deploy.RuleLimitError
	if err := w.Ensure(ctx, svcStack("ns/a"), []model.BackendRule{{NodeSG: "sg-full", Protocol: "tcp", Port: 1}}); !errors.As(err, &limit) {
		t.Errorf("a Service in the full group: %v", err)
	}
	if err := w.Ensure(ctx, svcStack("ns/b"), []model.BackendRule{port(2)}); err != nil {
		t.Errorf("a Service in another group: %v", err)
	}
}

// TestBackendGroupDeletedOnlyWhenNothingUsesIt.
func TestBackendGroupDeletedOnlyWhenNothingUsesIt(t *testing.T) {
	tests := []struct {
		name      string
		needs     deploy.BackendNeeds
		others    bool
		claim     bool
		deletions int
	}{
		{"nothing uses it", deploy.BackendNeeds{Complete: true}, false, false, 1},
		{"a Service needs it", deploy.BackendNeeds{Complete: true, Rules: []model.BackendRule{port(1)}}, false, false, 0},
		{"a Service's needs are unknown", deploy.BackendNeeds{}, false, false, 0},
		{"LBC's objects exist", deploy.BackendNeeds{Complete: true}, true, false, 0},
		{"a reconcile claimed it", deploy.BackendNeeds{Complete: true}, false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDeployer{}
			w := New(Deps{Deployer: d, Needs: fakeNeeds{tt.needs}, Protected: fakeProtected{tt.others}, Period: time.Hour})
			start(t, w)
			if tt.claim {
				_ = w.Ensure(context.Background(), svcStack("ns/a"), nil)
			}
			if err := w.Forget(context.Background(), svcStack("ns/gone")); err != nil {
				t.Fatal(err)
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.deletions != tt.deletions {
				t.Errorf("deletions: %d, want %d", d.deletions, tt.deletions)
			}
		})
	}
}

// TestBindingClaimsAreNeeds: a binding's claim (keyed apart from every
// Service stack) is kept while a Service of the same name leaves, moves
// make before break, and goes only when the binding is forgotten; what any
// binding's networking may use stays protected throughout.
func TestBindingClaimsAreNeeds(t *testing.T) {
	d := &fakeDeployer{}
	protected := []model.BackendRule{{Protocol: "tcp", Port: 31600, CIDR: deploy.AnySource}}
	w := New(Deps{Deployer: d, Protected: fakeBindings{protected},
		Needs: fakeNeeds{deploy.BackendNeeds{Complete: true, Leaving: map[model.StackID]bool{svcStack("ns/web"): true}}}, Period: time.Hour})
	start(t, w)
	ctx := context.Background()
	key := model.BindingClaimID("ns", "web")
	sortRules := cmpopts.SortSlices(func(a, b model.BackendRule) bool { return a.Port < b.Port })
	steps := []struct {
		name string
		do   func() error
		want []model.BackendRule
	}{
		{"claimed", func() error { return w.Ensure(ctx, key, []model.BackendRule{port(30080)}) }, []model.BackendRule{port(30080)}},
		{"moved, not yet deregistered", func() error { return w.Ensure(ctx, key, []model.BackendRule{port(30100)}) },
			[]model.BackendRule{port(30080), port(30100)}},
		{"members changed", func() error { w.Deployed(key); return nil }, []model.BackendRule{port(30100)}},
		{"finalized", func() error { return w.Forget(ctx, key) }, nil},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := w.Forget(ctx, svcStack("ns/other")); err != nil { // a run
			t.Fatal(err)
		}
		got := d.last()
		if diff := cmp.Diff(s.want, got.Rules, sortRules, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: rules (-want +got):\n%s", s.name, diff)
		}
		if diff := cmp.Diff(protected, got.Protected); diff != "" {
			t.Errorf("%s: protected (-want +got):\n%s", s.name, diff)
		}
	}
}

type fakeBindings struct{ ports []model.BackendRule }

func (f fakeBindings) ProtectedPorts(context.Context) ([]model.BackendRule, bool, error) {
	return f.ports, len(f.ports) > 0, nil
}
