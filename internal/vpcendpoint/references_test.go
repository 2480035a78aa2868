package vpcendpoint

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

func ref(name string) *v1alpha1.AWSResourceReferenceWrapper {
	return &v1alpha1.AWSResourceReferenceWrapper{From: &v1alpha1.AWSResourceReference{Name: aws.String(name)}}
}

func TestReferencesOf(t *testing.T) {
	other := ref("sg")
	other.From.Namespace = aws.String("net")
	tests := []struct {
		name    string
		spec    v1alpha1.VPCEndpointSpec
		want    References
		wantErr string
	}{
		{name: "none", spec: v1alpha1.VPCEndpointSpec{SubnetIDs: aws.StringSlice([]string{"subnet-1"})}},
		{name: "every kind, namespace defaults to the object's", spec: v1alpha1.VPCEndpointSpec{VPCRef: ref("vpc"),
			SubnetRefs:        []*v1alpha1.AWSResourceReferenceWrapper{ref("a"), ref("b")},
			SecurityGroupRefs: []*v1alpha1.AWSResourceReferenceWrapper{other},
			RouteTableRefs:    []*v1alpha1.AWSResourceReferenceWrapper{ref("rt")}},
			want: References{VPC: &Reference{RefVPC, "apps", "vpc"},
				Subnets:        []Reference{{RefSubnet, "apps", "a"}, {RefSubnet, "apps", "b"}},
				SecurityGroups: []Reference{{RefSecurityGroup, "net", "sg"}},
				RouteTables:    []Reference{{RefRouteTable, "apps", "rt"}}}},
		{name: "vpcID and vpcRef", spec: v1alpha1.VPCEndpointSpec{VPCID: aws.String("vpc-1"), VPCRef: ref("vpc")},
			wantErr: "both resource reference wrapper and ID cannot be used together: VPCID,VPCRef"},
		{name: "subnetIDs and subnetRefs", spec: v1alpha1.VPCEndpointSpec{SubnetIDs: aws.StringSlice([]string{"subnet-1"}),
			SubnetRefs: []*v1alpha1.AWSResourceReferenceWrapper{ref("a")}},
			wantErr: "both resource reference wrapper and ID cannot be used together: SubnetIDs,SubnetRefs"},
		{name: "security groups both ways", spec: v1alpha1.VPCEndpointSpec{SecurityGroupIDs: aws.StringSlice([]string{"sg-1"}),
			SecurityGroupRefs: []*v1alpha1.AWSResourceReferenceWrapper{ref("a")}},
			wantErr: "both resource reference wrapper and ID cannot be used together: SecurityGroupIDs,SecurityGroupRefs"},
		{name: "route tables both ways", spec: v1alpha1.VPCEndpointSpec{RouteTableIDs: aws.StringSlice([]string{"rtb-1"}),
			RouteTableRefs: []*v1alpha1.AWSResourceReferenceWrapper{ref("a")}},
			wantErr: "both resource reference wrapper and ID cannot be used together: RouteTableIDs,RouteTableRefs"},
		{name: "reference without a name", spec: v1alpha1.VPCEndpointSpec{SubnetRefs: []*v1alpha1.AWSResourceReferenceWrapper{ref("")}},
			wantErr: "provided resource reference is nil or empty: SubnetRefs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReferencesOf(&tt.spec, "apps")
			if tt.wantErr != "" {
				var re *ReferenceError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &re) || !re.Terminal {
					t.Fatalf("error %v, want the terminal %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("references (-want +got):\n%s", diff)
			}
			if got.Empty() == HasReferences(&tt.spec) {
				t.Errorf("Empty() %v but HasReferences() %v", got.Empty(), HasReferences(&tt.spec))
			}
		})
	}
}

