package deploy

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/kelb-dev/kelb/internal/model"
)

// fakeEC2 holds security groups and their inbound rules as AWS does: an
// authorize that names one existing rule is refused as a whole.
type fakeEC2 struct {
	EC2 // calls the tests do not expect panic

	mu     sync.Mutex
	groups map[string][]model.Rule
	calls  []string
}

func newFakeEC2(groups map[string][]model.Rule) *fakeEC2 { return &fakeEC2{groups: groups} }

func (f *fakeEC2) record(action string) {
	f.calls = append(f.calls, action)
}

func (f *fakeEC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DescribeSecurityGroups")
	out := &ec2.DescribeSecurityGroupsOutput{}
	for _, id := range in.GroupIds {
		rules, ok := f.groups[id]
		if !ok {
			continue
		}
		out.SecurityGroups = append(out.SecurityGroups, ec2types.SecurityGroup{GroupId: aws.String(id),
			IpPermissions: permissions(rules)})
	}
	return out, nil
}

func (f *fakeEC2) AuthorizeSecurityGroupIngress(_ context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("AuthorizeSecurityGroupIngress")
	id := aws.ToString(in.GroupId)
	have := ruleSet(f.groups[id])
	adding := rulesFromPermissions(in.IpPermissions)
	for _, r := range adding {
		if have[keyOf(r)] {
			return nil, &smithy.GenericAPIError{Code: "InvalidPermission.Duplicate", Message: "the specified rule already exists"}
		}
	}
	f.groups[id] = append(f.groups[id], adding...)
	return &ec2.AuthorizeSecurityGroupIngressOutput{}, nil
}

func (f *fakeEC2) RevokeSecurityGroupIngress(_ context.Context, in *ec2.RevokeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RevokeSecurityGroupIngress")
	id := aws.ToString(in.GroupId)
	gone := ruleSet(rulesFromPermissions(in.IpPermissions))
	var kept []model.Rule
	for _, r := range f.groups[id] {
		if !gone[keyOf(r)] {
			kept = append(kept, r)
		}
	}
	f.groups[id] = kept
	return &ec2.RevokeSecurityGroupIngressOutput{}, nil
}
