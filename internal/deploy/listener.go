package deploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

func listenerState(l elbtypes.Listener) *ListenerState {
	s := &ListenerState{ARN: aws.ToString(l.ListenerArn), Port: aws.ToInt32(l.Port), Protocol: string(l.Protocol),
		SSLPolicy: aws.ToString(l.SslPolicy), TargetGroupARN: forwardTarget(l.DefaultActions),
		DefaultActions: canonicalActions(l.DefaultActions), MutualAuth: readMutualAuthentication(l.MutualAuthentication)}
	// AWS lists the default certificate here, the others only in
	// DescribeListenerCertificates.
	for _, c := range l.Certificates {
		if s.DefaultCertificate == "" || aws.ToBool(c.IsDefault) {
			s.DefaultCertificate = aws.ToString(c.CertificateArn)
		}
	}
	if len(l.AlpnPolicy) > 0 {
		s.ALPNPolicy = l.AlpnPolicy[0]
	}
	return s
}

// forwardTarget returns the target group that actions send all traffic to,
// or "" when they do anything else. AWS says the same thing in two forms (a
// TargetGroupArn, or a ForwardConfig with one weighted target group: LBC's
// form, which AWS echoes with both), and kelb reads them by meaning, so
// that taking over from LBC rewrites nothing.
func forwardTarget(actions []elbtypes.Action) string {
	if len(actions) != 1 || actions[0].Type != elbtypes.ActionTypeEnumForward {
		return ""
	}
	a := actions[0]
	arn := aws.ToString(a.TargetGroupArn)
	if fc := a.ForwardConfig; fc != nil {
		if len(fc.TargetGroups) != 1 {
			return ""
		}
		tg := fc.TargetGroups[0]
		if tg.Weight != nil && *tg.Weight == 0 { // a lone target group of weight 0 gets nothing
			return ""
		}
		if fcARN := aws.ToString(tg.TargetGroupArn); arn == "" {
			arn = fcARN
		} else if fcARN != arn {
			return ""
		}
		if sc := fc.TargetGroupStickinessConfig; sc != nil && aws.ToBool(sc.Enabled) {
			return "" // not what kelb (or LBC) sets
		}
	}
	return arn
}

// forwardActions are a listener's default actions in the form LBC writes
// them: one forward action, first in order, with a ForwardConfig naming
// the one target group.
func forwardActions(tgARN string) []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, Order: aws.Int32(1),
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(tgARN)}}}}}
}

// listenerMatches compares what ModifyListener sets; the certificates
// beyond the default are compared apart (extraCertificates).
func listenerMatches(have *ListenerState, want model.Listener, tgARN string) bool {
	return have.TargetGroupARN == tgARN && listenerSettingsMatch(have, want)
}

// applicationListenerMatches compares an application listener: its default
// actions by meaning (none given: whatever it has, kept for now), and what
// ModifyListener sets besides.
func applicationListenerMatches(have *ListenerState, want model.Listener, actions []elbtypes.Action) bool {
	return (actions == nil || have.DefaultActions == canonicalActions(actions)) && listenerSettingsMatch(have, want)
}

// securedProtocol reports whether a listener of the protocol terminates
// TLS and so has certificates and an SSL policy.
func securedProtocol(p string) bool { return p == "TLS" || p == "HTTPS" }

// listenerSettingsMatch compares protocol, certificate and policies.
func listenerSettingsMatch(have *ListenerState, want model.Listener) bool {
	if have.Protocol != want.Protocol {
		return false
	}
	if !securedProtocol(want.Protocol) {
		return true
	}
	return have.SSLPolicy == want.SSLPolicy && have.DefaultCertificate == defaultCertificate(want) &&
		(want.ALPNPolicy == "" || have.ALPNPolicy == want.ALPNPolicy)
}

// defaultCertificate is the first certificate of the annotation: AWS takes
// exactly one in CreateListener and ModifyListener.
func defaultCertificate(want model.Listener) string {
	if len(want.Certificates) == 0 {
		return ""
	}
	return want.Certificates[0]
}

