package ingress

import (
	"context"
	"fmt"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// fakeDeployer records calls, in order, as "deploy <stack>" and
// "delete <kind>:<stack>", each noting whether the Ingress carried the
// finalizer in the API at that moment.
type fakeDeployer struct {
	client client.Client

	mu        sync.Mutex
	calls     []string
	last      *model.ApplicationStack
	deployErr error
	deleteErr error
}

func (d *fakeDeployer) DeployApplication(ctx context.Context, stack *model.ApplicationStack) (Deployed, error) {
	var ing networkingv1.Ingress
	ns, name, _ := cutStack(stack.ID.Name)
	finalized := d.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing) == nil &&
		controllerutil.ContainsFinalizer(&ing, Finalizer)
	d.record(fmt.Sprintf("deploy %s finalized=%t", stack.ID.Name, finalized))
	d.mu.Lock()
	d.last = stack
	d.mu.Unlock()
	if d.deployErr != nil {
		return Deployed{}, d.deployErr
	}
	return Deployed{DNSName: "k8s-" + name + ".elb.amazonaws.com"}, nil
}

func (d *fakeDeployer) Delete(ctx context.Context, id model.StackID) error {
	var ing networkingv1.Ingress
	ns, name, _ := cutStack(id.Name)
	finalized := d.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &ing) == nil &&
		controllerutil.ContainsFinalizer(&ing, Finalizer)
	d.record(fmt.Sprintf("delete %s:%s finalized=%t", id.Kind, id.Name, finalized))
	return d.deleteErr
}

func (d *fakeDeployer) record(s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, s)
}

func (d *fakeDeployer) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

func cutStack(id string) (string, string, bool) {
	for i := range id {
		if id[i] == '/' {
			return id[:i], id[i+1:], true
		}
	}
	return "", id, false
}

// fakeRecorder keeps events as "type reason: message".
type fakeRecorder struct {
	mu     sync.Mutex
	events []string
}

func (r *fakeRecorder) Eventf(_, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, eventtype+" "+reason+": "+fmt.Sprintf(note, args...))
}

func (r *fakeRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// fakeFacts answers every fact provider; calls counts what AWS was asked.
type fakeFacts struct {
	mu    sync.Mutex
	calls int
	certs []ingress.ACMCertificate
	// statuses are what AWS holds of named certificates; others are ISSUED.
	statuses map[string]service.CertificateStatus
}

func (f *fakeFacts) Status(_ context.Context, arns []string) (map[string]service.CertificateStatus, error) {
	f.count()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]service.CertificateStatus{}
	for _, a := range arns {
		out[a] = service.CertificateIssued
		if s, ok := f.statuses[a]; ok {
			out[a] = s
		}
	}
	return out, nil
}

func (f *fakeFacts) ResolveALB(context.Context, ingress.FactsQuery) ([]string, error) {
	f.count()
	return []string{"subnet-b", "subnet-a"}, nil
}

func (f *fakeFacts) List(context.Context) ([]ingress.ACMCertificate, error) {
	f.count()
	return f.certs, nil
}

func (f *fakeFacts) Resolve(_ context.Context, names []string) (map[string][]string, error) {
	f.count()
	out := map[string][]string{}
	for _, n := range names {
		out[n] = []string{"sg-" + n}
	}
	return out, nil
}

func (f *fakeFacts) Names(context.Context) ([]string, error) {
	f.count()
	return []string{"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06"}, nil
}

func (f *fakeFacts) count() {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
}
