package deploy

import (
	"context"
	"fmt"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// ensureApplicationListeners makes an application load balancer's
// listeners serve their default actions, then each listener's rules.
// Rules go after every listener exists and before unwanted target groups
// are deleted (the caller's post step), so a target group is never deleted
// while a rule still forwards to it.
func (d *Deployer) ensureApplicationListeners(ctx context.Context, st *StackState, app *model.ApplicationStack,
	tgARNs map[string]string) error {
	defaults := map[int32][]elbtypes.Action{}
	for _, r := range app.Routing {
		actions, err := sdkActions(r.DefaultActions, tgARNs)
		if err != nil {
			return fmt.Errorf("default actions of listener %d: %w", r.Port, err)
		}
		defaults[r.Port] = actions
	}
	if err := d.ensureListenersWith(ctx, st, app.Listeners, tgARNs, defaults); err != nil {
		return err
	}
	byPort := map[int32]*ListenerState{}
	for _, l := range st.Listeners {
		byPort[l.Port] = l
	}
	for _, r := range app.Routing {
		l := byPort[r.Port]
		if l == nil {
			return fmt.Errorf("listener %d of load balancer %s: not found after its creation", r.Port, st.LoadBalancer.Name)
		}
		if err := d.ensureListenerRules(ctx, st.LoadBalancer, l, r.Rules, tgARNs); err != nil {
			return err
		}
	}
	return nil
}
