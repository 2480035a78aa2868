package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/log"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

// Config is the deployer's configuration.
type Config struct {
	ClusterName string
	// ClusterUID identifies this cluster (the kube-system Namespace's UID);
	// every resource kelb creates carries it (model.TagClusterUID).
	ClusterUID string
	VPCID      string
	// BackendSGID is a user's own backend security group (--backend-security-group);
	// empty means kelb manages the shared one.
	BackendSGID string
	// DriftPeriod is how old a stack's details may be before a reconcile
	// reads them from AWS again.
	DriftPeriod time.Duration
	// UnrestrictedBackendRules (--disable-restricted-sg-rules) allows all
	// traffic from the backend group to the nodes: one rule per node group.
	UnrestrictedBackendRules bool
}

// Deps are the deployer's dependencies.
type Deps struct {
	Config  Config
	ELBV2   ELBV2
	EC2     EC2
	Tagging Tagging
	Clock   clock.PassiveClock
	// Record proves what of the resources without identity tag is this
	// cluster's; nil proves nothing.
	Record Record
	// Bindings writes the stacks' TargetGroupBindings; nil writes none.
	Bindings BindingClient
	// AddOns are the WAFv2, WAF Regional and Shield clients, for the
	// add-ons of application load balancers.
	AddOns AddOnClients
}

// Deployer applies desired stacks to AWS.
type Deployer struct {
	cfg     Config
	elb     ELBV2
	ec2     EC2
	tagging Tagging
	clock   clock.PassiveClock
	inv     *Inventory
	own     ownership

	bindings          BindingClient
	bindingDeleteWait time.Duration
	addOns            AddOnClients
	subscription      subscription

	loadMu   sync.Mutex
	nodeSGMu sync.Mutex // serialises rule changes on node security groups
	sgMu     sync.Mutex // serialises creation and deletion of the shared backend group
}

// New returns a deployer; call Load before the first Deploy.
func New(deps Deps) *Deployer {
	if deps.Clock == nil {
		deps.Clock = clock.RealClock{}
	}
	return &Deployer{cfg: deps.Config, elb: deps.ELBV2, ec2: deps.EC2, tagging: deps.Tagging, clock: deps.Clock,
		inv: newInventory(), own: ownership{record: deps.Record}, bindings: deps.Bindings,
		bindingDeleteWait: defaultBindingDeleteWait, addOns: deps.AddOns}
}

// Inventory exposes what the deployer knows of AWS.
func (d *Deployer) Inventory() *Inventory { return d.inv }

// Load reads every resource of the cluster in bulk and returns the stacks
// whose state differs from what the deployer knew.
func (d *Deployer) Load(ctx context.Context) ([]model.StackID, error) {
	d.loadMu.Lock()
	defer d.loadMu.Unlock()
	start := d.clock.Now()
	snap, err := d.loadSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	changed := d.inv.replace(start, snap)
	d.inv.mu.Lock()
	d.inv.nodeSGs = map[string]*SecurityGroupState{} // re-read on next use
	d.inv.mu.Unlock()
	log.FromContext(ctx).V(1).Info("loaded AWS inventory", "stacks", len(snap.stacks), "changed", len(changed))
	return changed, nil
}

// EnsureLoaded loads the inventory unless a load has completed already.
func (d *Deployer) EnsureLoaded(ctx context.Context) error {
	if d.Loaded() {
		return nil
	}
	d.loadMu.Lock()
	defer d.loadMu.Unlock()
	if d.Loaded() {
		return nil
	}
	start := d.clock.Now()
	snap, err := d.loadSnapshot(ctx)
	if err != nil {
		return err
	}
	d.inv.replace(start, snap)
	return nil
}

// Loaded reports whether a bulk load has completed.
func (d *Deployer) Loaded() bool {
	d.inv.mu.Lock()
	defer d.inv.mu.Unlock()
	return !d.inv.loadedAt.IsZero()
}

