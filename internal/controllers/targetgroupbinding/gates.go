package targetgroupbinding

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/readinessgate"
	"github.com/kelb-dev/kelb/internal/targets"
)

// DefaultGatePoll: while a pod carrying the binding's readiness gate waits
// for its condition, the binding is reconciled this often, with one
// DescribeTargetHealth of its target group per pass (never one per pod).
// LBC waits 10 s at first and backs off to 10 min; kelb keeps the short
// period until every gated pod is True, then reads nothing more.
const DefaultGatePoll = 2 * time.Second

// gatedPod is a registered endpoint whose pod carries the binding's
// readiness gate: it gets the gate's condition from its target's health.
type gatedPod struct {
	pod    *corev1.Pod
	target model.Target
}

// podTargets are what the binding's pods add to an ip binding's targets.
type podTargets struct {
	// register are the not-ready endpoints registered all the same
	// (targets.RegistersNotReady).
	register []model.Target
	// gated are the registered endpoints whose pod carries the binding's
	// gate: the not-ready ones always, the ready ones at a sweep.
	gated []gatedPod
	// sweep: the ready endpoints' pods were read too, so every gated pod's
	// condition is compared with AWS, True ones included.
	sweep bool
	// waiting: a gated pod is not registered yet (its containers are not
	// ready); nothing in its EndpointSlice changes when they become ready,
	// so the binding is looked at again soon, as LBC does.
	waiting bool
}

// sweeps remembers when each binding's ready pods were last read for
// their gate conditions: once per resync period (and on the first pass
// after a start), so that a ready pod whose target turned unhealthy has
// its condition set False then, as LBC's periodic reconcile does.
//
// It also remembers, per binding, the pods (by UID) read without the
// binding's gate: a pod's readiness gates cannot change after it is
// created, so such a pod is never read again for its gate (5,000 ungated
// pods behind hand-made bindings cost 5,000 reads per resync otherwise).
type sweeps struct {
	clock  clock.PassiveClock
	period time.Duration

	mu      sync.Mutex
	last    map[types.NamespacedName]time.Time
	ungated map[types.NamespacedName]map[types.UID]bool
}

func newSweeps(clk clock.PassiveClock, period time.Duration) *sweeps {
	return &sweeps{clock: clk, period: period, last: map[types.NamespacedName]time.Time{},
		ungated: map[types.NamespacedName]map[types.UID]bool{}}
}

// knownUngated returns the pods of the binding known to lack its gate.
func (s *sweeps) knownUngated(key types.NamespacedName) map[types.UID]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ungated[key]
}

// setUngated replaces the binding's ungated pods with those of its current
// endpoints, so that pods gone are forgotten.
func (s *sweeps) setUngated(key types.NamespacedName, uids map[types.UID]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ungated[key] = uids
}

// due reports whether the binding's sweep is due, and if so counts it done.
func (s *sweeps) due(key types.NamespacedName) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.last[key]; ok && s.clock.Since(t) < s.period {
		return false
	}
	s.last[key] = s.clock.Now()
	return true
}

// forget makes the binding's next pass a sweep. What it knows of ungated
// pods stays true while they exist; it goes when the binding does (drop).
func (s *sweeps) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last, key)
}

// drop forgets the binding entirely.
func (s *sweeps) drop(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last, key)
	delete(s.ungated, key)
}

// podTargets reads the pods of the not-ready endpoints (and, at a sweep,
// of the ready ones): a pod at rest is a ready endpoint and costs nothing
// between sweeps, and pods are not cached. Each read goes to the API
// server, so what it says of the pod's containers is current.
func (c *Controller) podTargets(ctx context.Context, tgb *elbv2api.TargetGroupBinding,
	slices []*discoveryv1.EndpointSlice, f targets.EndpointFilter) (podTargets, error) {
	eps := targets.PodEndpoints(slices, f)
	gate := readinessgate.ConditionType(tgb.Name)
	key := types.NamespacedName{Namespace: tgb.Namespace, Name: tgb.Name}
	out := podTargets{sweep: c.sweeps.due(key)}
	var known, ungated map[types.UID]bool
	if out.sweep {
		known, ungated = c.sweeps.knownUngated(key), map[types.UID]bool{}
	}
	for _, ep := range eps {
		if ep.Ready && (!out.sweep || ep.PodUID != "" && known[ep.PodUID]) {
			if out.sweep {
				ungated[ep.PodUID] = true
			}
			continue
		}
		var pod corev1.Pod
		if err := c.Reader.Get(ctx, types.NamespacedName{Namespace: tgb.Namespace, Name: ep.Pod}, &pod); err != nil {
			if apierrors.IsNotFound(err) {
				continue // gone: its slice changes next
			}
			c.sweeps.forget(key)
			return out, fmt.Errorf("reading pod %s/%s of the binding's endpoints: %w", tgb.Namespace, ep.Pod, err)
		}
		hasGate := readinessgate.HasGate(&pod, gate)
		if ep.Ready {
			if hasGate {
				out.gated = append(out.gated, gatedPod{pod: &pod, target: ep.Target})
			} else if ep.PodUID != "" && ep.PodUID == pod.UID {
				ungated[pod.UID] = true
			}
			continue
		}
		node, err := c.nodeOf(ctx, &pod, ep.Node)
		if err != nil {
			return out, err
		}
		if !targets.RegistersNotReady(&pod, node) {
			out.waiting = out.waiting || (hasGate && pod.DeletionTimestamp.IsZero())
			continue
		}
		out.register = append(out.register, ep.Target)
		if hasGate {
			out.gated = append(out.gated, gatedPod{pod: &pod, target: ep.Target})
		}
	}
	if out.sweep {
		c.sweeps.setUngated(key, ungated)
	}
	return out, nil
}

