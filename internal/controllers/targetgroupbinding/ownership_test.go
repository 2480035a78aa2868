package targetgroupbinding

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/kelb-dev/kelb/internal/model"
)

func TestOwnerOf(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want owner
	}{
		{name: "a user's", tags: map[string]string{"team": "web"}, want: ownerNone},
		{name: "this cluster's Service stack (LBC's tags)",
			tags: map[string]string{model.TagCluster: "c1", model.TagServiceStack: "ns/web"}, want: ownerServiceStack},
		{name: "this cluster's Service stack (kelb's tags)",
			tags: map[string]string{model.TagCluster: "c1", model.TagServiceStack: "ns/web", model.TagClusterUID: "uid1"},
			want: ownerServiceStack},
		{name: "an Ingress group of this cluster",
			tags: map[string]string{model.TagCluster: "c1", model.TagIngressStack: "grp"}, want: ownerThisCluster},
		{name: "another cluster's", tags: map[string]string{model.TagCluster: "c2", model.TagServiceStack: "ns/web"},
			want: ownerOtherCluster},
		{name: "another cluster of the same name",
			tags: map[string]string{model.TagCluster: "c1", model.TagServiceStack: "ns/web", model.TagClusterUID: "uid2"},
			want: ownerOtherCluster},
		{name: "cluster tag without a stack: a user's", tags: map[string]string{model.TagCluster: "c2"}, want: ownerNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ownerOf(tt.tags, "c1", "uid1"); got != tt.want {
				t.Errorf("owner %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNodeChanged(t *testing.T) {
	base := func() *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"a": "b"}},
			Spec: corev1.NodeSpec{ProviderID: "aws:///z/i-1"},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady,
				Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.NewTime(time.Unix(1, 0))}}}}
	}
	tests := []struct {
		name string
		mod  func(*corev1.Node)
		want bool
	}{
		{name: "heartbeat", mod: func(n *corev1.Node) {
			n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Unix(2, 0))
		}, want: false},
		{name: "not ready", mod: func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }, want: true},
		{name: "label", mod: func(n *corev1.Node) { n.Labels["x"] = "" }, want: true},
		{name: "cordoned", mod: func(n *corev1.Node) { n.Spec.Unschedulable = true }, want: true},
		{name: "tainted", mod: func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "ToBeDeletedByClusterAutoscaler", Effect: corev1.TaintEffectNoSchedule}}
		}, want: true},
		{name: "being deleted", mod: func(n *corev1.Node) { now := metav1.Now(); n.DeletionTimestamp = &now }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base()
			tt.mod(b)
			if got := nodeChanged(event.UpdateEvent{ObjectOld: base(), ObjectNew: b}); got != tt.want {
				t.Errorf("changed %v, want %v", got, tt.want)
			}
		})
	}
}
