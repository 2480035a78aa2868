package vpcendpoint

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

func TestTags(t *testing.T) {
	ep := &v1alpha1.VPCEndpoint{Spec: v1alpha1.VPCEndpointSpec{Tags: []*v1alpha1.Tag{
		{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String(TagNamespace), Value: aws.String("spoofed")}}}}
	ep.Namespace, ep.Name = "apps", "s3"
	got := Tags(ep, prod, map[string]string{"team": "default", "cost": "1"})
	want := map[string]string{"team": "data", "cost": "1", TagNamespace: "apps", TagController: "kelb",
		TagName: "s3", TagCluster: "prod", TagClusterUID: "uid-prod"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	user := UserTags(awsclient.EC2Tags(got))
	if diff := cmp.Diff([]*v1alpha1.Tag{{Key: aws.String("cost"), Value: aws.String("1")},
		{Key: aws.String("team"), Value: aws.String("data")}}, user); diff != "" {
		t.Errorf("user tags (-want +got):\n%s", diff)
	}
	if u := UserTags([]ec2types.Tag{{Key: aws.String("aws:cloudformation:stack-id"), Value: aws.String("x")}}); len(u) != 0 {
		t.Errorf("aws: tags are not the user's: %v", u)
	}
}

// TestTagsUnderACKPrefix: every tag kelb adds is under ACK's system
// prefix, so a comparison of AWS's tags with the spec that leaves the
// prefix out sees exactly the user's tags.
func TestTagsUnderACKPrefix(t *testing.T) {
	ep := &v1alpha1.VPCEndpoint{Spec: v1alpha1.VPCEndpointSpec{Tags: []*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("data")}}}}
	ep.Namespace, ep.Name = "apps", "s3"
	seen := map[string]string{}
	for k, v := range Tags(ep, prod, nil) {
		if !strings.HasPrefix(k, SystemTagPrefix) {
			seen[k] = v
		}
	}
	for k, v := range RetainedTags(Tags(ep, prod, nil), "apps", "s3") {
		if !strings.HasPrefix(k, SystemTagPrefix) && seen[k] != v {
			t.Errorf("retained endpoint: tag %s=%s outside %s", k, v, SystemTagPrefix)
		}
	}
	if diff := cmp.Diff(map[string]string{"team": "data"}, seen); diff != "" {
		t.Errorf("tags outside %s (-want +got):\n%s", SystemTagPrefix, diff)
	}
}

// TestTagsMigrate: an endpoint an earlier kelb tagged gets the current keys
// and loses the old ones in one tag update.
func TestTagsMigrate(t *testing.T) {
	ep := &v1alpha1.VPCEndpoint{}
	ep.Namespace, ep.Name = "apps", "s3"
	have := map[string]string{TagController: "kelb", TagNamespace: "apps", LegacyTagResource: "apps/s3",
		LegacyTagCluster: "prod", "team": "data"}
	ep.Spec.Tags = []*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("data")}}
	add, remove := model.TagDiff(have, Tags(ep, prod, nil), model.TagPolicy{})
	if diff := cmp.Diff([]any{map[string]string{TagName: "s3", TagCluster: "prod", TagClusterUID: "uid-prod"},
		[]string{LegacyTagResource, LegacyTagCluster}}, []any{add, remove}); diff != "" {
		t.Errorf("migration (-want +got):\n%s", diff)
	}
}

func TestSpecFrom(t *testing.T) {
	obs := observed()
	obs.VpcId, obs.VpcEndpointType = aws.String("vpc-1"), "Interface"
	s := SpecFrom(obs, v1alpha1.VPCEndpointSpec{ServiceName: aws.String("com.amazonaws.us-west-2.s3")})
	if len(s.SubnetIDs) != 2 || len(s.SecurityGroupIDs) != 1 || s.VPCID != nil || s.VPCEndpointType != nil ||
		aws.ToString(s.IPAddressType) != "ipv4" || len(s.Tags) != 1 {
		t.Errorf("%+v", s)
	}
	if c := Diff(&s, obs, map[string]string{"team": "data"}); !c.Empty() {
		t.Errorf("an adopted spec differs from what it was taken from: %v", c.Fields)
	}
	refs := v1alpha1.VPCEndpointSpec{ServiceName: aws.String("com.amazonaws.us-west-2.s3"),
		SubnetRefs: []*v1alpha1.AWSResourceReferenceWrapper{{From: &v1alpha1.AWSResourceReference{Name: aws.String("a")}}}}
	if s := SpecFrom(obs, refs); s.SubnetIDs != nil || len(s.SubnetRefs) != 1 || len(s.SecurityGroupIDs) != 1 {
		t.Errorf("an adopted spec with references: ids %v refs %v", s.SubnetIDs, s.SubnetRefs)
	}
}
