package manager

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The cluster's identity is the UID of its kube-system Namespace: it never
// changes, and two clusters never share it, whatever --cluster-name says.
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

// identityNamespace is the Namespace whose UID identifies the cluster.
const identityNamespace = "kube-system"

// clusterUID reads the cluster's identity. The API server creates
// kube-system shortly after it starts, so a missing one is waited for.
func clusterUID(ctx context.Context, restCfg *rest.Config) (string, error) {
	c, err := client.New(restCfg, client.Options{})
	if err != nil {
		return "", err
	}
	var uid string
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var ns corev1.Namespace
		err := c.Get(ctx, types.NamespacedName{Name: identityNamespace}, &ns)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		uid = string(ns.UID)
		return uid != "", nil
	})
	if err != nil {
		return "", fmt.Errorf("reading the UID of Namespace %s, the cluster's identity: %w", identityNamespace, err)
	}
	return uid, nil
}

// recordNamespace is where the ownership record lives: kelb's own
// namespace, as --leader-election-namespace or POD_NAMESPACE name it, else
// kube-system.
func recordNamespace(o Options) string {
	if o.LeaderElectionNamespace != "" {
		return o.LeaderElectionNamespace
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	return identityNamespace
}