// Result is what a deploy made.
type Result struct {
	DNSName string
	// Provisioning is true while AWS still provisions the load balancer.
	Provisioning bool
	// CleanupPending says what AWS still holds back from deletion; the stack
	// serves, and the caller should look again soon.
	CleanupPending error
	// RulesHeld: some rules still forward to their old target groups until
	// the new groups' bindings register their targets; look again in a
	// second or so.
	RulesHeld bool
}

// ErrPending means a deletion waits for AWS to release a dependency.
var ErrPending = errors.New("waiting for AWS to release a dependency")

// Deploy makes AWS match the stack. Order: security groups and their rules,
// load balancer, target groups and targets, their TargetGroupBindings,
// listeners; then what is no longer wanted is deleted or revoked: bindings
// first, then target groups. The rules on the node security groups are
// not the stack's alone: the caller has the node-rules writer put the
// stack's in place first (SyncBackendRules), and it revokes them after.
func (d *Deployer) Deploy(ctx context.Context, stack *model.Stack) (Result, error) {
	if stack.ID.Kind != model.ServiceKind {
		return Result{}, &NotServedError{Stack: stack.ID}
	}
	return d.deploy(ctx, stack, nil)
}

// DeployResult is what DeployApplication returns: the same as a Service's
// deploy.
type DeployResult = Result

// DeployApplication makes AWS match an application load balancer stack
// (an Ingress group's), in Deploy's order; after the listeners, each
// listener's rules are changed so that no request falls to the default
// action in between (ensureListenerRules).
func (d *Deployer) DeployApplication(ctx context.Context, stack *model.ApplicationStack) (DeployResult, error) {
	if stack.ID.Kind != model.IngressKind {
		return Result{}, &NotServedError{Stack: stack.ID}
	}
	if len(stack.Routing) != len(stack.Listeners) {
		return Result{}, fmt.Errorf("stack %s: %d listeners but routing for %d", stack.ID, len(stack.Listeners),
			len(stack.Routing))
	}
	return d.deploy(ctx, &stack.Stack, stack)
}

// deploy is Deploy for a stack of either kind; app is nil for a Service's.
func (d *Deployer) deploy(ctx context.Context, stack *model.Stack, app *model.ApplicationStack) (Result, error) {
	st, release := d.inv.acquire(stack.ID, d.clock.Now)
	defer release()
	if err := d.refreshDetails(ctx, st); err != nil {
		return Result{}, err
	}
	var backendSG string
	if stack.LoadBalancer.UseBackendSG {
		var err error
		if backendSG, err = d.ensureBackendSG(ctx); err != nil {
			return Result{}, err
		}
	}
	if stack.FrontendSG != nil {
		if err := d.ensureFrontendSG(ctx, st, stack); err != nil {
			return Result{}, err
		}
	}
	sgs := append([]string(nil), stack.LoadBalancer.SecurityGroups...)
	if stack.LoadBalancer.UseFrontendSG && st.FrontendSG != nil {
		sgs = append(sgs, st.FrontendSG.ID)
	}
	if backendSG != "" {
		sgs = append(sgs, backendSG)
	}
	if err := d.ensureLoadBalancer(ctx, st, stack.LoadBalancer, sgs, stack.TagPolicy); err != nil {
		return Result{}, err
	}
	var tgOptions map[string]model.ApplicationTargetGroup
	if app != nil {
		tgOptions = app.TargetGroupOptions
	}
	tgARNs, err := d.ensureTargetGroups(ctx, st, stack.TargetGroups, tgOptions, stack.TagPolicy)
	if err != nil {
		return Result{}, err
	}
	kept := keepTargetGroups(st, app, tgARNs)
	var keepPorts map[int32]bool
	if app != nil {
		if keepPorts, err = d.keptListenerPorts(ctx, st, app, kept); err != nil {
			return Result{}, err
		}
	}
	d.inv.publishTargetGroups(stack.ID, st)
	bindings, err := d.ensureBindings(ctx, stack, tgARNs, backendSG)
	if err != nil {
		return Result{}, err
	}
	var held []string
	bindings.unmatched = slices.DeleteFunc(bindings.unmatched, func(b *elbv2api.TargetGroupBinding) bool {
		return kept[b.Spec.TargetGroupARN] != ""
	})
	if app == nil {
		var listenerARNs map[string]string
		listenerARNs, held = holdListeners(st.Listeners, stack.Listeners, tgARNs, bindings.notReady)
		err = d.ensureListeners(ctx, st, stack.Listeners, listenerARNs)
	} else {
		held, err = d.ensureApplicationListeners(ctx, st, app, tgARNs, kept, keepPorts, bindings.notReady)
	}
	if err != nil {
		return Result{}, err
	}
	if err := d.ensureListenerAttributes(ctx, st, stack.Listeners); err != nil {
		return Result{}, err
	}
	if err := d.ensureListenerTags(ctx, st, stack.Listeners, stack.TagPolicy); err != nil {
		return Result{}, err
	}
	// As LBC: web ACLs and Shield once the load balancer serves its
	// listeners, before anything is cleaned up.
	if app != nil {
		if err := d.ensureAddOns(ctx, st.LoadBalancer, app.AddOns); err != nil {
			return Result{}, err
		}
	}
	cleanup, err := d.cleanUp(ctx, st, stack, bindings, tgARNs, held, keepPorts)
	if err != nil {
		return Result{}, err
	}
	lb := st.LoadBalancer
	if lb.State == "provisioning" {
		d.inv.setProvisioning(stack.ID, lb.ARN, true)
		lb.State = "" // known only to the state refresher from now on
	}
	return Result{DNSName: lb.DNSName, Provisioning: d.inv.IsProvisioning(stack.ID), CleanupPending: cleanup,
		RulesHeld: len(held) > 0}, nil
}

