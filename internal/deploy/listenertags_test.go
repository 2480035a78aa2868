package deploy

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/internal/model"
)

// taggedListeners holds the tags of listeners and records the calls.
type taggedListeners struct {
	ELBV2 // calls the tests do not expect panic

	tags  map[string]map[string]string
	calls []string
}

func (f *taggedListeners) DescribeTags(_ context.Context, in *elbv2.DescribeTagsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error) {
	f.calls = append(f.calls, "DescribeTags")
	out := &elbv2.DescribeTagsOutput{}
	for _, arn := range in.ResourceArns {
		out.TagDescriptions = append(out.TagDescriptions, elbtypes.TagDescription{ResourceArn: aws.String(arn),
			Tags: elbTags(f.tags[arn])})
	}
	return out, nil
}

func (f *taggedListeners) AddTags(_ context.Context, in *elbv2.AddTagsInput, _ ...func(*elbv2.Options)) (*elbv2.AddTagsOutput, error) {
	f.calls = append(f.calls, "AddTags")
	for _, arn := range in.ResourceArns {
		if f.tags[arn] == nil {
			f.tags[arn] = map[string]string{}
		}
		for _, t := range in.Tags {
			f.tags[arn][aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return &elbv2.AddTagsOutput{}, nil
}

func (f *taggedListeners) RemoveTags(_ context.Context, in *elbv2.RemoveTagsInput, _ ...func(*elbv2.Options)) (*elbv2.RemoveTagsOutput, error) {
	f.calls = append(f.calls, "RemoveTags")
	for _, arn := range in.ResourceArns {
		for _, k := range in.TagKeys {
			delete(f.tags[arn], k)
		}
	}
	return &elbv2.RemoveTagsOutput{}, nil
}

// TestListenerTags: a listener LBC tagged needs no write; one kelb made
// before it tagged listeners gets its tags once; tags are read once per
// start, then known from kelb's writes; tags others put there stay, a key
// the user's annotation dropped goes.
func TestListenerTags(t *testing.T) {
	const arn = "arn:listener/80"
	lbcTags := map[string]string{model.TagCluster: "prod", model.TagServiceStack: "shop/web",
		model.TagServiceResource: "80", "team": "net"}
	tests := []struct {
		name     string
		have     map[string]string // in AWS; nil: untagged
		known    bool              // kelb knows them already (it wrote them)
		want     map[string]string
		policy   model.TagPolicy
		calls    []string // of the first deploy; a second makes none
		tagsThen map[string]string
	}{
		{"LBC's listener: read once, no write", lbcTags, false, lbcTags, model.TagPolicy{OnlyRemovable: true},
			[]string{"DescribeTags"}, lbcTags},
		{"kelb's listener from before: tagged once", nil, false, lbcTags, model.TagPolicy{OnlyRemovable: true},
			[]string{"DescribeTags", "AddTags"}, lbcTags},
		{"known from kelb's own create: no call", lbcTags, true, lbcTags, model.TagPolicy{OnlyRemovable: true}, nil, lbcTags},
		{"another tool's tag stays; a dropped annotation key goes",
			model.MergeTags(lbcTags, map[string]string{"cost": "1", "owner": "finops"}), false, lbcTags,
			model.TagPolicy{OnlyRemovable: true, Removable: map[string]bool{"cost": true}},
			[]string{"DescribeTags", "RemoveTags"}, model.MergeTags(lbcTags, map[string]string{"owner": "finops"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &taggedListeners{tags: map[string]map[string]string{}}
			if tt.have != nil {
				f.tags[arn] = model.MergeTags(tt.have)
			}
			d := New(Deps{Config: Config{ClusterName: "prod"}, ELBV2: f})
			if tt.known {
				d.inv.setListenerTags(svcStack("shop/web"), arn, tt.have)
			}
			st := &StackState{ID: svcStack("shop/web"), Listeners: []*ListenerState{{ARN: arn, Port: 80, Protocol: "TCP"}}}
			want := []model.Listener{{Port: 80, Protocol: "TCP", Tags: tt.want}}
			if err := d.ensureListenerTags(t.Context(), st, want, tt.policy); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.calls, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.tagsThen, f.tags[arn]); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			f.calls = nil
			if err := d.ensureListenerTags(t.Context(), st, want, tt.policy); err != nil {
				t.Fatal(err)
			}
			if len(f.calls) != 0 {
				t.Errorf("a second deploy called %v", f.calls)
			}
		})
	}
}

// TestListenerTagsForgotten: the tags of listeners that are gone are not
// kept.
func TestListenerTagsForgotten(t *testing.T) {
	d := New(Deps{Config: Config{ClusterName: "prod"}})
	d.inv.setListenerTags(svcStack("shop/web"), "arn:80", map[string]string{"a": "b"})
	d.inv.setListenerTags(svcStack("shop/web"), "arn:443", map[string]string{"a": "b"})
	d.inv.keepListenerTags(svcStack("shop/web"), []*ListenerState{{ARN: "arn:443"}})
	if diff := cmp.Diff(map[string]map[string]string{"arn:443": {"a": "b"}}, d.inv.listenerTagsOf(svcStack("shop/web"))); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	d.inv.keepListenerTags(svcStack("shop/web"), nil)
	if len(d.inv.listenerTags) != 0 {
		t.Errorf("left %v", d.inv.listenerTags)
	}
}
