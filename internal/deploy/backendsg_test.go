package deploy

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// namedGroups holds security groups of one VPC by name, as AWS does: a
// second group of a name is refused.
type namedGroups struct {
	EC2 // calls the tests do not expect panic

	byName  map[string]ec2types.SecurityGroup
	created []string
}

func (f *namedGroups) CreateSecurityGroup(_ context.Context, in *ec2.CreateSecurityGroupInput, _ ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	name := aws.ToString(in.GroupName)
	if _, ok := f.byName[name]; ok {
		return nil, &smithy.GenericAPIError{Code: "InvalidGroup.Duplicate", Message: "the security group already exists"}
	}
	id := fmt.Sprintf("sg-%d", len(f.byName)+1)
	f.byName[name] = ec2types.SecurityGroup{GroupId: aws.String(id), GroupName: in.GroupName, Tags: in.TagSpecifications[0].Tags}
	f.created = append(f.created, name)
	return &ec2.CreateSecurityGroupOutput{GroupId: aws.String(id)}, nil
}

func (f *namedGroups) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	out := &ec2.DescribeSecurityGroupsOutput{}
	for _, flt := range in.Filters {
		if aws.ToString(flt.Name) == "group-name" {
			if sg, ok := f.byName[flt.Values[0]]; ok {
				out.SecurityGroups = append(out.SecurityGroups, sg)
			}
		}
	}
	return out, nil
}

func TestCreateBackendSG(t *testing.T) {
	const cluster, uid = "prod", "uid-a"
	lbcName, ownName := backendSGName(cluster, ""), backendSGName(cluster, uid)
	group := func(id string, tags map[string]string) ec2types.SecurityGroup {
		return ec2types.SecurityGroup{GroupId: aws.String(id), Tags: awsclient.EC2Tags(tags)}
	}
	backendTags := func(extra map[string]string) map[string]string {
		return model.MergeTags(map[string]string{model.TagCluster: cluster, model.TagResource: model.ResourceBackendSG}, extra)
	}
	for _, tc := range []struct {
		name     string
		existing map[string]ec2types.SecurityGroup
		wantName string // of the group the deployer uses
		created  []string
		err      bool
	}{
		{"LBC's name, with this cluster's identity", nil, lbcName, []string{lbcName}, false},
		{"LBC's name taken by another cluster of the name: a name of its own",
			map[string]ec2types.SecurityGroup{lbcName: group("sg-theirs", backendTags(map[string]string{model.TagClusterUID: "uid-b"}))},
			ownName, []string{ownName}, false},
		{"this cluster's, whose create answer was lost: taken as it is",
			map[string]ec2types.SecurityGroup{lbcName: group("sg-ours", backendTags(map[string]string{model.TagClusterUID: uid}))},
			lbcName, nil, false},
		{"LBC's: shared, as LBC does",
			map[string]ec2types.SecurityGroup{lbcName: group("sg-lbc", backendTags(nil))}, lbcName, nil, false},
		{"a group of that name that is no backend group: a name of its own",
			map[string]ec2types.SecurityGroup{lbcName: group("sg-other", map[string]string{"team": "x"})}, ownName, []string{ownName}, false},
		{"both names taken by another cluster",
			map[string]ec2types.SecurityGroup{lbcName: group("sg-1", backendTags(map[string]string{model.TagClusterUID: "uid-b"})),
				ownName: group("sg-2", backendTags(map[string]string{model.TagClusterUID: "uid-b"}))}, "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &namedGroups{byName: map[string]ec2types.SecurityGroup{}}
			for name, sg := range tc.existing {
				sg.GroupName = aws.String(name)
				f.byName[name] = sg
			}
			d := New(Deps{Config: Config{ClusterName: cluster, ClusterUID: uid, VPCID: "vpc-1"}, EC2: f})
			sg, err := d.createBackendSG(t.Context())
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if sg.Name != tc.wantName || sg.ID != aws.ToString(f.byName[tc.wantName].GroupId) {
				t.Errorf("uses %s (%s), want %s", sg.Name, sg.ID, tc.wantName)
			}
			if diff := cmp.Diff(tc.created, f.created); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			if len(tc.created) > 0 && sg.Tags[model.TagClusterUID] != uid {
				t.Errorf("created without identity: %v", sg.Tags)
			}
		})
	}
}

// TestBackendSGWithoutProofStays: the shared group LBC made, never recorded,
// is not deleted once kelb's last stack is gone; no AWS call is made (the
// fakes panic on any).
func TestBackendSGWithoutProofStays(t *testing.T) {
	d := New(Deps{Config: Config{ClusterName: "prod", ClusterUID: "uid-a"}, Record: fakeRecord{}})
	d.inv.backendSG = &SecurityGroupState{ID: "sg-lbc", Tags: map[string]string{model.TagResource: model.ResourceBackendSG}}
	if err := d.DeleteBackendSGIfUnused(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d.backendSGID() != "sg-lbc" {
		t.Error("the backend group left the inventory")
	}
}