// cleanUp deletes what the stack no longer wants once the wanted parts
// serve: bindings, target groups and frontend rules or group. Clean-ups AWS
// holds back for a while (ErrPending) come back as cleanup, not as err.
func (d *Deployer) cleanUp(ctx context.Context, st *StackState, stack *model.Stack, bindings bindingPlan,
	tgARNs map[string]string, held []string, keepPorts map[int32]bool) (cleanup, err error) {
	// Clean-ups AWS may hold back for a while (a target group still in use,
	// a group still attached) leave the stack serving: they are retried.
	cleanup = bindings.pending
	// Target groups that held rules still forward to stay, with their
	// bindings, until the rules move.
	keep := tgARNs
	if len(held) > 0 {
		keep = maps.Clone(tgARNs)
		for _, arn := range held {
			keep["held:"+arn] = arn
		}
		bindings.unmatched = slices.DeleteFunc(bindings.unmatched, func(b *elbv2api.TargetGroupBinding) bool {
			return slices.Contains(held, b.Spec.TargetGroupARN)
		})
		log.FromContext(ctx).V(1).Info("rules wait for new target groups' targets", "kept", held)
	}
	if err := d.deleteBindings(ctx, bindings.unmatched); err != nil && !errors.Is(err, ErrPending) {
		return nil, err
	} else if err != nil {
		cleanup = err // a target group is deleted only once its binding is gone
	} else if err := d.deleteUnwantedTargetGroups(ctx, st, keep); err != nil && !errors.Is(err, ErrPending) {
		return nil, err
	} else if err != nil {
		cleanup = err
	}
	if stack.FrontendSG != nil {
		want := slices.Concat(stack.FrontendSG.Ingress, keptFrontendRules(st.FrontendSG, keepPorts))
		if err := d.revokeFrontendRules(ctx, st, want); err != nil {
			return nil, err
		}
	} else if st.FrontendSG != nil {
		if err := d.deleteFrontendSG(ctx, st); err != nil && !errors.Is(err, ErrPending) {
			return nil, err
		} else if err != nil {
			cleanup = err
		}
	}
	return cleanup, nil
}

