package deploy

import (
	"context"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// Listener tags are LBC's: the cluster, stack and resource (the port) tags
// plus the user's. The bulk load cannot see them (the tagging API does not
// list listeners), so kelb reads a stack's listener tags once, the first
// time it deploys the stack after a start (one DescribeTags for up to 20
// listeners), and from then on knows them from its own writes. A listener
// LBC made carries the desired tags already and gets no write; one kelb made
// before it tagged listeners gets its tags once.

// describeTagsBatch is the most ARNs one DescribeTags call takes.
const describeTagsBatch = 20

// listenerTagsOf returns a copy of the stack's known listener tags by ARN.
func (inv *Inventory) listenerTagsOf(stack model.StackID) map[string]map[string]string {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	out := map[string]map[string]string{}
	for arn, tags := range inv.listenerTags[stack] {
		out[arn] = maps.Clone(tags)
	}
	return out
}

// setListenerTags records the tags a listener of the stack has now.
func (inv *Inventory) setListenerTags(stack model.StackID, arn string, tags map[string]string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.listenerTags == nil {
		inv.listenerTags = map[model.StackID]map[string]map[string]string{}
	}
	if inv.listenerTags[stack] == nil {
		inv.listenerTags[stack] = map[string]map[string]string{}
	}
	inv.listenerTags[stack][arn] = maps.Clone(tags)
}

// keepListenerTags forgets the tags of the stack's listeners that are gone.
func (inv *Inventory) keepListenerTags(stack model.StackID, listeners []*ListenerState) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	known := inv.listenerTags[stack]
	for arn := range known {
		found := false
		for _, l := range listeners {
			found = found || l.ARN == arn
		}
		if !found {
			delete(known, arn)
		}
	}
	if len(known) == 0 {
		delete(inv.listenerTags, stack)
	}
}

// ensureListenerTags gives every desired listener its desired tags, as the
// stack's tag policy allows, reading the tags it does not know yet first.
func (d *Deployer) ensureListenerTags(ctx context.Context, st *StackState, want []model.Listener, p model.TagPolicy) error {
	d.inv.keepListenerTags(st.ID, st.Listeners)
	known := d.inv.listenerTagsOf(st.ID)
	var unknown []string
	for _, l := range st.Listeners {
		if _, ok := known[l.ARN]; !ok {
			unknown = append(unknown, l.ARN)
		}
	}
	read, err := d.describeListenerTags(ctx, unknown)
	if awsclient.IsNotFound(err) {
		st.ListenersKnown = false // a listener went meanwhile: read them again next time
	}
	if err != nil {
		return err
	}
	for arn, tags := range read {
		d.inv.setListenerTags(st.ID, arn, tags)
		known[arn] = tags
	}
	byPort := map[int32]*ListenerState{}
	for _, l := range st.Listeners {
		byPort[l.Port] = l
	}
	for _, w := range want {
		have := byPort[w.Port]
		if have == nil {
			continue
		}
		tags, err := d.ensureELBTags(ctx, have.ARN, known[have.ARN], w.Tags, p)
		if err != nil {
			return fmt.Errorf("listener %d: %w", w.Port, err)
		}
		d.inv.setListenerTags(st.ID, have.ARN, tags)
	}
	return nil
}

// describeListenerTags reads the tags of listeners, 20 a call. A listener
// without tags gets an empty map.
func (d *Deployer) describeListenerTags(ctx context.Context, arns []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for start := 0; start < len(arns); start += describeTagsBatch {
		batch := arns[start:min(start+describeTagsBatch, len(arns))]
		resp, err := d.elb.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: batch})
		if err != nil {
			return nil, fmt.Errorf("describing tags of %d listeners: %w", len(batch), err)
		}
		for _, arn := range batch {
			out[arn] = map[string]string{}
		}
		for _, td := range resp.TagDescriptions {
			tags := map[string]string{}
			for _, t := range td.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			out[aws.ToString(td.ResourceArn)] = tags
		}
	}
	return out, nil
}