// extraCertificates are the certificates beyond the default, each once.
func extraCertificates(want model.Listener) []string {
	var out []string
	for _, c := range want.Certificates {
		if c != defaultCertificate(want) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func listenerTLS(want model.Listener) ([]elbtypes.Certificate, *string, []string) {
	if !securedProtocol(want.Protocol) {
		return nil, nil, nil
	}
	var certs []elbtypes.Certificate
	if c := defaultCertificate(want); c != "" {
		certs = []elbtypes.Certificate{{CertificateArn: aws.String(c)}}
	}
	var alpn []string
	if want.ALPNPolicy != "" {
		alpn = []string{want.ALPNPolicy}
	}
	return certs, aws.String(want.SSLPolicy), alpn
}

// ensureListeners creates, modifies and deletes listeners so that each
// desired port forwards to its target group with its certificates.
func (d *Deployer) ensureListeners(ctx context.Context, st *StackState, want []model.Listener, tgARNs map[string]string) error {
	return d.ensureListenersWith(ctx, st, want, tgARNs, nil)
}

// applicationListeners is what ensureListenersWith needs beyond the
// listeners for an application load balancer.
type applicationListeners struct {
	// Defaults are the default actions by port (a port missing from the
	// map keeps the default action its listener has, as ModifyListener
	// does without one).
	Defaults map[int32][]elbtypes.Action
	Mutual   map[int32]model.MutualAuthentication
	// Clients are the fingerprints of the default actions' OIDC clients
	// by port (listenerClientMatches).
	Clients map[int32]string
	// Keep are ports of listeners that stay though no listener is wanted
	// there (those of group members left out of the build).
	Keep map[int32]bool
}

// ensureListenersWith is ensureListeners for an application load
// balancer's listeners (app nil: each listener forwards to its target
// group).
func (d *Deployer) ensureListenersWith(ctx context.Context, st *StackState, want []model.Listener,
	tgARNs map[string]string, app *applicationListeners) error {
	lb := st.LoadBalancer
	byPort := map[int32]*ListenerState{}
	for _, l := range st.Listeners {
		byPort[l.Port] = l
	}
	wanted := map[int32]bool{}
	for _, w := range want {
		wanted[w.Port] = true
		tgARN := tgARNs[w.TargetGroupID]
		actions, matches := forwardActions(tgARN), func(have *ListenerState) bool { return listenerMatches(have, w, tgARN) }
		var mutualAuth *elbtypes.MutualAuthenticationAttributes
		client := ""
		if app != nil {
			actions = app.Defaults[w.Port]
			if actions != nil {
				client = app.Clients[w.Port]
			}
			ma, ok := app.Mutual[w.Port]
			if ok && securedProtocol(w.Protocol) {
				mutualAuth = sdkMutualAuthentication(ma)
			}
			matches = func(have *ListenerState) bool {
				return applicationListenerMatches(have, w, actions) && (mutualAuth == nil || mutualAuthMatches(have.MutualAuth, ma)) &&
					(actions == nil || d.listenerClientMatches(st.ID, have.ARN, client))
			}
		}
		certs, policy, alpn := listenerTLS(w)
		have := byPort[w.Port]
		switch {
		case have == nil:
			out, err := d.elb.CreateListener(ctx, &elbv2.CreateListenerInput{
				LoadBalancerArn: aws.String(lb.ARN), Port: aws.Int32(w.Port), Protocol: elbtypes.ProtocolEnum(w.Protocol),
				DefaultActions: actions, Certificates: certs, SslPolicy: policy, AlpnPolicy: alpn,
				Tags:                 elbTags(model.MergeTags(w.Tags, clientTag(client))),
				MutualAuthentication: mutualAuth,
			})
			if err != nil {
				return fmt.Errorf("creating listener %d/%s on load balancer %s: %w", w.Port, w.Protocol, lb.Name, err)
			}
			have = listenerState(out.Listeners[0])
			have.ExtrasKnown = true // a new listener has none
			have.RulesKnown = true
			st.Listeners = append(st.Listeners, have)
			d.inv.setListenerTags(st.ID, aws.ToString(out.Listeners[0].ListenerArn), model.MergeTags(w.Tags, clientTag(client)))
		case !matches(have):
			// Send only what changes: the port never does (it is the key).
			in := &elbv2.ModifyListenerInput{ListenerArn: aws.String(have.ARN), DefaultActions: actions,
				MutualAuthentication: mutualAuth,
				Certificates:         certs, SslPolicy: policy, AlpnPolicy: alpn}
			if have.Protocol != w.Protocol {
				in.Protocol = elbtypes.ProtocolEnum(w.Protocol)
			}
			out, err := d.elb.ModifyListener(ctx, in)
			if err != nil {
				return fmt.Errorf("modifying listener %d on load balancer %s: %w", w.Port, lb.Name, err)
			}
			extras, known, rules, rulesKnown := have.ExtraCertificates, have.ExtrasKnown, have.Rules, have.RulesKnown
			*have = *listenerState(out.Listeners[0])
			have.ExtraCertificates, have.ExtrasKnown, have.Rules, have.RulesKnown = extras, known, rules, rulesKnown
			if err := d.tagListenerClient(ctx, st.ID, have.ARN, client); err != nil {
				return fmt.Errorf("listener %d on load balancer %s: %w", w.Port, lb.Name, err)
			}
		}
		if err := d.ensureExtraCertificates(ctx, lb, have, w); err != nil {
			return err
		}
	}
	var kept []*ListenerState
	for _, l := range st.Listeners {
		if wanted[l.Port] || (app != nil && app.Keep[l.Port]) {
			kept = append(kept, l)
			continue
		}
		if _, err := d.elb.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: aws.String(l.ARN)}); err != nil &&
			!awsclient.IsNotFound(err) {
			return fmt.Errorf("deleting listener %d on load balancer %s: %w", l.Port, lb.Name, err)
		}
	}
	st.Listeners = kept
	return nil
}

