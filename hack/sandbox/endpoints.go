package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/internal/testenv"
	"github.com/kelb-dev/kelb/internal/vpcendpoint"
)

func init() { utilruntime.Must(v1alpha1.AddToScheme(clientgoscheme.Scheme)) }

// waitEndpoints waits until every VPCEndpoint is Ready or says why not
// (terminal), printing each state it passes through.
func waitEndpoints(ctx context.Context, c client.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := map[string]string{}
	for time.Now().Before(deadline) {
		var list v1alpha1.VPCEndpointList
		if err := c.List(ctx, &list); err != nil {
			return err
		}
		done := true
		for _, e := range list.Items {
			state := aws.ToString(e.Status.State)
			if state != "" && last[e.Name] != state {
				fmt.Printf("   VPCEndpoint %s/%s: %s\n", e.Namespace, e.Name, state)
				last[e.Name] = state
			}
			ready := vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionReady)
			done = done && ready != nil && (ready.Status == "True" || vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionTerminal) != nil)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not every VPCEndpoint settled within %s", timeout)
}

// reportEndpoints prints each VPCEndpoint as Kubernetes and AWS see it.
func reportEndpoints(ctx context.Context, c client.Client, w *testenv.World) error {
	var list v1alpha1.VPCEndpointList
	if err := c.List(ctx, &list); err != nil {
		return err
	}
	for _, e := range list.Items {
		ready := vpcendpoint.Find(e.Status.Conditions, vpcendpoint.ConditionReady)
		fmt.Printf("\nVPCEndpoint %s/%s -> %s, state %s", e.Namespace, e.Name, aws.ToString(e.Status.VPCEndpointID),
			aws.ToString(e.Status.State))
		if ready != nil {
			fmt.Printf(", Ready %s (%s: %s)", ready.Status, aws.ToString(ready.Reason), aws.ToString(ready.Message))
		}
		fmt.Println()
		if e.Status.VPCEndpointID == nil {
			continue
		}
		out, err := w.Clients.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{*e.Status.VPCEndpointID}})
		if err != nil || len(out.VpcEndpoints) == 0 {
			return fmt.Errorf("describing %s: %v", *e.Status.VPCEndpointID, err)
		}
		a := out.VpcEndpoints[0]
		fmt.Printf("  AWS: %s %s in %s, tags:", a.VpcEndpointType, aws.ToString(a.ServiceName), aws.ToString(a.VpcId))
		for _, t := range a.Tags {
			fmt.Printf(" %s=%s", aws.ToString(t.Key), aws.ToString(t.Value))
		}
		fmt.Println()
	}
	return nil
}
