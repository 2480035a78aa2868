package manager

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
)

// fakeVPCs answers DescribeVpcs from tagged VPCs, honouring one tag filter.
type fakeVPCs map[string]map[string]string // VPC id -> tags

func (f fakeVPCs) DescribeVpcs(_ context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	key, value := aws.ToString(in.Filters[0].Name)[len("tag:"):], in.Filters[0].Values[0]
	out := &ec2.DescribeVpcsOutput{}
	for _, id := range []string{"vpc-1", "vpc-2", "vpc-3"} {
		if tags, ok := f[id]; ok && tags[key] == value {
			out.Vpcs = append(out.Vpcs, ec2types.Vpc{VpcId: aws.String(id)})
		}
	}
	return out, nil
}

func TestVPCByTag(t *testing.T) {
	vpcs := fakeVPCs{"vpc-1": {"Name": "main"}, "vpc-2": {"Name": "twin", "env": "a"}, "vpc-3": {"Name": "twin"}}
	for _, tc := range []struct{ key, value, want, err string }{
		{key: "Name", value: "main", want: "vpc-1"},
		{key: "env", value: "a", want: "vpc-2"},
		{key: "Name", value: "none", err: "--aws-vpc-tags: no VPC is tagged Name=none"},
		{key: "Name", value: "twin", err: "--aws-vpc-tags: 2 VPCs are tagged Name=twin ([vpc-2 vpc-3]): set --aws-vpc-id"},
	} {
		got, err := vpcByTag(t.Context(), vpcs, tc.key, tc.value)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if diff := cmp.Diff([]string{tc.want, tc.err}, []string{got, gotErr}); diff != "" {
			t.Errorf("%s=%s (-want +got):\n%s", tc.key, tc.value, diff)
		}
	}
}
