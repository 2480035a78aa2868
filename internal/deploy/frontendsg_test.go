package deploy

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// taggedGroup is a security group with tags and a VPC, as a fresh read
// returns it.
type taggedGroup struct {
	tags  map[string]string
	vpc   string
	rules []model.Rule
}

// taggedGroups serves DescribeSecurityGroups by id and records revokes.
type taggedGroups struct {
	EC2 // calls the tests do not expect panic

	groups  map[string]*taggedGroup
	revoked []model.Rule
}

func (f *taggedGroups) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	out := &ec2.DescribeSecurityGroupsOutput{}
	for _, id := range in.GroupIds {
		if g, ok := f.groups[id]; ok {
			out.SecurityGroups = append(out.SecurityGroups, ec2types.SecurityGroup{GroupId: aws.String(id),
				VpcId: aws.String(g.vpc), Tags: awsclient.EC2Tags(g.tags), IpPermissions: permissions(g.rules)})
		}
	}
	return out, nil
}

func (f *taggedGroups) RevokeSecurityGroupIngress(_ context.Context, in *ec2.RevokeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	f.revoked = append(f.revoked, rulesFromPermissions(in.IpPermissions)...)
	return &ec2.RevokeSecurityGroupIngressOutput{}, nil
}

// TestFrontendRulesAreTheGroups: in the managed frontend group every rule
// no longer wanted is revoked, whatever its description (LBC's have none,
// kelb's before had its own, a hand-made one may have any), once a fresh
// read proves the group is the stack's managed group in this cluster and
// VPC. Anything else, and a group with nothing to revoke, is left alone.
func TestFrontendRulesAreTheGroups(t *testing.T) {
	const stack = "shop/web"
	tcp := func(port int32, cidr, desc string) model.Rule {
		return model.Rule{Protocol: "tcp", FromPort: port, ToPort: port, CIDR: cidr, Description: desc}
	}
	managed := map[string]string{model.TagCluster: "prod", model.TagServiceStack: stack,
		model.TagServiceResource: model.ResourceManagedLBSG}
	with := func(k, v string) map[string]string { return model.MergeTags(managed, map[string]string{k: v}) }
	want := []model.Rule{tcp(443, "0.0.0.0/0", "")}
	rules := []model.Rule{tcp(443, "0.0.0.0/0", ""), tcp(80, "0.0.0.0/0", ""),
		tcp(8080, "10.0.0.0/8", "kelb: load balancer listener"), tcp(22, "192.0.2.0/24", "added by hand")}
	tests := []struct {
		name  string
		group *taggedGroup
		// seen are the group's rules as the inventory knows them (nil: rules)
		seen    []model.Rule
		revoked []model.Rule
	}{
		{"LBC's group: every rule not wanted goes", &taggedGroup{managed, "vpc-1", rules}, nil, rules[1:]},
		{"kelb's group, with its identity", &taggedGroup{with(model.TagClusterUID, "uid-a"), "vpc-1", rules}, nil, rules[1:]},
		{"a rule added since the bulk load goes too", &taggedGroup{managed, "vpc-1", rules}, rules[:2], rules[1:]},
		{"nothing to revoke", nil, want, nil},
		{"now tagged for another stack", &taggedGroup{with(model.TagServiceStack, "shop/other"), "vpc-1", rules}, nil, nil},
		{"now tagged as another resource", &taggedGroup{with(model.TagServiceResource, "LoadBalancer"), "vpc-1", rules}, nil, nil},
		{"another cluster of the same name", &taggedGroup{with(model.TagClusterUID, "uid-b"), "vpc-1", rules}, nil, nil},
		{"another cluster name", &taggedGroup{with(model.TagCluster, "staging"), "vpc-1", rules}, nil, nil},
		{"another VPC", &taggedGroup{managed, "vpc-2", rules}, nil, nil},
		{"gone meanwhile", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &taggedGroups{groups: map[string]*taggedGroup{}}
			if tt.group != nil {
				f.groups["sg-front"] = tt.group
			}
			d := New(Deps{Config: Config{ClusterName: "prod", ClusterUID: "uid-a", VPCID: "vpc-1"}, EC2: f})
			seen := tt.seen
			if seen == nil {
				seen = rules
			}
			st := &StackState{ID: svcStack(stack), FrontendSG: &SecurityGroupState{ID: "sg-front", Tags: managed, Ingress: seen}}
			if err := d.revokeFrontendRules(t.Context(), st, want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.revoked, f.revoked); diff != "" {
				t.Errorf("revoked (-want +got):\n%s", diff)
			}
		})
	}
}
