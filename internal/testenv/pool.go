package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// KubePool starts control planes ahead of need: while a test runs on one
// kube-apiserver + etcd, the next one is already starting, so the next test
// takes a ready one instead of waiting for it (3 s on an idle machine, 5 s
// and more on a busy one). Each control plane is handed out once and stopped
// after use, so tests never share an apiserver or its cluster-scoped state.
//
// One worker starts control planes one at a time, so a start never competes
// with another for the CPU. Stops run in the background: each control plane
// has its own processes, directories and ports (envtest reserves every port
// it picks for the life of the process), so a stop cannot disturb a start.
type KubePool struct {
	start func() (*Kube, error)
	stop  func(*Kube)
	check func(context.Context, *Kube) error
	// spares holds started control planes (or why a start failed), oldest
	// first. want holds one token per start the worker still owes. Together
	// with the start in flight they always add up to the pool's size, so
	// neither channel is ever full when written.
	spares chan started
	want   chan struct{}
	quit   chan struct{}
	worker sync.WaitGroup

	mu     sync.Mutex
	closed bool
	stops  sync.WaitGroup
}

type started struct {
	kube *Kube
	err  error
}

// NewKubePool begins starting size control planes in the background
// (size >= 1). Close it when the last test is done.
func (e *Env) NewKubePool(size int) *KubePool {
	return newKubePool(size, func() (*Kube, error) { return e.StartKube() }, (*Kube).Stop, kubeReady)
}

func newKubePool(size int, start func() (*Kube, error), stop func(*Kube),
	check func(context.Context, *Kube) error) *KubePool {
	size = max(size, 1)
	p := &KubePool{start: start, stop: stop, check: check,
		spares: make(chan started, size), want: make(chan struct{}, size), quit: make(chan struct{})}
	for range size {
		p.want <- struct{}{}
	}
	p.worker.Add(1)
	go p.run()
	return p
}

func (p *KubePool) run() {
	defer p.worker.Done()
	for {
		select {
		case <-p.quit:
			return
		case <-p.want:
		}
		k, err := p.start()
		p.spares <- started{kube: k, err: err}
	}
}

// ErrPoolClosed is returned by Get after Close.
var ErrPoolClosed = errors.New("kube pool closed")

// Get returns a started control plane that nobody has used, waiting for one
// if none is ready yet, and starts its replacement. Give it back with Release.
func (p *KubePool) Get(ctx context.Context) (*Kube, error) {
	var s started
	select {
	case s = <-p.spares:
	case <-p.quit:
		return nil, ErrPoolClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.want <- struct{}{}
	if s.err != nil {
		return nil, s.err
	}
	// A spare may have waited a while; hand out only one that still answers.
	if err := p.check(ctx, s.kube); err != nil {
		p.Release(s.kube)
		return nil, fmt.Errorf("a started kube-apiserver stopped answering: %w", err)
	}
	return s.kube, nil
}

// Release stops a control plane that Get returned, in the background.
func (p *KubePool) Release(k *Kube) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.stop(k)
		return
	}
	p.stops.Add(1)
	go func() {
		defer p.stops.Done()
		p.stop(k)
	}()
}

// Close stops the spares, the one being started (after its start ends:
// stopping a half-started control plane would race with envtest's start)
// and waits for the stops Release began.
func (p *KubePool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	close(p.quit)
	p.worker.Wait()
	for drained := false; !drained; {
		select {
		case s := <-p.spares:
			if s.kube != nil {
				p.stop(s.kube)
			}
		default:
			drained = true
		}
	}
	p.stops.Wait()
}

// kubeReady asks the apiserver whether it serves.
func kubeReady(ctx context.Context, k *Kube) error {
	hc, err := rest.HTTPClientFor(k.Config)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u, err := url.JoinPath(k.Config.Host, "readyz")
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", u, resp.Status)
	}
	return nil
}
