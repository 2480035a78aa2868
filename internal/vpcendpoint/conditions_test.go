package vpcendpoint

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kelb-dev/kelb/api/ec2/v1alpha1"
)

func TestConditions(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		o    Outcome
		want map[string]string // type -> Status/Reason; absent types must be absent
	}{
		{"pending", Outcome{State: "pending"}, map[string]string{ConditionSynced: "False/Pending", ConditionReady: "False/Pending"}},
		{"available", Outcome{State: "available"}, map[string]string{ConditionSynced: "True/Synced", ConditionReady: "True/Available"}},
		{"available, changes on their way", Outcome{State: "available", Updating: []string{"subnetIDs"}},
			map[string]string{ConditionSynced: "False/Updating", ConditionReady: "False/Updating"}},
		{"waiting for the provider", Outcome{State: "pendingAcceptance", ServiceName: "svc"},
			map[string]string{ConditionSynced: "True/PendingAcceptance", ConditionReady: "False/PendingAcceptance"}},
		{"rejected", Outcome{State: "rejected", FailureReason: "not allowed"},
			map[string]string{ConditionSynced: "False/Rejected", ConditionTerminal: "True/Rejected", ConditionReady: "False/Rejected"}},
		{"expired", Outcome{State: "expired"},
			map[string]string{ConditionSynced: "False/Expired", ConditionTerminal: "True/Expired", ConditionReady: "False/Expired"}},
		{"deleting", Outcome{State: "deleting"}, map[string]string{ConditionSynced: "False/Deleting", ConditionReady: "False/Deleting"}},
		{"gone", Outcome{State: "deleted"}, map[string]string{ConditionSynced: "False/NotFound", ConditionReady: "False/NotFound"}},
		{"terminal error", Outcome{Err: errors.New("InvalidServiceName"), Terminal: true, ErrReason: ReasonAWSRejected},
			map[string]string{ConditionSynced: "False/AWSRejected", ConditionTerminal: "True/AWSRejected", ConditionReady: "False/AWSRejected"}},
		{"error retried, endpoint available", Outcome{State: "available", Err: errors.New("Throttling"), ErrReason: ReasonAWSError},
			map[string]string{ConditionSynced: "False/AWSError", ConditionRecoverable: "True/AWSError", ConditionReady: "False/AWSError"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := conditionsAt(nil, tt.o, 7, now)
			for _, ct := range []string{ConditionSynced, ConditionTerminal, ConditionRecoverable, ConditionReady} {
				c := Find(cs, ct)
				got := ""
				if c != nil {
					got = string(c.Status) + "/" + aws.ToString(c.Reason)
					if c.ObservedGeneration != 7 || aws.ToString(c.Message) == "" {
						t.Errorf("%s: generation %d message %q", ct, c.ObservedGeneration, aws.ToString(c.Message))
					}
				}
				if got != tt.want[ct] {
					t.Errorf("%s = %q, want %q", ct, got, tt.want[ct])
				}
			}
		})
	}
}

func TestConditionsKeepTransitionTime(t *testing.T) {
	t1 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	first := conditionsAt(nil, Outcome{State: "available"}, 1, t1)
	again := conditionsAt(first, Outcome{State: "available"}, 2, t1.Add(time.Hour))
	if !Find(again, ConditionReady).LastTransitionTime.Time.Equal(t1) {
		t.Error("unchanged status moved lastTransitionTime")
	}
	changed := conditionsAt(again, Outcome{State: "deleting"}, 2, t1.Add(2*time.Hour))
	if !Find(changed, ConditionReady).LastTransitionTime.Time.Equal(t1.Add(2 * time.Hour)) {
		t.Error("changed status kept the old lastTransitionTime")
	}
	if msg := aws.ToString(Find(conditionsAt(nil, Outcome{State: "pendingAcceptance", ServiceName: "com.x.svc"}, 1, t1), ConditionReady).Message); !strings.Contains(msg, "com.x.svc") {
		t.Errorf("pendingAcceptance message does not name the service: %q", msg)
	}
}

func TestPolicyOf(t *testing.T) {
	ep := func(ann map[string]string, id string) *v1alpha1.VPCEndpoint {
		e := &v1alpha1.VPCEndpoint{}
		e.Annotations = ann
		if id != "" {
			e.Status.VPCEndpointID = aws.String(id)
		}
		return e
	}
	tests := []struct {
		name     string
		e        *v1alpha1.VPCEndpoint
		ns, flag string
		want     Policy
		wantErr  string
	}{
		{name: "defaults", e: ep(nil, ""), want: Policy{Deletion: "delete"}},
		{name: "flag", e: ep(nil, ""), flag: "retain", want: Policy{Deletion: "retain"}},
		{name: "namespace over flag", e: ep(nil, ""), ns: "delete", flag: "retain", want: Policy{Deletion: "delete"}},
		{name: "object over namespace", e: ep(map[string]string{AnnotationDeletionPolicy: "retain"}, ""), ns: "delete",
			want: Policy{Deletion: "retain"}},
		{name: "bad deletion policy", e: ep(map[string]string{AnnotationDeletionPolicy: "keep"}, ""),
			wantErr: `services.k8s.aws/deletion-policy: "keep" is not valid; allowed: delete, retain`},
		{name: "bad namespace policy", e: ep(nil, ""), ns: "forever",
			wantErr: `ec2.services.k8s.aws/deletion-policy: "forever" is not valid`},
		{name: "adopt", e: ep(map[string]string{AnnotationAdoptionPolicy: "adopt", AnnotationAdoptionFields: `{"vpcEndpointID":"vpce-1"}`}, ""),
			want: Policy{Deletion: "delete", Adoption: "adopt", AdoptID: "vpce-1"}},
		{name: "adopt without fields", e: ep(map[string]string{AnnotationAdoptionPolicy: "adopt"}, ""),
			wantErr: "services.k8s.aws/adoption-fields"},
		{name: "bad adoption policy", e: ep(map[string]string{AnnotationAdoptionPolicy: "take"}, ""),
			wantErr: "allowed: adopt, adopt-or-create"},
		{name: "bad adoption fields", e: ep(map[string]string{AnnotationAdoptionPolicy: "adopt", AnnotationAdoptionFields: `vpce-1`}, ""),
			wantErr: `{"vpcEndpointID": "vpce-..."}`},
		{name: "read-only retains", e: ep(map[string]string{AnnotationReadOnly: "true"}, "vpce-2"),
			want: Policy{Deletion: "retain", ReadOnly: true}},
		{name: "bad read-only", e: ep(map[string]string{AnnotationReadOnly: "yes"}, ""), wantErr: "allowed: true, false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PolicyOf(tt.e, tt.ns, tt.flag)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
