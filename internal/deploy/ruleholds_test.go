package deploy

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	"github.com/kelb-dev/kelb/internal/model"
)

func TestHoldRules(t *testing.T) {
	path := func(p string) []elbtypes.RuleCondition {
		return []elbtypes.RuleCondition{{Field: aws.String("path-pattern"),
			PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{p}}}}
	}
	forward := func(arns ...string) []elbtypes.Action {
		var tgs []elbtypes.TargetGroupTuple
		for _, a := range arns {
			tgs = append(tgs, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(a)})
		}
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: tgs}}}
	}
	have := func(arn, p string, actions []elbtypes.Action) ruleHave {
		c := path(p)
		return ruleHave{ARN: arn, Key: listenerRuleKey(c, actions), Conditions: canonicalConditions(c), Actions: actions}
	}
	want := func(p string, actions []elbtypes.Action) sdkRule {
		c := path(p)
		return sdkRule{Conditions: c, Actions: actions, Key: listenerRuleKey(c, actions)}
	}
	for _, tc := range []struct {
		name      string
		have      []ruleHave
		want      []sdkRule
		notReady  map[string]bool
		wantHeld  []string
		wantRules []string // the wanted rules' keys after holding
	}{
		{name: "every group registered: nothing held",
			have: []ruleHave{have("r1", "/a", forward("old"))}, want: []sdkRule{want("/a", forward("new"))},
			wantRules: []string{listenerRuleKey(path("/a"), forward("new"))}},
		{name: "a rule moving to a new group keeps the old one",
			have: []ruleHave{have("r1", "/a", forward("old"))}, want: []sdkRule{want("/a", forward("new"))},
			notReady: map[string]bool{"new": true}, wantHeld: []string{"old"},
			wantRules: []string{listenerRuleKey(path("/a"), forward("old"))}},
		{name: "a new path goes to the new group at once (it had no group)",
			have: []ruleHave{have("r1", "/a", forward("old"))}, want: []sdkRule{want("/a", forward("old")), want("/b", forward("new"))},
			notReady:  map[string]bool{"new": true},
			wantRules: []string{listenerRuleKey(path("/a"), forward("old")), listenerRuleKey(path("/b"), forward("new"))}},
		{name: "a rule that forwards to a group still registering is not a place to hold",
			have: []ruleHave{have("r1", "/a", forward("other-new"))}, want: []sdkRule{want("/a", forward("new"))},
			notReady:  map[string]bool{"new": true, "other-new": true},
			wantRules: []string{listenerRuleKey(path("/a"), forward("new"))}},
		{name: "a weighted forward holds both of its old groups",
			have: []ruleHave{have("r1", "/a", forward("blue", "green"))}, want: []sdkRule{want("/a", forward("new"))},
			notReady: map[string]bool{"new": true}, wantHeld: []string{"blue", "green"},
			wantRules: []string{listenerRuleKey(path("/a"), forward("blue", "green"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held := holdRules(tc.have, tc.want, tc.notReady)
			if diff := cmp.Diff(tc.wantHeld, held); diff != "" {
				t.Errorf("held (-want +got):\n%s", diff)
			}
			var keys []string
			for _, w := range tc.want {
				keys = append(keys, w.Key)
			}
			if diff := cmp.Diff(tc.wantRules, keys); diff != "" {
				t.Errorf("wanted rules after holding (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBindingRegistered(t *testing.T) {
	now := time.Unix(10000, 0)
	binding := func(age time.Duration, generation int64, status metav1.ConditionStatus, observed int64) *elbv2api.TargetGroupBinding {
		b := &elbv2api.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Generation: generation,
			CreationTimestamp: metav1.NewTime(now.Add(-age))}}
		if status != "" {
			b.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: status, ObservedGeneration: observed}}
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		binding *elbv2api.TargetGroupBinding
		want    bool
	}{
		{"new, no status yet", binding(time.Second, 1, "", 0), false},
		{"registered", binding(time.Second, 1, metav1.ConditionTrue, 1), true},
		{"registered for an older spec", binding(time.Second, 2, metav1.ConditionTrue, 1), false},
		{"failing", binding(time.Second, 1, metav1.ConditionFalse, 1), false},
		{"failing for longer than the wait: no longer holds", binding(3*time.Minute, 1, metav1.ConditionFalse, 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bindingRegistered(tc.binding, now); got != tc.want {
				t.Errorf("bindingRegistered = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestHoldListeners(t *testing.T) {
	have := []*ListenerState{{Port: 80, Protocol: "TCP", TargetGroupARN: "old"}}
	tgARNs := map[string]string{"default/web:80": "new"}
	for _, tc := range []struct {
		name     string
		want     []model.Listener
		notReady map[string]bool
		wantARNs map[string]string
		wantHeld []string
	}{
		{"the new group registered: it is used", []model.Listener{{Port: 80, Protocol: "TCP", TargetGroupID: "default/web:80"}},
			nil, tgARNs, nil},
		{"the new group registering: the old one stays", []model.Listener{{Port: 80, Protocol: "TCP", TargetGroupID: "default/web:80"}},
			map[string]bool{"new": true}, map[string]string{"default/web:80": "old"}, []string{"old"}},
		{"another protocol: the old group may not fit, so no hold", []model.Listener{{Port: 80, Protocol: "UDP", TargetGroupID: "default/web:80"}},
			map[string]bool{"new": true}, tgARNs, nil},
		{"a new port: nothing to hold", []model.Listener{{Port: 81, Protocol: "TCP", TargetGroupID: "default/web:80"}},
			map[string]bool{"new": true}, tgARNs, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arns, held := holdListeners(have, tc.want, tgARNs, tc.notReady)
			if diff := cmp.Diff(tc.wantARNs, arns); diff != "" {
				t.Errorf("target groups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantHeld, held); diff != "" {
				t.Errorf("held (-want +got):\n%s", diff)
			}
		})
	}
}
