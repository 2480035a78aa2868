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
		SSLPolicy: aws.ToString(l.SslPolicy)}
	for _, a := range l.DefaultActions {
		if a.Type == elbtypes.ActionTypeEnumForward && a.TargetGroupArn != nil {
			s.TargetGroupARN = aws.ToString(a.TargetGroupArn)
		}
	}
	for _, c := range l.Certificates {
		s.Certificates = append(s.Certificates, aws.ToString(c.CertificateArn))
	}
	if len(l.AlpnPolicy) > 0 {
		s.ALPNPolicy = l.AlpnPolicy[0]
	}
	return s
}

func listenerMatches(have *ListenerState, want model.Listener, tgARN string) bool {
	if have.Protocol != want.Protocol || have.TargetGroupARN != tgARN {
		return false
	}
	if want.Protocol != "TLS" {
		return true
	}
	return have.SSLPolicy == want.SSLPolicy && slices.Equal(have.Certificates, want.Certificates) &&
		(want.ALPNPolicy == "" || have.ALPNPolicy == want.ALPNPolicy)
}

func listenerTLS(want model.Listener) ([]elbtypes.Certificate, *string, []string) {
	if want.Protocol != "TLS" {
		return nil, nil, nil
	}
	var certs []elbtypes.Certificate
	for _, c := range want.Certificates {
		certs = append(certs, elbtypes.Certificate{CertificateArn: aws.String(c)})
	}
	var alpn []string
	if want.ALPNPolicy != "" {
		alpn = []string{want.ALPNPolicy}
	}
	return certs, aws.String(want.SSLPolicy), alpn
}

// ensureListeners creates, modifies and deletes listeners so that each
// desired port forwards to its target group.
func (d *Deployer) ensureListeners(ctx context.Context, st *StackState, want []model.Listener, tgARNs map[string]string) error {
	lb := st.LoadBalancer
	byPort := map[int32]*ListenerState{}
	for _, l := range st.Listeners {
		byPort[l.Port] = l
	}
	wanted := map[int32]bool{}
	for _, w := range want {
		wanted[w.Port] = true
		tgARN := tgARNs[w.TargetGroupID]
		actions := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}}
		certs, policy, alpn := listenerTLS(w)
		have := byPort[w.Port]
		switch {
		case have == nil:
			out, err := d.elb.CreateListener(ctx, &elbv2.CreateListenerInput{
				LoadBalancerArn: aws.String(lb.ARN), Port: aws.Int32(w.Port), Protocol: elbtypes.ProtocolEnum(w.Protocol),
				DefaultActions: actions, Certificates: certs, SslPolicy: policy, AlpnPolicy: alpn, Tags: elbTags(w.Tags),
			})
			if err != nil {
				return fmt.Errorf("creating listener %d/%s on load balancer %s: %w", w.Port, w.Protocol, lb.Name, err)
			}
			st.Listeners = append(st.Listeners, listenerState(out.Listeners[0]))
			d.inv.setListenerTags(st.ID, aws.ToString(out.Listeners[0].ListenerArn), w.Tags)
		case !listenerMatches(have, w, tgARN):
			// Send only what changes: the port never does (it is the key).
			in := &elbv2.ModifyListenerInput{ListenerArn: aws.String(have.ARN), DefaultActions: actions,
				Certificates: certs, SslPolicy: policy, AlpnPolicy: alpn}
			if have.Protocol != w.Protocol {
				in.Protocol = elbtypes.ProtocolEnum(w.Protocol)
			}
			out, err := d.elb.ModifyListener(ctx, in)
			if err != nil {
				return fmt.Errorf("modifying listener %d on load balancer %s: %w", w.Port, lb.Name, err)
			}
			*have = *listenerState(out.Listeners[0])
		}
	}
	var kept []*ListenerState
	for _, l := range st.Listeners {
		if wanted[l.Port] {
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
