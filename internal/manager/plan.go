package manager

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ec2v1alpha1 "github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/api/elbv2"
	elbv2beta1 "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/controllers/noderules"
	servicecontroller "github.com/kelb-dev/kelb/internal/controllers/service"
	"github.com/kelb-dev/kelb/internal/controllers/targetgroupbinding"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
	"github.com/kelb-dev/kelb/internal/plan"
)

// PlanOptions say what `kelb plan` plans.
type PlanOptions struct {
	// Files are manifests (-f): their Services and Ingresses are planned
	// instead of the cluster's, against the cluster's other objects (laid
	// under the files') and live AWS. Empty: every Service and Ingress of
	// the cluster.
	Files []string
}

// nodeRulesScope is the plan scope of the node-rules writer's runs: the
// rules on node security groups are shared by every Service.
const nodeRulesScope = "NodeSecurityGroups"

// Plan runs what the controllers would do now for every Service and
// Ingress (or those of po.Files) with the same gather, build and deployer
// as Run, against AWS clients that send only reads (awsclient.DryRun) and a
// Kubernetes client that refuses every write, and reports the writes they
// would have made. Nothing in AWS or the cluster changes.
func Plan(ctx context.Context, restCfg *rest.Config, o Options, po PlanOptions, ov Overrides) (*plan.Plan, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clk := ov.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	parts, err := planAWS(ctx, restCfg, o, ov, clk)
	if err != nil {
		return nil, err
	}
	rec, clients, instances, vpcID := parts.rec, parts.clients, parts.instances, parts.vpcID
	defaultTags, _ := parseTags(o.DefaultTags)
	uid, err := clusterUID(ctx, restCfg)
	if err != nil {
		return nil, err
	}
	scheme, err := planScheme()
	if err != nil {
		return nil, err
	}
	files, err := plan.LoadFiles(scheme, po.Files)
	if err != nil {
		return nil, err
	}
	kube, apiReader, err := planClients(ctx, restCfg, scheme, o, files)
	if err != nil {
		return nil, err
	}
	unallocated, err := files.TakeServerFields(ctx, apiReader.Client)
	if err != nil {
		return nil, err
	}

	record := &ownership.Record{}
	store := &ownership.Store{Reader: apiReader,
		Key: types.NamespacedName{Namespace: recordNamespace(o), Name: ownership.DefaultName}}
	entries, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the ownership record: %w", err)
	}
	record.Set(entries)
	// As Run's deployer, but its TargetGroupBindings are recorded, not written.
	bindings := &plan.Bindings{Reader: apiReader, Recorder: rec}
	deployer := deploy.New(deploy.Deps{
		Config: deploy.Config{ClusterName: o.ClusterName, ClusterUID: uid, VPCID: vpcID, BackendSGID: o.BackendSG,
			DriftPeriod: o.DriftPeriod, UnrestrictedBackendRules: o.DisableRestrictedRules},
		ELBV2: clients.ELBV2, EC2: clients.EC2, Tagging: clients.Tagging, Clock: clk, Record: record,
		AddOns: addOnClients(o, clients), Bindings: bindings,
	})
	subnets := cloud.NewSubnets(clients.EC2, vpcID, o.ClusterName, clk)
	subnets.ClusterTagCheck, subnets.ByReachability = o.FeatureGates.SubnetDiscovery()
	sdeps := serviceDeps(o, clients, deployer, subnets, instances, vpcID, defaultTags, clk)
	sdeps.Client, sdeps.Recorder = kube, discardEvents{}
	services := servicecontroller.NewController(sdeps)
	nodeRules := noderules.New(noderules.Deps{Deployer: deployer, Needs: services,
		Protected: &noderules.LBCObjects{Client: kube, IngressClass: o.IngressClass}, Period: 24 * time.Hour})
	services.NodeRules = nodeRules
	go func() { _ = nodeRules.Run(awsclient.WithPlanScope(ctx, nodeRulesScope)) }()
	var ingresses *ingresscontroller.Controller
	if o.EnableIngress {
		ideps := ingressDeps(o, clients, deployer, nodeRules, subnets, vpcID, defaultTags, clk)
		ideps.Client, ideps.Recorder, ideps.Secrets = kube, discardEvents{}, apiReader
		ingresses = ingresscontroller.NewController(ideps)
	}

	members := targetgroupbinding.NewController(targetgroupbinding.Deps{
		Client: plan.BindingController{ReadOnly: kube, Recorder: rec}, Reader: apiReader, Recorder: discardEvents{},
		ELBV2: clients.ELBV2, Clock: clk,
		NodeRules: nodeRules, Instances: instances, KnownTargetGroups: knownTargetGroups(deployer, vpcID),
		Config: bindingConfig(o, uid),
	})

	if err := deployer.EnsureLoaded(ctx); err != nil {
		return nil, fmt.Errorf("loading AWS inventory: %w", err)
	}
	p := &plan.Plan{Schema: plan.Schema, Source: "cluster", Cluster: o.ClusterName, VPC: vpcID, Region: clients.Region}
	if files != nil && len(po.Files) > 0 {
		p.Source = "files"
	}
	r := &planRun{rec: rec, deployer: deployer, nodeRules: nodeRules, services: services, ingresses: ingresses,
		members: members, bindings: bindings, planned: map[model.StackID]string{}}
	svcs, ings, err := planObjects(ctx, kube, files, p.Source == "files", o.EnableIngress)
	if err != nil {
		return nil, err
	}
	if p.Objects, err = r.run(ctx, apiReader, svcs, ings, unallocated); err != nil {
		return nil, err
	}
	return p, nil
}

