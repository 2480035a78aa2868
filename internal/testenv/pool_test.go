package testenv

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

// fakePlanes stands in for envtest: control planes named kube-1, kube-2, ...
// in start order, a start that can be held, and a record of what ran.
type fakePlanes struct {
	mu       sync.Mutex
	n        int
	running  map[string]bool
	stopped  []string
	starting bool
	entered  int           // starts begun
	overlap  bool          // a start or stop ran while a start was running
	hold     chan struct{} // when set, a start waits for it
	failNext error
	dead     map[string]bool // planes that no longer answer
}

func newFakePlanes() *fakePlanes {
	return &fakePlanes{running: map[string]bool{}, dead: map[string]bool{}}
}

func (f *fakePlanes) start() (*Kube, error) {
	f.mu.Lock()
	f.overlap = f.overlap || f.starting
	f.starting = true
	f.entered++
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starting = false
	if err := f.failNext; err != nil {
		f.failNext = nil
		return nil, err
	}
	f.n++
	name := fmt.Sprintf("kube-%d", f.n)
	f.running[name] = true
	return &Kube{Config: &rest.Config{Host: name}}, nil
}

func (f *fakePlanes) stop(k *Kube) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.running[k.Config.Host] {
		f.overlap = true // stopped twice or never started
	}
	delete(f.running, k.Config.Host)
	f.stopped = append(f.stopped, k.Config.Host)
}

func (f *fakePlanes) check(_ context.Context, k *Kube) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead[k.Config.Host] {
		return errors.New("connection refused")
	}
	return nil
}

func (f *fakePlanes) isStarting() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starting
}

func (f *fakePlanes) startsBegun() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entered
}

func (f *fakePlanes) pool(size int) *KubePool { return newKubePool(size, f.start, f.stop, f.check) }

// state is what the fake saw: planes still running, planes stopped (sorted)
// and whether anything overlapped a start.
func (f *fakePlanes) state() (running, stopped []string, overlap bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name := range f.running {
		running = append(running, name)
	}
	stopped = append(stopped, f.stopped...)
	sort.Strings(running)
	sort.Strings(stopped)
	return running, stopped, f.overlap
}

func TestKubePool(t *testing.T) {
	type result struct {
		Got     []string // what each Get returned, or its error
		Running []string // after Close: every plane started must be stopped
		Overlap bool     // a start overlapped another, or a plane was stopped twice
		// InFlight: a start was still running when Close returned.
		InFlight bool
	}
	for _, tc := range []struct {
		name  string
		size  int
		setup func(*fakePlanes)
		run   func(*testing.T, *fakePlanes, *KubePool) []string
		want  result
	}{{
		name: "each plane is handed out once, in start order; Close stops the spare and the used ones",
		size: 1,
		run: func(t *testing.T, f *fakePlanes, p *KubePool) []string {
			var got []string
			for range 3 {
				k, err := p.Get(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, k.Config.Host)
				p.Release(k)
			}
			return got
		},
		want: result{Got: []string{"kube-1", "kube-2", "kube-3"}},
	}, {
		name: "two spares: two planes in hand at once, two more started behind them",
		size: 2,
		run: func(t *testing.T, f *fakePlanes, p *KubePool) []string {
			a, err := p.Get(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.Get(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			p.Release(a)
			p.Release(b)
			return []string{a.Config.Host, b.Config.Host}
		},
		want: result{Got: []string{"kube-1", "kube-2"}},
	}, {
		name:  "a failed start is the error of one Get; the next Get has a plane",
		size:  1,
		setup: func(f *fakePlanes) { f.failNext = errors.New("etcd did not start") },
		run: func(t *testing.T, f *fakePlanes, p *KubePool) []string {
			var got []string
			for range 2 {
				k, err := p.Get(t.Context())
				if err != nil {
					got = append(got, err.Error())
					continue
				}
				got = append(got, k.Config.Host)
				p.Release(k)
			}
			return got
		},
		want: result{Got: []string{"etcd did not start", "kube-1"}},
	}, {
		name:  "a spare that stopped answering is stopped, not handed out",
		size:  1,
		setup: func(f *fakePlanes) { f.dead["kube-1"] = true },
		run: func(t *testing.T, f *fakePlanes, p *KubePool) []string {
			var got []string
			for range 2 {
				k, err := p.Get(t.Context())
				if err != nil {
					got = append(got, err.Error())
					continue
				}
				got = append(got, k.Config.Host)
				p.Release(k)
			}
			return got
		},
		want: result{Got: []string{"a started kube-apiserver stopped answering: connection refused", "kube-2"}},
	}, {
		name: "Close waits for a start in flight and stops what it started",
		size: 1,
		setup: func(f *fakePlanes) {
			f.hold = make(chan struct{})
			go func() { time.Sleep(50 * time.Millisecond); close(f.hold) }()
		},
		run: func(t *testing.T, f *fakePlanes, p *KubePool) []string {
			for f.startsBegun() == 0 {
				time.Sleep(time.Millisecond)
			}
			return nil
		},
		want: result{},
	}, {
		name: "a plane released after Close is stopped at once",
		size: 1,
		run: func(t *testing.T, f *fakePlanes, p *KubePool) []string {
			k, err := p.Get(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			p.Close()
			p.Release(k)
			_, err = p.Get(t.Context())
			return []string{k.Config.Host, fmt.Sprint(err)}
		},
		want: result{Got: []string{"kube-1", "kube pool closed"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakePlanes()
			if tc.setup != nil {
				tc.setup(f)
			}
			p := f.pool(tc.size)
			got := result{Got: tc.run(t, f, p)}
			p.Close()
			got.Running, _, got.Overlap = f.state()
			got.InFlight = f.isStarting()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestKubePoolGetEndsWithItsContext: a Get waiting for a start gives up when
// its test ends.
func TestKubePoolGetEndsWithItsContext(t *testing.T) {
	f := newFakePlanes()
	f.hold = make(chan struct{})
	p := f.pool(1)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := p.Get(ctx)
	close(f.hold)
	p.Close()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get: got %v, want the context's deadline", err)
	}
	if running, stopped, _ := f.state(); len(running) != 0 || len(stopped) != 1 {
		t.Errorf("after Close: running %v, stopped %v; want none running and kube-1 stopped", running, stopped)
	}
}