func TestCheckReferenced(t *testing.T) {
	r := Reference{RefSubnet, "apps", "a"}
	tests := []struct {
		name               string
		o                  ReferencedObject
		want               string
		terminal, refTerm  bool
		condition, condMsg string
	}{
		{name: "synced with its id", o: ReferencedObject{Synced: true, ID: "subnet-1"}, condition: "True"},
		{name: "terminal", o: ReferencedObject{Terminal: true, Synced: true, ID: "subnet-1"},
			want:     "the referenced resource has 'ACK.Terminal' condition 'True'. Cannot be referenced. resource:Subnet, namespace:apps, name:a",
			terminal: true, refTerm: true, condition: "False", condMsg: ReferenceFailedMessage},
		{name: "not synced", o: ReferencedObject{ID: "subnet-1"},
			want: "the referenced resource is not synced yet. resource:Subnet, namespace:apps, name:a", condition: "Unknown",
			condMsg: ReferenceFailedMessage},
		{name: "synced without its id", o: ReferencedObject{Synced: true},
			want:      "the referenced resource is missing the target field. resource:Subnet, namespace:apps, name:a, targetField:Status.SubnetID",
			condition: "Unknown", condMsg: ReferenceFailedMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReferenced(r, tt.o)
			var re *ReferenceError
			got := []any{"", false, false}
			if err != nil && errors.As(err, &re) {
				got = []any{err.Error(), re.Terminal, re.ReferencedTerminal}
			}
			if diff := cmp.Diff([]any{tt.want, tt.terminal, tt.refTerm}, got); diff != "" {
				t.Errorf("error, terminal, referenced terminal (-want +got):\n%s", diff)
			}
			status, reason, msg := ReferencesCondition(err)
			if diff := cmp.Diff([]string{tt.condition, tt.want, tt.condMsg}, []string{status, reason, msg}); diff != "" {
				t.Errorf("ACK.ReferencesResolved status, reason, message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithReferences(t *testing.T) {
	spec := v1alpha1.VPCEndpointSpec{VPCRef: ref("vpc"), SubnetRefs: []*v1alpha1.AWSResourceReferenceWrapper{ref("a"), ref("b")},
		SecurityGroupIDs: aws.StringSlice([]string{"sg-own"})}
	refs, err := ReferencesOf(&spec, "apps")
	if err != nil {
		t.Fatal(err)
	}
	got := WithReferences(spec, refs, []string{"vpc-1", "subnet-a", "subnet-b"})
	if diff := cmp.Diff([]any{"vpc-1", []string{"subnet-a", "subnet-b"}, []string{"sg-own"}},
		[]any{aws.ToString(got.VPCID), aws.ToStringSlice(got.SubnetIDs), aws.ToStringSlice(got.SecurityGroupIDs)}); diff != "" {
		t.Errorf("resolved spec (-want +got):\n%s", diff)
	}
	if spec.VPCID != nil || spec.SubnetIDs != nil {
		t.Error("the object's own spec got the resolved ids")
	}
}

func TestNotServedError(t *testing.T) {
	err := NotServedError(Reference{RefRouteTable, "apps", "rt"}, "routeTableRefs")
	want := "routeTableRefs names RouteTable apps/rt, but this cluster does not serve kind RouteTable " +
		"(ec2.services.k8s.aws/v1alpha1): install ACK's RouteTable CRD or set routeTableIDs"
	var re *ReferenceError
	if diff := cmp.Diff(want, err.Error()); diff != "" || !errors.As(err, &re) || !re.Terminal {
		t.Errorf("message (-want +got):\n%s; terminal error: %v", diff, re)
	}
}

// TestConditionsReferences: ACK.ReferencesResolved is present only for an
// object with references: True without reason or message once resolved.
func TestConditionsReferences(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if c := Find(conditionsAt(nil, Outcome{State: "available"}, 1, now), ConditionReferencesResolved); c != nil {
		t.Errorf("condition without references: %+v", c)
	}
	c := Find(conditionsAt(nil, Outcome{State: "available", HasReferences: true}, 1, now), ConditionReferencesResolved)
	if c == nil || c.Status != "True" || c.Reason != nil || c.Message != nil {
		t.Errorf("resolved: %+v", c)
	}
	waiting := CheckReferenced(Reference{RefVPC, "apps", "v"}, ReferencedObject{})
	cs := conditionsAt(nil, Outcome{Err: waiting, ErrReason: ReasonReferences, HasReferences: true, ReferencesErr: waiting}, 1, now)
	c = Find(cs, ConditionReferencesResolved)
	if c == nil || c.Status != "Unknown" || aws.ToString(c.Message) != ReferenceFailedMessage ||
		aws.ToString(c.Reason) != waiting.Error() {
		t.Errorf("waiting: %+v", c)
	}
	if r := Find(cs, ConditionRecoverable); r == nil || r.Status != "True" {
		t.Errorf("waiting is not recoverable: %+v", r)
	}
}