// nodeOf reads the pod's node from the cache; nil when it has none or it
// is gone.
func (c *Controller) nodeOf(ctx context.Context, pod *corev1.Pod, endpointNode string) (*corev1.Node, error) {
	name := pod.Spec.NodeName
	if name == "" {
		name = endpointNode
	}
	if name == "" {
		return nil, nil
	}
	var n corev1.Node
	if err := c.Client.Get(ctx, types.NamespacedName{Name: name}, &n); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading node %s of pod %s/%s: %w", name, pod.Namespace, pod.Name, err)
	}
	return &n, nil
}

// reportGates sets the gate condition of each gated pod from its target's
// health: one DescribeTargetHealth for all of them, a pod status patch
// only where the condition changes. It reports whether every gated pod's
// condition is now True (then nothing more is read until the pods'
// endpoints change). A target that turns unhealthy later is not watched:
// its pod is ready by then, and the binding's resync is what looks at it
// again, as with LBC.
func (c *Controller) reportGates(ctx context.Context, tgb *elbv2api.TargetGroupBinding, tg targetGroup,
	pods podTargets) (bool, error) {
	// Between sweeps, a pod whose condition is already True is not asked
	// about (its endpoint has yet to turn ready): no read at all when
	// every gated pod is True.
	gated := pods.gated
	if !pods.sweep {
		gated = nil
		for _, g := range pods.gated {
			if e := readinessgate.Existing(g.pod, readinessgate.ConditionType(tgb.Name)); e == nil || e.Status != corev1.ConditionTrue {
				gated = append(gated, g)
			}
		}
	}
	if len(gated) == 0 {
		return true, nil
	}
	out, err := c.ELBV2.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN)})
	if err != nil {
		if awsclient.IsNotFound(err) {
			return false, fmt.Errorf("%w: %s (%v)", errTargetGroupNotFound, tg.ARN, err)
		}
		return false, fmt.Errorf("reading target health of target group %s for readiness gates: %w", tg.Name, err)
	}
	health := map[model.Target]readinessgate.TargetHealth{}
	for _, d := range out.TargetHealthDescriptions {
		if d.Target == nil || d.TargetHealth == nil {
			continue
		}
		health[model.Target{ID: aws.ToString(d.Target.Id), Port: aws.ToInt32(d.Target.Port)}] = readinessgate.TargetHealth{
			State: string(d.TargetHealth.State), Reason: string(d.TargetHealth.Reason),
			Description: aws.ToString(d.TargetHealth.Description)}
	}
	gate := readinessgate.ConditionType(tgb.Name)
	now := metav1.NewTime(c.Clock.Now())
	allTrue := true
	for _, g := range gated {
		existing := readinessgate.Existing(g.pod, gate)
		want := readinessgate.Condition(gate, health[g.target], existing, now)
		if want.Status != corev1.ConditionTrue {
			allTrue = false
		}
		if !readinessgate.NeedsPatch(existing, want) {
			continue
		}
		patch, err := readinessgate.StatusPatch(g.pod.UID, want)
		if err != nil {
			return false, err
		}
		if err := c.Client.Status().Patch(ctx, g.pod, client.RawPatch(types.StrategicMergePatchType, patch)); err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				continue // gone, or replaced under its name: its slice changes next
			}
			return false, fmt.Errorf("setting condition %s of pod %s/%s: %w", gate, g.pod.Namespace, g.pod.Name, err)
		}
		gateConditionWrites.WithLabelValues(string(want.Status)).Inc()
	}
	return allTrue, nil
}
