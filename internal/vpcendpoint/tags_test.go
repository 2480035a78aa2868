package vpcendpoint

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

func TestTags(t *testing.T) {
	ep := &v1alpha1.VPCEndpoint{Spec: v1alpha1.VPCEndpointSpec{Tags: []*v1alpha1.Tag{
		{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String(TagNamespace), Value: aws.String("spoofed")}}}}
	ep.Namespace, ep.Name = "apps", "s3"
	got := Tags(ep, "prod", map[string]string{"team": "default", "cost": "1"})
	want := map[string]string{"team": "data", "cost": "1", TagNamespace: "apps", TagController: "kelb",
		TagResource: "apps/s3", model.TagCluster: "prod"}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	user := UserTags(awsclient.EC2Tags(got))
	if len(user) != 2 { // cost and team; kelb's own are not the user's
		t.Errorf("user tags %v", user)
	}
	if u := UserTags([]ec2types.Tag{{Key: aws.String("aws:cloudformation:stack-id"), Value: aws.String("x")}}); len(u) != 0 {
		t.Errorf("aws: tags are not the user's: %v", u)
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
}
