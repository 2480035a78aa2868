package manager

// What a plan reads: the objects to plan, the read-only clients it reads
// them with, and the helpers the dry run needs.

import (
	"context"
	"fmt"
	"sort"

	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	servicecontroller "github.com/kelb-dev/kelb/internal/controllers/service"
	"github.com/kelb-dev/kelb/internal/plan"
)

// planObjects returns the Services and Ingresses to plan, by namespace and
// name: the manifests' or the cluster's.
func planObjects(ctx context.Context, kube client.Reader, files *plan.Files, fromFiles, ingress bool) (
	[]*corev1.Service, []*networkingv1.Ingress, error) {
	var svcs []*corev1.Service
	var ings []*networkingv1.Ingress
	if fromFiles {
		svcs, ings = plan.Of[*corev1.Service](files), plan.Of[*networkingv1.Ingress](files)
	} else {
		var sl corev1.ServiceList
		if err := kube.List(ctx, &sl); err != nil {
			return nil, nil, fmt.Errorf("listing Services: %w", err)
		}
		for i := range sl.Items {
			svcs = append(svcs, &sl.Items[i])
		}
		if ingress {
			var il networkingv1.IngressList
			if err := kube.List(ctx, &il); err != nil {
				return nil, nil, fmt.Errorf("listing Ingresses: %w", err)
			}
			for i := range il.Items {
				ings = append(ings, &il.Items[i])
			}
		}
	}
	if !ingress {
		ings = nil
	}
	sort.Slice(svcs, func(i, j int) bool { return planKey(svcs[i]) < planKey(svcs[j]) })
	sort.Slice(ings, func(i, j int) bool { return planKey(ings[i]) < planKey(ings[j]) })
	return svcs, ings, nil
}

func planKey(o client.Object) string { return o.GetNamespace() + "/" + o.GetName() }

// planClients returns the controllers' client (reads from an informer cache
// with the index the Service controller reads endpoint slices by, as the
// manager's) and the API server reader, both refusing every write, with the
// manifests laid over the cluster's objects.
func planClients(ctx context.Context, restCfg *rest.Config, scheme *runtime.Scheme, o Options, files *plan.Files) (
	kube, apiReader plan.ReadOnly, err error) {
	cacheOpts := cache.Options{Scheme: scheme, DefaultTransform: cache.TransformStripManagedFields()}
	if o.WatchNamespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{o.WatchNamespace: {}}
	}
	informers, err := cache.New(restCfg, cacheOpts)
	if err != nil {
		return kube, apiReader, fmt.Errorf("creating the cache: %w", err)
	}
	if err := servicecontroller.IndexEndpointSlices(ctx, informers); err != nil {
		return kube, apiReader, err
	}
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		return kube, apiReader, fmt.Errorf("the cache did not sync")
	}
	cached, err := client.New(restCfg, client.Options{Scheme: scheme, Cache: &client.CacheOptions{Reader: informers}})
	if err != nil {
		return kube, apiReader, err
	}
	direct, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return kube, apiReader, err
	}
	return plan.ReadOnly{Client: cached, Files: files}, plan.ReadOnly{Client: direct, Files: files}, nil
}

// listenerLookup reads a listener (a read the dry run sends to AWS).
func listenerLookup(api *elbv2sdk.Client) awsclient.ListenerLookup {
	return func(ctx context.Context, arn string) (*elbtypes.Listener, error) {
		out, err := api.DescribeListeners(ctx, &elbv2sdk.DescribeListenersInput{ListenerArns: []string{arn}})
		if err != nil || len(out.Listeners) == 0 {
			return nil, err
		}
		return &out.Listeners[0], nil
	}
}

// discardEvents drops the events the controllers' code would record: a
// plan writes none.
type discardEvents struct{}

func (discardEvents) Eventf(_, _ runtime.Object, _, _, _, _ string, _ ...any) {}
func (discardEvents) AnnotatedEventf(_, _ runtime.Object, _ map[string]string, _, _, _, _ string, _ ...any) {
}