// Delete removes every resource of the stack. It returns ErrPending (wrapped)
// while AWS still holds a dependency; call again later. Rules on the node
// groups are the node-rules writer's to revoke, once the stack is gone.
// A load balancer whose deletion protection is on is not deleted, nor
// anything else of the stack: *LoadBalancerProtectedError.
func (d *Deployer) Delete(ctx context.Context, stackID model.StackID, opts DeleteOptions) error {
	if err := served(stackID); err != nil {
		return err
	}
	st, release := d.inv.acquire(stackID, d.clock.Now)
	defer release()
	return d.deleteHeld(ctx, st, opts)
}

// deleteHeld is Delete for a stack whose lock the caller holds.
func (d *Deployer) deleteHeld(ctx context.Context, st *StackState, opts DeleteOptions) error {
	if lb := st.LoadBalancer; lb != nil {
		if err := d.deleteLoadBalancer(ctx, st, opts); err != nil {
			return err
		}
		if st.ID.Kind == model.IngressKind {
			d.dropShieldProtection(ctx, lb)
		}
	}
	// The bindings go before their target groups, once they are gone: the
	// binding controller deregisters the targets first.
	if err := d.deleteStackBindings(ctx, st.ID); err != nil {
		return err
	}
	if err := d.deleteUnwantedTargetGroups(ctx, st, nil); err != nil {
		return err
	}
	if st.FrontendSG != nil {
		if err := d.deleteFrontendSG(ctx, st); err != nil {
			return err
		}
	}
	if !st.Empty() {
		return fmt.Errorf("stack %s: %w", st.ID, ErrPending)
	}
	return nil
}

// NotServedError refuses a change to a stack of a kind the deployer does
// not serve (an Ingress group's: LBC may still serve it).
type NotServedError struct{ Stack model.StackID }

func (e *NotServedError) Error() string {
	return fmt.Sprintf("stack %s: kelb does not serve stacks of kind %s: nothing changed", e.Stack, e.Stack.Kind)
}

// served refuses every kind but Service and Ingress (the binding claims'
// kind has no stack to delete). Which stacks of a served kind are
// kelb's to delete is its caller's to decide: an Ingress stack LBC still
// serves is never handed to Delete.
func served(id model.StackID) error {
	if id.Kind != model.ServiceKind && id.Kind != model.IngressKind {
		return &NotServedError{Stack: id}
	}
	return nil
}

// DeleteBackendSGIfUnused deletes the managed backend security group once no
// stack (of any kind) is left and no load balancer in AWS (LBC's Ingress ALBs
// share the group) uses it. The caller, the node-rules writer, knows that no
// Service is about to use it and no other controller's object may. It
// returns ErrPending (wrapped) while AWS still uses it. A group nothing
// proves this cluster's (Proven) is left in place.
func (d *Deployer) DeleteBackendSGIfUnused(ctx context.Context) error {
	id := d.backendSGID()
	if d.cfg.BackendSGID != "" || id == "" || len(d.inv.StackIDs()) > 0 {
		return nil
	}
	d.inv.mu.Lock()
	sg := d.inv.backendSG
	d.inv.mu.Unlock()
	if sg != nil && !d.backendSGProven(ctx, sg) {
		return nil
	}
	users, err := d.loadBalancersUsing(ctx, id)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return fmt.Errorf("backend security group %s is used by load balancers %v: %w", id, users, ErrPending)
	}
	return d.deleteBackendSG(ctx)
}

// loadBalancersUsing returns the names of the load balancers AWS has with
// the security group, read afresh (one paginated call).
func (d *Deployer) loadBalancersUsing(ctx context.Context, sg string) ([]string, error) {
	var out []string
	p := elbv2.NewDescribeLoadBalancersPaginator(d.elb, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(400)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing load balancers that use security group %s: %w", sg, err)
		}
		for _, lb := range page.LoadBalancers {
			if slices.Contains(lb.SecurityGroups, sg) {
				out = append(out, aws.ToString(lb.LoadBalancerName))
			}
		}
	}
	return out, nil
}