// ensureExtraCertificates makes a TLS listener serve exactly the wanted
// certificates beyond its default: new ones added before old ones go, one
// certificate per call, as AWS takes them. What the listener has is read
// once (DescribeListenerCertificates) and then known from kelb's writes
// until the next drift check, so a converged listener costs no call.
func (d *Deployer) ensureExtraCertificates(ctx context.Context, lb *LoadBalancerState, have *ListenerState,
	want model.Listener) error {
	if !securedProtocol(want.Protocol) {
		have.ExtraCertificates, have.ExtrasKnown = nil, true // AWS drops them with the protocol
		return nil
	}
	if !have.ExtrasKnown {
		extras, err := d.describeExtraCertificates(ctx, have.ARN)
		if err != nil {
			return fmt.Errorf("reading certificates of listener %d on load balancer %s: %w", have.Port, lb.Name, err)
		}
		have.ExtraCertificates, have.ExtrasKnown = extras, true
	}
	wanted := extraCertificates(want)
	for _, c := range wanted {
		if slices.Contains(have.ExtraCertificates, c) {
			continue
		}
		if _, err := d.elb.AddListenerCertificates(ctx, &elbv2.AddListenerCertificatesInput{
			ListenerArn: aws.String(have.ARN), Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(c)}},
		}); err != nil {
			return fmt.Errorf("adding certificate %s to listener %d on load balancer %s: %w", c, have.Port, lb.Name, err)
		}
		have.ExtraCertificates = append(have.ExtraCertificates, c)
	}
	for _, c := range slices.Clone(have.ExtraCertificates) {
		if slices.Contains(wanted, c) {
			continue
		}
		if _, err := d.elb.RemoveListenerCertificates(ctx, &elbv2.RemoveListenerCertificatesInput{
			ListenerArn: aws.String(have.ARN), Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(c)}},
		}); err != nil && !awsclient.IsNotFound(err) {
			return fmt.Errorf("removing certificate %s from listener %d on load balancer %s: %w", c, have.Port, lb.Name, err)
		}
		have.ExtraCertificates = slices.DeleteFunc(have.ExtraCertificates, func(x string) bool { return x == c })
	}
	return nil
}

// describeExtraCertificates returns a listener's certificates that are not
// its default.
func (d *Deployer) describeExtraCertificates(ctx context.Context, arn string) ([]string, error) {
	var out []string
	in := &elbv2.DescribeListenerCertificatesInput{ListenerArn: aws.String(arn)}
	for {
		page, err := d.elb.DescribeListenerCertificates(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Certificates {
			if !aws.ToBool(c.IsDefault) {
				out = append(out, aws.ToString(c.CertificateArn))
			}
		}
		if aws.ToString(page.NextMarker) == "" {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}
