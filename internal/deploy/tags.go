package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

func elbTags(tags map[string]string) []elbtypes.Tag {
	out := make([]elbtypes.Tag, 0, len(tags))
	for _, k := range sortedKeys(tags) {
		out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// createTags are the tags a resource is created with: the desired ones plus
// this cluster's identity, which only creation sets (model.TagDiff never
// adds, changes or removes it).
func (d *Deployer) createTags(want map[string]string) map[string]string {
	out := model.MergeTags(want)
	delete(out, model.TagClusterUID)
	if d.cfg.ClusterUID != "" {
		out[model.TagClusterUID] = d.cfg.ClusterUID
	}
	return out
}

// ensureELBTags changes the tags of a load balancer or target group as the
// policy allows and returns the tags it has then.
func (d *Deployer) ensureELBTags(ctx context.Context, arn string, have, want map[string]string, p model.TagPolicy) (map[string]string, error) {
	add, remove := model.TagDiff(have, want, p)
	if len(add) > 0 {
		if _, err := d.elb.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: []string{arn}, Tags: elbTags(add)}); err != nil {
			return nil, fmt.Errorf("tagging %s: %w", arn, err)
		}
	}
	if len(remove) > 0 {
		if _, err := d.elb.RemoveTags(ctx, &elbv2.RemoveTagsInput{ResourceArns: []string{arn}, TagKeys: remove}); err != nil {
			return nil, fmt.Errorf("untagging %s: %w", arn, err)
		}
	}
	return model.ApplyTagDiff(have, add, remove), nil
}

// ensureAttributes makes the wanted attributes hold: it reads the current
// ones (once; *have caches them), diffs, and writes only the changes.
// Attributes nobody asked for are left as AWS has them.
func ensureAttributes(have *map[string]string, want map[string]string,
	read func() (map[string]string, error), write func(changes map[string]string) error) error {
	if len(want) == 0 {
		return nil
	}
	if *have == nil {
		current, err := read()
		if err != nil {
			return err
		}
		*have = current
	}
	changes := attributeChanges(*have, want)
	if len(changes) == 0 {
		return nil
	}
	if err := write(changes); err != nil {
		return err
	}
	for k, v := range changes {
		(*have)[k] = v
	}
	return nil
}

// attributeChanges returns the desired attributes whose value differs.
// Attributes nobody asked for are left as they are.
func attributeChanges(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if have[k] != v {
			out[k] = v
		}
	}
	return out
}
