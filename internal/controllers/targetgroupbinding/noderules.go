package targetgroupbinding

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/targets"
)

// NodeRules is what the controller asks of the node-rules writer, the one
// writer of rules on node security groups.
type NodeRules interface {
	// BackendSG is the id of the backend group kelb writes node rules
	// from ("" while there is none).
	BackendSG(ctx context.Context) (string, error)
	// Ensure returns once the node groups let in what the claim asks for;
	// from then on the writer keeps those rules until the claim changes
	// and Deployed says the change is done, or Forget drops it.
	Ensure(ctx context.Context, key model.StackID, rules []model.BackendRule) error
	// Deployed says the binding's members are what its claim covers: the
	// rules it claimed before may go.
	Deployed(key model.StackID)
	// Forget drops the claim and returns once the writer has run.
	Forget(ctx context.Context, key model.StackID) error
}

// InstanceGroups finds the security group of an instance that receives
// load balancer traffic (the one kelb's node rules go into).
type InstanceGroups interface {
	SecurityGroups(ctx context.Context, ids []string) (map[string]string, error)
}

// NetworkingRetry is how soon a Service stack's binding whose networking
// does not let its targets in yet is looked at again (the deployer
// rewrites the binding right after it has the new rules in).
const NetworkingRetry = 2 * time.Second

// ReasonNetworkingPending: the binding's networking does not yet let in
// the ports its targets receive traffic on; nothing is registered until it
// does.
const ReasonNetworkingPending = "NetworkingPending"

// claims remembers which bindings hold a claim in the writer, so that a
// binding whose networking went away drops it.
type claims struct {
	mu   sync.Mutex
	keys map[model.StackID]bool
}

func (c *claims) set(key model.StackID, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[model.StackID]bool{}
	}
	if on {
		c.keys[key] = true
	} else {
		delete(c.keys, key)
	}
}

func (c *claims) has(key model.StackID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys[key]
}

// ensureNodeRules has the writer let in what the binding's networking asks
// for on its targets' node groups, before any of them is registered. It
// returns the claim key to mark deployed once the members are changed
// ("" when the binding claims nothing), or an outcome that stops the
// membership change.
func (c *Controller) ensureNodeRules(ctx context.Context, tgb *elbv2api.TargetGroupBinding, want []model.Target,
	where whereTargets) (model.StackID, *outcome) {
	if c.NodeRules == nil {
		return model.StackID{}, nil
	}
	key := claimKey(tgb.Namespace, tgb.Name)
	if tgb.Spec.Networking == nil {
		// As LBC: no networking, no rules. A claim made before (the
		// networking was removed) is emptied; its rules go once the
		// members are changed.
		if !c.claims.has(key) {
			return model.StackID{}, nil
		}
		if err := c.NodeRules.Ensure(ctx, key, nil); err != nil {
			o := outcomeOf(err)
			return model.StackID{}, &o
		}
		return key, nil
	}
	backendSG, err := c.NodeRules.BackendSG(ctx)
	if err != nil {
		o := outcomeOf(err)
		return model.StackID{}, &o
	}
	placed, err := c.placeTargets(ctx, want, where)
	if err != nil {
		o := outcomeOf(err)
		return model.StackID{}, &o
	}
	rules, skipped, err := networkingRules(tgb.Spec.Networking, backendSG, where.targetPortName, placed)
	if err != nil {
		o := outcomeOf(err)
		return model.StackID{}, &o
	}
	if len(skipped) > 0 {
		log.FromContext(ctx).V(1).Info("networking rules kelb does not write", "binding", tgb.Namespace+"/"+tgb.Name,
			"skipped", skipped)
	}
	if missing := uncoveredPorts(rules, placed); len(missing) > 0 && c.serviceStackBinding(ctx, tgb) {
		// The Service changed ports and its deployer has not rewritten the
		// binding yet (it does so right after it has the new rules in):
		// registering now would send traffic where nothing lets it in.
		return model.StackID{}, &outcome{reason: ReasonNetworkingPending, after: NetworkingRetry,
			message: "spec.networking does not let in the targets' ports yet (node group:port " + joinOr(missing) + ")"}
	}
	if err := c.NodeRules.Ensure(ctx, key, rules); err != nil {
		o := outcomeOf(fmt.Errorf("node security-group rules of the binding: %w", err))
		return model.StackID{}, &o
	}
	c.claims.set(key, true)
	return key, nil
}

// nodeRulesDone tells the writer the binding's members now match its
// claim.
func (c *Controller) nodeRulesDone(tgb *elbv2api.TargetGroupBinding, key model.StackID) {
	if key.IsZero() {
		return
	}
	c.NodeRules.Deployed(key)
	if tgb.Spec.Networking == nil {
		c.claims.set(key, false)
	}
}

// forgetNodeRules drops the claim of a binding being deleted, once its
// targets are deregistered.
func (c *Controller) forgetNodeRules(ctx context.Context, tgb *elbv2api.TargetGroupBinding) error {
	if c.NodeRules == nil {
		return nil
	}
	key := claimKey(tgb.Namespace, tgb.Name)
	if tgb.Spec.Networking == nil && !c.claims.has(key) {
		return nil
	}
	if err := c.NodeRules.Forget(ctx, key); err != nil {
		return fmt.Errorf("dropping the node rules of TargetGroupBinding %s/%s: %w", tgb.Namespace, tgb.Name, err)
	}
	c.claims.set(key, false)
	return nil
}

// placeTargets finds each target's node security group: the instance's for
// instance targets, the endpoint's node's instance's for ip targets.
func (c *Controller) placeTargets(ctx context.Context, want []model.Target, where whereTargets) ([]placedTarget, error) {
	if len(want) == 0 {
		return nil, nil
	}
	instanceOf := map[string]string{} // target id -> instance id
	if where.nodeOf == nil {
		for _, t := range want {
			instanceOf[t.ID] = t.ID
		}
	} else {
		var nodes corev1.NodeList
		if err := c.Client.List(ctx, &nodes, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing nodes: %w", err)
		}
		byName := map[string]string{}
		for i := range nodes.Items {
			byName[nodes.Items[i].Name] = targets.InstanceID(&nodes.Items[i])
		}
		for _, t := range want {
			if id := byName[where.nodeOf[t.ID]]; id != "" {
				instanceOf[t.ID] = id
			}
		}
	}
	seen := map[string]bool{}
	for _, id := range instanceOf {
		seen[id] = true
	}
	sgs := map[string]string{}
	if len(seen) > 0 {
		if c.Instances == nil {
			return nil, fmt.Errorf("the targets' security groups cannot be looked up: no instance lookup")
		}
		var err error
		if sgs, err = c.Instances.SecurityGroups(ctx, sortedKeys(seen)); err != nil {
			return nil, err
		}
	}
	out := make([]placedTarget, 0, len(want))
	for _, t := range want {
		out = append(out, placedTarget{target: t, nodeSG: sgs[instanceOf[t.ID]]})
	}
	return out, nil
}

// serviceStackBinding says, from its stack labels, that a binding is the
// stack's of a Service this kelb serves. Labels copied onto another
// binding only make kelb hold its registration until its networking lets
// its targets in.
func (c *Controller) serviceStackBinding(ctx context.Context, tgb *elbv2api.TargetGroupBinding) bool {
	ns, name := tgb.Labels[model.LabelServiceStackNamespace], tgb.Labels[model.LabelServiceStackName]
	if c.Config.ClaimsService == nil || ns == "" || name == "" {
		return false
	}
	var svc corev1.Service
	if err := c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &svc); err != nil {
		return false
	}
	return c.Config.ClaimsService(&svc)
}
