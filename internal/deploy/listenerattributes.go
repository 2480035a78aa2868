package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// ensureListenerAttributes sets the listener attributes the Service asks
// for. A listener's attributes are read only when some are wanted and
// they are unknown (new listener, or re-read on the drift period), so
// Services without them cost no call.
func (d *Deployer) ensureListenerAttributes(ctx context.Context, st *StackState, want []model.Listener) error {
	byPort := map[int32]*ListenerState{}
	for _, l := range st.Listeners {
		byPort[l.Port] = l
	}
	for _, w := range want {
		have := byPort[w.Port]
		if have == nil || len(w.Attributes) == 0 {
			continue
		}
		arn := aws.String(have.ARN)
		err := ensureAttributes(&have.Attributes, w.Attributes, func() (map[string]string, error) {
			out, err := d.elb.DescribeListenerAttributes(ctx, &elbv2.DescribeListenerAttributesInput{ListenerArn: arn})
			if err != nil {
				return nil, fmt.Errorf("reading attributes of listener %d of load balancer %s: %w",
					w.Port, st.LoadBalancer.Name, err)
			}
			m := map[string]string{}
			for _, a := range out.Attributes {
				m[aws.ToString(a.Key)] = aws.ToString(a.Value)
			}
			return m, nil
		}, func(changes map[string]string) error {
			var attrs []elbtypes.ListenerAttribute
			for _, k := range sortedKeys(changes) {
				attrs = append(attrs, elbtypes.ListenerAttribute{Key: aws.String(k), Value: aws.String(changes[k])})
			}
			if _, err := d.elb.ModifyListenerAttributes(ctx, &elbv2.ModifyListenerAttributesInput{
				ListenerArn: arn, Attributes: attrs}); err != nil {
				return fmt.Errorf("modifying attributes of listener %d of load balancer %s: %w",
					w.Port, st.LoadBalancer.Name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
