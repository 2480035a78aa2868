package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// ensureApplicationListeners makes an application load balancer's
// listeners serve their default actions, then each listener's rules.
// Rules go after every listener exists and before unwanted target groups
// are deleted (the caller's post step), so a target group is never deleted
// while a rule still forwards to it.
//
// Rules that would move to a target group in notReady stay where they
// forward (holdRules); held are the target groups they keep using.
//
// Listeners no one wants that serve a kept group member (keepPorts) stay
// as they are.
func (d *Deployer) ensureApplicationListeners(ctx context.Context, st *StackState, app *model.ApplicationStack,
	tgARNs, kept map[string]string, keepPorts map[int32]bool, notReady map[string]bool) (held []string, err error) {
	defaults := map[int32][]elbtypes.Action{}
	// clients are the fingerprints of the default actions' OIDC clients.
	clients := map[int32]string{}
	for _, r := range app.Routing {
		actions, err := sdkActions(r.DefaultActions, tgARNs)
		if err != nil {
			return nil, fmt.Errorf("default actions of listener %d: %w", r.Port, err)
		}
		defaults[r.Port] = actions
		if c := oidcClientOf(r.DefaultActions); c != "" {
			clients[r.Port] = c
		}
	}
	for port, ma := range app.MutualAuthentication {
		if ma.Mode == "verify" && !strings.HasPrefix(ma.TrustStore, "arn:") {
			return nil, fmt.Errorf("listener %d: mutual authentication names trust store %q: its ARN must be resolved "+
				"before the deploy", port, ma.TrustStore)
		}
	}
	// A listener that exists keeps its default action until its new rules
	// are in place, and its old rules go only after the new default: so
	// a request that both the old and the new setup route (removing an
	// ssl-redirect brings the rules back to port 80) never meets the
	// default action on the way. New listeners are made with theirs.
	existing := map[int32]bool{}
	for _, l := range st.Listeners {
		existing[l.Port] = true
		// A default action that forwards to a kept group member's target
		// group (its defaultBackend) stays while the member is left out.
		if _, ok := defaults[l.Port]; ok && kept[l.TargetGroupARN] != "" {
			defaults[l.Port] = keepForwarding(l.TargetGroupARN)
			continue
		}
		// A defaultBackend moving to a new target group waits, as a rule
		// does, for the group's targets.
		if want, ok := defaults[l.Port]; ok && l.TargetGroupARN != "" && !notReady[l.TargetGroupARN] &&
			slices.ContainsFunc(forwardTargets(want), func(arn string) bool { return notReady[arn] }) {
			defaults[l.Port] = keepForwarding(l.TargetGroupARN)
			delete(clients, l.Port)
			held = append(held, l.TargetGroupARN)
		}
	}
	first := map[int32][]elbtypes.Action{}
	for port, actions := range defaults {
		if !existing[port] {
			first[port] = actions
		}
	}
	if err := d.knowListenerClients(ctx, st, clients); err != nil {
		return nil, err
	}
	if err := d.ensureListenersWith(ctx, st, app.Listeners, tgARNs, &applicationListeners{Defaults: first,
		Mutual: app.MutualAuthentication, Clients: clients, Keep: keepPorts}); err != nil {
		return nil, err
	}
	byPort := map[int32]*ListenerState{}
	for _, l := range st.Listeners {
		byPort[l.Port] = l
	}
	unwanted := map[*ListenerState][]string{}
	for _, r := range app.Routing {
		l := byPort[r.Port]
		if l == nil {
			return nil, fmt.Errorf("listener %d of load balancer %s: not found after its creation", r.Port, st.LoadBalancer.Name)
		}
		arns, keptHeld, err := d.ensureListenerRules(ctx, st.LoadBalancer, l, r.Rules, tgARNs, kept, notReady)
		if err != nil {
			return nil, err
		}
		unwanted[l] = arns
		held = append(held, keptHeld...)
	}
	if err := d.ensureListenersWith(ctx, st, app.Listeners, tgARNs, &applicationListeners{Defaults: defaults,
		Mutual: app.MutualAuthentication, Clients: clients, Keep: keepPorts}); err != nil {
		return nil, err
	}
	// Every listener's new rules exist: the old ones may go.
	for _, r := range app.Routing {
		l := byPort[r.Port]
		if err := d.deleteRules(ctx, st.LoadBalancer, l, unwanted[l]); err != nil {
			return nil, err
		}
	}
	return held, nil
}

// sdkMutualAuthentication is the listener's mutual TLS in the API's form;
// what the stack leaves unset AWS keeps.
func sdkMutualAuthentication(ma model.MutualAuthentication) *elbtypes.MutualAuthenticationAttributes {
	out := &elbtypes.MutualAuthenticationAttributes{Mode: aws.String(ma.Mode)}
	if ma.Mode == "verify" {
		out.TrustStoreArn = aws.String(ma.TrustStore)
		out.IgnoreClientCertificateExpiry = ma.IgnoreClientCertificateExpiry
		out.AdvertiseTrustStoreCaNames = elbtypes.AdvertiseTrustStoreCaNamesEnum(ma.AdvertiseTrustStoreCANames)
	}
	return out
}

// readMutualAuthentication is what AWS reports (mode "off" when it
// reports none).
func readMutualAuthentication(a *elbtypes.MutualAuthenticationAttributes) model.MutualAuthentication {
	if a == nil || aws.ToString(a.Mode) == "" {
		return model.MutualAuthentication{Mode: "off"}
	}
	return model.MutualAuthentication{Mode: aws.ToString(a.Mode), TrustStore: aws.ToString(a.TrustStoreArn),
		IgnoreClientCertificateExpiry: a.IgnoreClientCertificateExpiry,
		AdvertiseTrustStoreCANames:    string(a.AdvertiseTrustStoreCaNames)}
}

// mutualAuthMatches compares what the stack sets; what it leaves unset
// matches whatever AWS has.
func mutualAuthMatches(have, want model.MutualAuthentication) bool {
	if have.Mode != want.Mode {
		return false
	}
	if want.Mode != "verify" {
		return true
	}
	return have.TrustStore == want.TrustStore &&
		(want.IgnoreClientCertificateExpiry == nil || have.IgnoreClientCertificateExpiry != nil &&
			*have.IgnoreClientCertificateExpiry == *want.IgnoreClientCertificateExpiry) &&
		(want.AdvertiseTrustStoreCANames == "" || have.AdvertiseTrustStoreCANames == want.AdvertiseTrustStoreCANames)
}

// keepForwarding is a default action that keeps a listener forwarding
// to the one target group it forwards to.
func keepForwarding(tgARN string) []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{{
			TargetGroupArn: aws.String(tgARN)}}}}}
}