// run plans the objects in the controllers' order: each Service and
// Ingress, then the binding controller's part for the bindings as their
// deploys leave them, then the node-rules writer's settle run.
func (r *planRun) run(ctx context.Context, apiReader client.Reader, svcs []*corev1.Service,
	ings []*networkingv1.Ingress, unallocated []string) ([]plan.Object, error) {
	var out []plan.Object
	for _, svc := range svcs {
		if obj, ok := r.service(ctx, svc); ok {
			if slices.Contains(unallocated, planKey(svc)) {
				obj.Notes = append(obj.Notes, "not in the cluster: its node ports, which the API server allocates "+
					"at create, are planned as 0; give spec.ports[].nodePort to plan instance targets exactly")
			}
			out = append(out, obj)
		}
	}
	for _, ing := range ings {
		if obj, ok := r.ingress(ctx, ing); ok {
			out = append(out, obj)
		}
	}
	tgbs, err := bindingsToPlan(ctx, apiReader, r.bindings)
	if err != nil {
		return nil, err
	}
	for _, b := range tgbs {
		if obj, ok := r.binding(ctx, b); ok {
			out = append(out, obj)
		}
	}
	// Rules nothing needs any longer are revoked in the settle run, once
	// the new ones are in.
	nodes := plan.Object{Kind: nodeRulesScope, Name: "node security groups"}
	if err := r.nodeRules.Flush(awsclient.WithPlanScope(ctx, nodeRulesScope)); err != nil {
		nodes.Error = err.Error()
	}
	nodes.Actions = []plan.Action{}
	for _, call := range r.rec.Calls() {
		if call.Scope == "" || call.Scope == nodeRulesScope {
			nodes.Actions = append(nodes.Actions, plan.Describe(call, ""))
		}
	}
	return append(out, nodes), nil
}

// planAWSParts are the AWS clients of a plan and what they found first.
type planAWSParts struct {
	rec       *awsclient.DryRun
	clients   *awsclient.Clients
	instances *cloud.Instances
	vpcID     string
}

// planAWS builds Run's AWS clients with the dry-run recorder in front and
// finds the VPC as Run does.
func planAWS(ctx context.Context, restCfg *rest.Config, o Options, ov Overrides, clk clock.Clock) (planAWSParts, error) {
	endpoints, err := awsclient.ParseEndpoints(o.AWSAPIEndpoints)
	if err != nil {
		return planAWSParts{}, err
	}
	throttle, err := awsclient.ParseThrottle(o.AWSAPIThrottle)
	if err != nil {
		return planAWSParts{}, err
	}
	rec := awsclient.NewDryRun(o.AWSRegion)
	clients, err := awsclient.NewClients(ctx, awsclient.Config{Region: o.AWSRegion, Endpoints: endpoints,
		MaxRetries: o.AWSMaxRetries, Throttle: throttle, Credentials: ov.Credentials,
		APIOptions: []func(*smithymiddleware.Stack) error{rec.Middleware}})
	if err != nil {
		return planAWSParts{}, err
	}
	rec.Region = clients.Region
	rec.Listeners = listenerLookup(clients.ELBV2)
	instances := cloud.NewInstances(clients.EC2, o.ClusterName, clk)
	vpcID := o.AWSVPCID
	if vpcID == "" && len(o.AWSVPCTags) > 0 {
		if vpcID, err = vpcByTag(ctx, clients.EC2, o.AWSVPCTagKey, o.AWSVPCTags[o.AWSVPCTagKey]); err != nil {
			return planAWSParts{}, err
		}
	}
	if vpcID == "" {
		if vpcID, err = discoverVPC(ctx, restCfg, instances); err != nil {
			return planAWSParts{}, err
		}
	}
	return planAWSParts{rec: rec, clients: clients, instances: instances, vpcID: vpcID}, nil
}

