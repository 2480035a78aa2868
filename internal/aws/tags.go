package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/internal/model"
)

// EC2Tags returns tags in the EC2 SDK's form, sorted by key.
func EC2Tags(m map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// EC2TagMap returns EC2 tags as a map.
func EC2TagMap(tags []ec2types.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// EC2Tagger is the part of the EC2 API that changes tags.
type EC2Tagger interface {
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(context.Context, *ec2.DeleteTagsInput, ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// UpdateEC2Tags changes the tags of an EC2 resource from have to want as
// the policy allows: one call to set what differs, one to remove what may
// go. It returns the tags the resource has then.
func UpdateEC2Tags(ctx context.Context, api EC2Tagger, id string, have, want map[string]string, p model.TagPolicy) (map[string]string, error) {
	add, remove := model.TagDiff(have, want, p)
	if len(add) > 0 {
		if _, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: EC2Tags(add)}); err != nil {
			return nil, fmt.Errorf("tagging %s: %w", id, err)
		}
	}
	if len(remove) > 0 {
		keys := make([]ec2types.Tag, 0, len(remove))
		for _, k := range remove {
			keys = append(keys, ec2types.Tag{Key: aws.String(k)})
		}
		if _, err := api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: keys}); err != nil {
			return nil, fmt.Errorf("untagging %s: %w", id, err)
		}
	}
	return model.ApplyTagDiff(have, add, remove), nil
}
