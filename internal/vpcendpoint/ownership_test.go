package vpcendpoint

import (
	"errors"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/conditions"
	"github.com/kelb-dev/kelb/internal/model"
)

func with(tags map[string]string, extra map[string]string) map[string]string {
	out := maps.Clone(tags)
	maps.Copy(out, extra)
	return out
}

var prod = Cluster{Name: "prod", UID: "uid-prod"}

func TestOwnershipOf(t *testing.T) {
	own := OwnerTags("apps", "s3", prod)
	legacy := map[string]string{TagController: "kelb", TagNamespace: "apps", LegacyTagResource: "apps/s3",
		LegacyTagCluster: "prod"}
	const ownWhy = `its tags services.k8s.aws/namespace=apps and services.k8s.aws/name=s3 and ` +
		`services.k8s.aws/cluster="prod" and services.k8s.aws/cluster-uid="uid-prod" name this object`
	tests := []struct {
		name string
		tags map[string]string
		want Ownership
	}{
		{"kelb's owner tags for this object", own, Ownership{OwnerThis, ownWhy}},
		{"marked retained, owner tag not yet removed", with(own, map[string]string{TagRetainedFrom: "apps/s3"}),
			Ownership{OwnerThis, ownWhy}},
		{"an earlier kelb's tags for this object", legacy, Ownership{OwnerThis,
			`its tags ec2.services.k8s.aws/vpcendpoint=apps/s3 and elbv2.k8s.aws/cluster="prod" name this object`}},
		{"half migrated: both sets", with(legacy, own), Ownership{OwnerThis, ownWhy}},
		{"an earlier kelb's tags of another cluster", with(legacy, map[string]string{LegacyTagCluster: "staging"}),
			Ownership{OwnerOther, `its tags elbv2.k8s.aws/cluster="staging" say it is another cluster's`}},
		{"another object's", OwnerTags("apps", "other", prod), Ownership{OwnerOther,
			"its tags services.k8s.aws/namespace=apps and services.k8s.aws/name=other say it is another object's, apps/other"}},
		{"an object of another namespace", OwnerTags("web", "s3", prod), Ownership{OwnerOther,
			"its tags services.k8s.aws/namespace=web and services.k8s.aws/name=s3 say it is another object's, web/s3"}},
		{"an object of the same name in another cluster", OwnerTags("apps", "s3", Cluster{Name: "staging", UID: "uid-staging"}),
			Ownership{OwnerOther, `its tags services.k8s.aws/cluster="staging" and services.k8s.aws/cluster-uid="uid-staging" say it is another cluster's`}},
		{"another cluster of the same name", OwnerTags("apps", "s3", Cluster{Name: "prod", UID: "uid-other"}),
			Ownership{OwnerOther, `its tags services.k8s.aws/cluster="prod" and services.k8s.aws/cluster-uid="uid-other" say it is another cluster's`}},
		{"owner tags without a cluster tag (ACK told to tag names)", map[string]string{TagController: "ec2-v1.4.3",
			TagNamespace: "apps", TagName: "s3"}, Ownership{OwnerNamespace,
			"its tags services.k8s.aws/controller-version=ec2-v1.4.3 and services.k8s.aws/namespace=apps say it was made for this namespace"}},
		{"retained by this object", RetainedTags(own, "apps", "s3"),
			Ownership{OwnerRetainedByThis, "its tag services.k8s.aws/retained-from=apps/s3 says this object left it in AWS"}},
		{"retained by this object, an earlier kelb's mark", map[string]string{LegacyTagRetainedFrom: "apps/s3", LegacyTagCluster: "prod"},
			Ownership{OwnerRetainedByThis, "its tag ec2.services.k8s.aws/retained-from=apps/s3 says this object left it in AWS"}},
		{"retained by another object", RetainedTags(OwnerTags("apps", "old", prod), "apps", "old"),
			Ownership{OwnerRetained, "its tag services.k8s.aws/retained-from=apps/old says apps/old left it in AWS (deletion policy retain)"}},
		{"retained by an object of the same name in another cluster", RetainedTags(OwnerTags("apps", "s3", Cluster{Name: "staging"}), "apps", "s3"),
			Ownership{OwnerRetained, "its tag services.k8s.aws/retained-from=apps/s3 says apps/s3 left it in AWS (deletion policy retain)"}},
		{"made by ACK for this namespace", map[string]string{TagController: "ec2-v1.2.3", TagNamespace: "apps", "team": "data"},
			Ownership{OwnerNamespace, "its tags services.k8s.aws/controller-version=ec2-v1.2.3 and services.k8s.aws/namespace=apps say it was made for this namespace"}},
		{"made by ACK for another namespace", map[string]string{TagController: "ec2-v1.2.3", TagNamespace: "web"},
			Ownership{OwnerUnknown, "it has no services.k8s.aws/name and services.k8s.aws/cluster tags naming this object"}},
		{"kelb's tags of another cluster without an owner tag", map[string]string{TagController: "kelb", TagNamespace: "apps", TagCluster: "staging"},
			Ownership{OwnerOther, "its cluster tags say it is another cluster's"}},
		{"made by hand", map[string]string{"owner": "terraform"},
			Ownership{OwnerUnknown, "it has no services.k8s.aws/name and services.k8s.aws/cluster tags naming this object"}},
		{"no tags", nil, Ownership{OwnerUnknown, "it has no services.k8s.aws/name and services.k8s.aws/cluster tags naming this object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, OwnershipOf(tt.tags, "apps", "s3", prod)); diff != "" {
				t.Errorf("ownership (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnedBy(t *testing.T) {
	type owned struct {
		Namespace, Name string
		OK              bool
	}
	tests := []struct {
		name string
		tags map[string]string
		want owned
	}{
		{"kelb's", OwnerTags("apps", "s3", prod), owned{"apps", "s3", true}},
		{"an earlier kelb's", map[string]string{LegacyTagResource: "apps/s3", LegacyTagCluster: "prod"}, owned{"apps", "s3", true}},
		{"another cluster's of the same name", OwnerTags("apps", "s3", Cluster{Name: "prod", UID: "x"}), owned{}},
		{"retained", RetainedTags(OwnerTags("apps", "s3", prod), "apps", "s3"), owned{}},
		{"ACK's", map[string]string{TagController: "ec2-v1.4.3", TagNamespace: "apps"}, owned{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, name, ok := OwnedBy(tt.tags, prod)
			if diff := cmp.Diff(tt.want, owned{ns, name, ok}); diff != "" {
				t.Errorf("owner (-want +got):\n%s", diff)
			}
		})
	}
}

// refusal names the kind of a MayManage error.
func refusal(err error) string {
	var notOwned *NotOwnedError
	switch {
	case err == nil:
		return "managed"
	case conditions.IsTerminal(err) && !errors.As(err, &notOwned):
		return "invalid adoption"
	case errors.As(err, &notOwned):
		return "not owned"
	}
	return err.Error()
}

func TestMayManage(t *testing.T) {
	tests := []struct {
		owner    Owner
		explicit bool
		want     string
	}{
		{OwnerThis, false, "managed"},
		{OwnerThis, true, "managed"},
		{OwnerNamespace, false, "managed"},
		{OwnerOther, false, "not owned"},
		{OwnerOther, true, "invalid adoption"},
		{OwnerRetainedByThis, false, "not owned"},
		{OwnerRetainedByThis, true, "managed"},
		{OwnerRetained, false, "not owned"},
		{OwnerRetained, true, "managed"},
		{OwnerUnknown, false, "not owned"},
		{OwnerUnknown, true, "managed"},
	}
	var got, want []string
	for _, tt := range tests {
		err := MayManage(Ownership{Owner: tt.owner, Why: "why"}, "vpce-1", tt.explicit)
		got = append(got, refusal(err))
		want = append(want, tt.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions in table order (-want +got):\n%s", diff)
	}
	err := MayManage(Ownership{OwnerUnknown, "it has no tag"}, "vpce-1", false)
	if diff := cmp.Diff("VPC endpoint vpce-1 is not this object's (it has no tag); to take it, set "+
		"services.k8s.aws/adoption-policy: adopt with services.k8s.aws/adoption-fields naming it", err.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

func TestFinalize(t *testing.T) {
	state := func(s string) *ec2types.VpcEndpoint {
		return &ec2types.VpcEndpoint{VpcEndpointId: aws.String("vpce-1"), State: ec2types.State(s)}
	}
	del, keep, readOnly := Policy{Deletion: DeletionDelete}, Policy{Deletion: DeletionRetain},
		Policy{Deletion: DeletionRetain, ReadOnly: true}
	own, retained := Ownership{Owner: OwnerThis}, Ownership{Owner: OwnerRetainedByThis}
	tests := []struct {
		name  string
		pol   Policy
		obs   *ec2types.VpcEndpoint
		o     Ownership
		want  Finalization
		fresh bool
	}{
		{"own, delete", del, state("available"), own, Finalization{Step: StepDelete}, true},
		{"own, being deleted", del, state("deleting"), own, Finalization{Step: StepWait}, false},
		{"own, gone", del, nil, Ownership{}, Finalization{Step: StepGone}, false},
		{"own, listed as deleted", del, state("deleted"), own, Finalization{Step: StepGone}, false},
		{"own, retain", keep, state("available"), own, Finalization{Step: StepRetain}, true},
		{"own, retain, already being deleted", keep, state("deleting"), own, Finalization{Step: StepWait}, false},
		{"retained before a crash", keep, state("available"), retained, Finalization{Step: StepRetained}, true},
		{"retained before a crash, policy since changed to delete", del, state("available"), retained,
			Finalization{Step: StepRetained}, true},
		{"read-only never deletes", readOnly, state("available"), own,
			Finalization{Step: StepLeave, Why: "the object is read-only"}, true},
		{"another object's", del, state("available"), Ownership{OwnerOther, "tagged for apps/other"},
			Finalization{Step: StepLeave, Why: "tagged for apps/other", Warn: true}, true},
		{"another object's, being deleted", del, state("deleting"), Ownership{OwnerOther, "tagged for apps/other"},
			Finalization{Step: StepLeave, Why: "tagged for apps/other", Warn: true}, true},
		{"made by hand", del, state("available"), Ownership{OwnerUnknown, "no tag"},
			Finalization{Step: StepLeave, Why: "no tag", Warn: true}, true},
		{"made by ACK, never taken over", del, state("available"), Ownership{OwnerNamespace, "ACK's"},
			Finalization{Step: StepLeave, Why: "ACK's", Warn: true}, true},
		{"retained by another object", del, state("available"), Ownership{OwnerRetained, "retained by apps/old"},
			Finalization{Step: StepLeave, Why: "retained by apps/old", Warn: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Finalize(tt.pol, tt.obs, tt.o)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("finalization (-want +got):\n%s", diff)
			}
			if got.FreshReadNeeded() != tt.fresh {
				t.Errorf("FreshReadNeeded() = %v, want %v", got.FreshReadNeeded(), tt.fresh)
			}
		})
	}
}

func TestRetainedTags(t *testing.T) {
	have := with(OwnerTags("apps", "s3", prod), map[string]string{"team": "data"})
	before := maps.Clone(have)
	want := map[string]string{TagController: "kelb", TagNamespace: "apps", TagCluster: "prod", TagClusterUID: "uid-prod",
		"team": "data", TagRetainedFrom: "apps/s3"}
	if diff := cmp.Diff(want, RetainedTags(have, "apps", "s3")); diff != "" {
		t.Errorf("retained tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, have); diff != "" {
		t.Errorf("the endpoint's tags were changed in place (-before +after):\n%s", diff)
	}
	add, remove := model.TagDiff(have, RetainedTags(have, "apps", "s3"), model.TagPolicy{})
	if diff := cmp.Diff([]any{map[string]string{TagRetainedFrom: "apps/s3"}, []string{TagName}}, []any{add, remove}); diff != "" {
		t.Errorf("tag changes (-want +got):\n%s", diff)
	}
}

// TestRetainedMarkIsKelbs: the mark is neither a user's tag to adopt into a
// spec nor one a spec can set, so adopting a retained endpoint removes it.
func TestRetainedMarkIsKelbs(t *testing.T) {
	retained := RetainedTags(with(OwnerTags("apps", "old", prod), map[string]string{"team": "data"}), "apps", "old")
	ep := &v1alpha1.VPCEndpoint{}
	ep.Namespace, ep.Name = "apps", "new"
	ep.Spec.Tags = UserTags(awsclient.EC2Tags(retained))
	if diff := cmp.Diff([]*v1alpha1.Tag{{Key: aws.String("team"), Value: aws.String("data")}}, ep.Spec.Tags); diff != "" {
		t.Errorf("user tags of a retained endpoint (-want +got):\n%s", diff)
	}
	ep.Spec.Tags = append(ep.Spec.Tags, &v1alpha1.Tag{Key: aws.String(TagRetainedFrom), Value: aws.String("apps/old")})
	want := with(OwnerTags("apps", "new", prod), map[string]string{"team": "data"})
	if diff := cmp.Diff(want, Tags(ep, prod, nil)); diff != "" {
		t.Errorf("tags of the adopting object (-want +got):\n%s", diff)
	}
}