// planRun plans one object after another, so each object's calls are told
// apart by their scope.
type planRun struct {
	rec       *awsclient.DryRun
	deployer  *deploy.Deployer
	nodeRules *noderules.Writer
	services  *servicecontroller.Controller
	ingresses *ingresscontroller.Controller
	members   *targetgroupbinding.Controller
	bindings  *plan.Bindings
	// planned are the stacks planned so far and by which object: an
	// explicit group is deployed once, for its first member.
	planned map[model.StackID]string
}

func scopeOf(kind string, obj client.Object) string {
	return kind + " " + obj.GetNamespace() + "/" + obj.GetName()
}

// actions are the calls recorded under scope.
func (r *planRun) actions(scope, why string) []plan.Action {
	out := []plan.Action{}
	for _, call := range r.rec.Calls() {
		if call.Scope == scope {
			out = append(out, plan.Describe(call, why))
		}
	}
	return out
}

// service plans one Service as the Service controller's reconcile would
// go: node rules first, then the deploy; or the delete. Services that are
// not kelb's are left out of the plan.
func (r *planRun) service(ctx context.Context, svc *corev1.Service) (plan.Object, bool) {
	obj := plan.Object{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
	scope := scopeOf("Service", svc)
	ctx = awsclient.WithPlanScope(ctx, scope)
	intent, err := r.services.Intent(ctx, svc)
	var why string
	switch {
	case err != nil:
		obj.Error = awsclient.Message(err)
	case intent.Deploy != nil:
		id := intent.Deploy.ID
		obj.Stacks = []string{id.String()}
		if err := r.nodeRules.Ensure(ctx, id, intent.Deploy.BackendRules); err != nil {
			obj.Error = awsclient.Message(err)
			break
		}
		res, err := r.deployer.Deploy(ctx, intent.Deploy)
		if err != nil {
			obj.Error = awsclient.Message(err)
			break
		}
		r.nodeRules.Deployed(id)
		obj.Notes = resultNotes(res)
	case intent.Delete != nil:
		obj.Stacks = []string{intent.Delete.String()}
		why = "the Service is deleted or no longer kelb's"
		err := r.deployer.Delete(ctx, *intent.Delete, deploy.DeleteOptions{LiftDeletionProtection: intent.LiftDeletionProtection})
		if errors.Is(err, deploy.ErrPending) {
			obj.Notes = append(obj.Notes, "AWS holds part of the stack back for now; a later reconcile deletes it: "+err.Error())
		} else if err != nil {
			obj.Error = awsclient.Message(err)
		} else if err := r.nodeRules.Forget(ctx, *intent.Delete); err != nil {
			obj.Error = awsclient.Message(err)
		}
	default:
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer && len(svc.Finalizers) == 0 {
			return obj, false
		}
		obj.Skipped = intent.Skip
	}
	obj.Actions = r.actions(scope, why)
	return obj, true
}

// ingress plans one Ingress's reconcile: each stack it deploys or deletes,
// in order; an explicit group's stack only with its first member.
func (r *planRun) ingress(ctx context.Context, ing *networkingv1.Ingress) (plan.Object, bool) {
	obj := plan.Object{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}
	scope := scopeOf("Ingress", ing)
	ctx = awsclient.WithPlanScope(ctx, scope)
	intent, err := r.ingresses.Intent(ctx, ing)
	if err != nil {
		obj.Error = awsclient.Message(err)
		obj.Actions = r.actions(scope, "")
		return obj, true
	}
	if intent.Skip != "" && len(intent.Steps) == 0 {
		if len(ing.Finalizers) == 0 && strings.HasPrefix(intent.Skip, "not kelb's") {
			return obj, false
		}
		obj.Skipped = intent.Skip
	}
	deployer := applicationDeployer{d: r.deployer, nodeRules: r.nodeRules}
	var why string
	for _, step := range intent.Steps {
		id := step.StackID()
		obj.Stacks = append(obj.Stacks, id.String())
		if by, ok := r.planned[id]; ok {
			obj.Notes = append(obj.Notes, fmt.Sprintf("stack %s is planned with %s", id, by))
			continue
		}
		r.planned[id] = scope
		if step.Deploy != nil {
			res, err := deployer.DeployApplication(ctx, step.Deploy)
			if err != nil {
				obj.Error = awsclient.Message(err)
				break
			}
			obj.Notes = append(obj.Notes, resultNotes(deploy.Result{RulesHeld: res.RulesHeld,
				CleanupPending: res.CleanupPending})...)
			continue
		}
		why = "the Ingress is deleted, left its group or is no longer kelb's"
		if err := deployer.Delete(ctx, step.Delete); errors.Is(err, deploy.ErrPending) {
			obj.Notes = append(obj.Notes, "AWS holds part of the stack back for now; a later reconcile deletes it")
		} else if err != nil {
			obj.Error = awsclient.Message(err)
			break
		}
	}
	obj.Actions = r.actions(scope, why)
	return obj, true
}

// binding plans one TargetGroupBinding's reconcile; a binding with nothing
// to do is left out.
func (r *planRun) binding(ctx context.Context, b plan.WrittenBinding) (plan.Object, bool) {
	tgb := b.Binding
	obj := plan.Object{Kind: "TargetGroupBinding", Namespace: tgb.Namespace, Name: tgb.Name}
	scope := scopeOf("TargetGroupBinding", tgb)
	notReady, err := r.members.Plan(awsclient.WithPlanScope(ctx, scope), tgb)
	if err != nil {
		obj.Error = awsclient.Message(err)
	}
	if notReady != "" {
		obj.Notes = append(obj.Notes, "not Ready after this pass: "+notReady)
	}
	if b.Scope != "" {
		obj.Notes = append(obj.Notes, "as "+b.Scope+"'s deploy writes it")
	}
	obj.Actions = r.actions(scope, "")
	return obj, len(obj.Actions) > 0 || obj.Error != "" || notReady != ""
}

// bindingsToPlan are the cluster's bindings as the plan's deploys leave
// them: without those deleted, with those patched or created as written.
func bindingsToPlan(ctx context.Context, reader client.Reader, written *plan.Bindings) ([]plan.WrittenBinding, error) {
	var list elbv2beta1.TargetGroupBindingList
	if err := reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing TargetGroupBindings: %w", err)
	}
	byKey := map[client.ObjectKey]int{}
	var out []plan.WrittenBinding
	for i := range list.Items {
		tgb := &list.Items[i]
		if written.Deleted(client.ObjectKeyFromObject(tgb)) {
			continue
		}
		byKey[client.ObjectKeyFromObject(tgb)] = len(out)
		out = append(out, plan.WrittenBinding{Binding: tgb})
	}
	for _, w := range written.Written() {
		if i, ok := byKey[client.ObjectKeyFromObject(w.Binding)]; ok {
			out[i] = w
			continue
		}
		byKey[client.ObjectKeyFromObject(w.Binding)] = len(out)
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return planKey(out[i].Binding) < planKey(out[j].Binding) })
	return out, nil
}

// resultNotes say what the controller does on a later pass.
func resultNotes(res deploy.Result) []string {
	var out []string
	if res.RulesHeld {
		out = append(out, "some listeners keep forwarding to their old target groups until the new ones' "+
			"targets are registered; a reconcile a second later moves them")
	}
	if res.CleanupPending != nil {
		out = append(out, "clean-up waits for AWS: "+res.CleanupPending.Error())
	}
	return out
}

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

// planScheme is Run's scheme.
func planScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, ec2v1alpha1.AddToScheme,
		elbv2.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	return scheme, nil
}

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
