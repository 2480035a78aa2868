// Package noderules is the one writer of kelb's rules on node security
// groups. The rules are shared: one node port range may serve many
// Services and bindings, and LBC's Ingresses use rules of the same
// description. So no reconcile revokes anything there: each one asks the
// writer to cover what it is about to use (Ensure, a claim), and the writer
// alone decides what to authorize and what to revoke, from every need at
// the moment it writes:
//   - the claims: each Service stack's (keyed "<namespace>/<name>") and
//     each TargetGroupBinding's (keyed model.BindingClaimID(namespace, name),
//     made by the binding controller before it registers targets), exact
//     rules on the groups of their targets, the old ones kept until the
//     claimant says its change is done (make before break);
//   - every Service kelb serves, computed from the cache (covers a
//     Service not reconciled since kelb started, and the moment before its
//     binding exists);
//   - every TargetGroupBinding's networking (kelb's, users', LBC's) and
//     every Ingress of LBC's class: their ports are never revoked, in any
//     node group and from any source (Protected), so a binding not
//     reconciled since kelb started, or one whose rules kelb does not
//     write itself, keeps what it may use.
package noderules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
)

// Name of the controller.
const Name = "node-security-group-rules"

var runs = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "kelb_node_rules_syncs_total",
	Help: "Runs of the node security-group rules writer, by outcome (ok, error).",
}, []string{"outcome"})

func init() { crmetrics.Registry.MustRegister(runs) }

// Needs computes what every Service kelb serves needs in the node groups,
// from current state.
type Needs interface {
	BackendNeeds(ctx context.Context) (deploy.BackendNeeds, error)
}

// Protected computes the ports that every TargetGroupBinding's networking
// and every Ingress of LBC's may use: never revoked.
type Protected interface {
	ProtectedPorts(ctx context.Context) (ports []model.BackendRule, anyPort bool, err error)
}

// Deployer is what the writer asks of the deployer.
type Deployer interface {
	EnsureLoaded(ctx context.Context) error
	BackendSGID() string
	AuthorizeFor(ctx context.Context, rules []model.BackendRule) error
	SyncBackendRules(ctx context.Context, needs deploy.BackendNeeds) (map[string]error, error)
	DeleteBackendSGIfUnused(ctx context.Context) error
}

// Deps are the writer's dependencies.
type Deps struct {
	Deployer  Deployer
	Needs     Needs
	Protected Protected
	// Period is how often the writer runs without being asked: drift repair
	// and clean-up of rules left by Services deleted while kelb was down.
	Period time.Duration
	// SettleDelay is how long after a deploy the writer runs to revoke what
	// the stack stopped using, so that a burst of deploys costs one run.
	SettleDelay time.Duration
}

// DefaultSettleDelay: revokes follow a burst of deploys within a second.
const DefaultSettleDelay = time.Second

// Writer is the node-rules writer.
type Writer struct {
	Deps

	mu      sync.Mutex
	claims  map[model.StackID]*claim
	asked   uint64 // incremented by every request
	done    uint64 // the requests the last completed run covered
	results map[string]error
	failed  error // the last run's error, if it failed as a whole
	ran     chan struct{}
	kick    chan struct{}
	settle  chan struct{}
}

// claim is what one stack's reconciles asked for. The rules stay desired,
// whatever the cache says meanwhile, until the stack asks again or is
// forgotten; the rules it asked for before stay desired too until a deploy
// has moved it off them (make before break).
type claim struct {
	rules, replaced []model.BackendRule
	// deployed: a deploy succeeded since the last change, so rules and
	// replaced describe all the stack uses in AWS. Until then the deployer
	// also keeps whatever the stack's target groups serve.
	deployed bool
}

// New returns a writer; Register starts it.
func New(deps Deps) *Writer {
	if deps.SettleDelay == 0 {
		deps.SettleDelay = DefaultSettleDelay
	}
	return &Writer{Deps: deps, claims: map[model.StackID]*claim{}, ran: make(chan struct{}), kick: make(chan struct{}, 1),
		settle: make(chan struct{}, 1)}
}

// Name implements the controllers list's interface.
func (w *Writer) Name() string { return Name }

// Register adds the writer to the manager; it runs on the leader only, as
// the Service controller does.
func (w *Writer) Register(_ context.Context, mgr ctrl.Manager) error {
	return mgr.Add(manager.RunnableFunc(w.Run))
}

// Ensure makes the node groups let in what one stack is about to use,
// before its load balancer sends traffic there. It registers the stack's
// claim (from then on every run keeps those rules), waits for a run under
// way that may have missed the claim, and adds what is missing, exactly
// (the writer's next run shapes the rules; adding never opens more than the
// stack needs). When that cannot be done alone (no backend group yet, a
// group at its quota), it waits for a full run instead and returns the
// errors of the groups its rules are in.
func (w *Writer) Ensure(ctx context.Context, stackID model.StackID, rules []model.BackendRule) error {
	w.mu.Lock()
	c, ok := w.claims[stackID]
	if !ok {
		c = &claim{}
		w.claims[stackID] = c
	}
	if !ok || !slices.Equal(c.rules, rules) {
		c.replaced = slices.Concat(c.replaced, c.rules)
		c.rules = slices.Clone(rules)
		c.deployed = false
	}
	w.mu.Unlock()
	// A run under way that missed this claim still sees it before it
	// revokes anything (Late), and the deployer serialises this add with
	// its changes: no wait is needed.
	err := w.Deployer.AuthorizeFor(ctx, rules)
	var limit *deploy.RuleLimitError
	if err == nil || !errors.Is(err, deploy.ErrNoBackendSG) && !errors.As(err, &limit) {
		return err
	}
	w.mu.Lock()
	w.asked++
	mine := w.asked
	w.mu.Unlock()
	w.Kick()
	return w.wait(ctx, mine, func() error {
		var errs []error
		seen := map[string]bool{}
		for _, r := range rules {
			if err := w.results[r.NodeSG]; err != nil && !seen[r.NodeSG] {
				seen[r.NodeSG] = true
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// BackendSG returns the id of the backend group rules are written from
// ("" while there is none), once AWS's inventory is loaded: a binding
// naming that group as its source gets rules from it.
func (w *Writer) BackendSG(ctx context.Context) (string, error) {
	if err := w.Deployer.EnsureLoaded(ctx); err != nil {
		return "", fmt.Errorf("loading AWS inventory: %w", err)
	}
	return w.Deployer.BackendSGID(), nil
}

// wait waits for a run that covers request mine and returns its failure,
// or what result (called with w.mu held) makes of its per-group results.
func (w *Writer) wait(ctx context.Context, mine uint64, result func() error) error {
	for {
		w.mu.Lock()
		if w.done >= mine {
			defer w.mu.Unlock()
			if w.failed != nil {
				return w.failed
			}
			return result()
		}
		ran := w.ran
		w.mu.Unlock()
		select {
		case <-ran:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Deployed says the stack's deploy succeeded: it uses what it last asked
// for and nothing else, so the rules it used before may now be revoked.
func (w *Writer) Deployed(stackID model.StackID) {
	w.mu.Lock()
	c, ok := w.claims[stackID]
	changed := ok && (!c.deployed || len(c.replaced) > 0)
	if ok {
		c.replaced, c.deployed = nil, true
	}
	w.mu.Unlock()
	if changed {
		select {
		case w.settle <- struct{}{}:
		default:
		}
	}
}

// Forget drops a stack's claim (its Service is gone or no longer kelb's)
// and returns once a run has revoked what nothing needs any longer (and
// deleted the backend group if nothing uses it).
func (w *Writer) Forget(ctx context.Context, stackID model.StackID) error {
	w.mu.Lock()
	delete(w.claims, stackID)
	w.asked++
	mine := w.asked
	w.mu.Unlock()
	w.Kick()
	return w.wait(ctx, mine, func() error { return nil })
}

// Flush asks for a full run and returns once one has covered every request
// made so far (kelb plan: the revokes a settle run would make).
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	w.asked++
	mine := w.asked
	w.mu.Unlock()
	w.Kick()
	return w.wait(ctx, mine, func() error { return nil })
}

// Kick asks for a run soon; requests while a run is going are merged into
// the next one.
func (w *Writer) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run runs the writer until ctx ends.
func (w *Writer) Run(ctx context.Context) error {
	t := time.NewTicker(w.Period)
	defer t.Stop()
	var retry, settled <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.settle:
			if settled == nil {
				settled = time.After(w.SettleDelay)
			}
			continue
		case <-w.kick:
		case <-t.C:
		case <-retry:
		case <-settled:
		}
		retry, settled = nil, nil
		w.mu.Lock()
		covers := w.asked
		claims := make(map[model.StackID]claim, len(w.claims))
		for id, c := range w.claims {
			claims[id] = *c // the slices are replaced, never changed in place
		}
		w.mu.Unlock()
		results, err := w.sync(ctx, claims)
		if errors.Is(err, deploy.ErrPending) {
			// AWS still holds the backend group (a load balancer on its way
			// out): look again soon.
			retry, err = time.After(PendingRetry), nil
		}
		if err != nil {
			runs.WithLabelValues("error").Inc()
			log.FromContext(ctx).WithName(Name).Error(err, "syncing node security-group rules")
		} else {
			runs.WithLabelValues("ok").Inc()
		}
		w.mu.Lock()
		w.done, w.results, w.failed = covers, results, err
		close(w.ran)
		w.ran = make(chan struct{})
		w.mu.Unlock()
	}
}

// sync is one run: needs from current state, plus the claims, then the
// deployer's make-before-break change of every node group.
func (w *Writer) sync(ctx context.Context, claims map[model.StackID]claim) (map[string]error, error) {
	if err := w.Deployer.EnsureLoaded(ctx); err != nil {
		return nil, fmt.Errorf("loading AWS inventory: %w", err)
	}
	needs, err := w.Needs.BackendNeeds(ctx)
	if err != nil {
		return nil, err
	}
	needs.Late = w.claimedRules
	needs.Deployed = map[model.StackID]bool{}
	for id, c := range claims {
		if needs.Leaving[id] {
			continue
		}
		needs.Rules = append(append(needs.Rules, c.rules...), c.replaced...)
		needs.Deployed[id] = c.deployed
	}
	others := false
	if w.Protected != nil {
		ports, found, err := w.Protected.ProtectedPorts(ctx)
		if err != nil {
			// Unknown: add what Services need, take nothing away.
			log.FromContext(ctx).WithName(Name).Error(err, "not revoking node rules: other controllers' needs are unknown")
			needs.Complete, found = false, true
		}
		needs.Protected, others = ports, found
	}
	results, err := w.Deployer.SyncBackendRules(ctx, needs)
	if err != nil {
		return nil, err
	}
	for group, gerr := range results {
		log.FromContext(ctx).WithName(Name).Error(gerr, "node security group not in shape", "group", group)
	}
	if len(needs.Rules) == 0 && len(claims) == 0 && needs.Complete && !others {
		// Nothing of kelb's and nothing of another controller's uses the
		// shared backend group: it goes, as LBC lets it go.
		if err := w.Deployer.DeleteBackendSGIfUnused(ctx); err != nil {
			return results, err
		}
	}
	return results, nil
}

// claimedRules returns every rule the stacks' claims hold now.
func (w *Writer) claimedRules() []model.BackendRule {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []model.BackendRule
	for _, c := range w.claims {
		out = append(append(out, c.rules...), c.replaced...)
	}
	return out
}

// PendingRetry is how soon the writer looks again at a backend group AWS
// does not let go yet.
const PendingRetry = 5 * time.Second
