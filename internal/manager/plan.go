package manager

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/controllers/noderules"
	servicecontroller "github.com/kelb-dev/kelb/internal/controllers/service"
	"github.com/kelb-dev/kelb/internal/controllers/targetgroupbinding"
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
	rec := awsclient.NewDryRun(o.AWSRegion)
	aws, err := setUpAWS(ctx, restCfg, o, ov, clk, rec.Middleware)
	if err != nil {
		return nil, err
	}
	clients, instances, vpcID := aws.clients, aws.instances, aws.vpcID
	rec.Region = clients.Region
	rec.Listeners = listenerLookup(clients.ELBV2)
	defaultTags, _ := parseTags(o.DefaultTags)
	uid, err := clusterUID(ctx, restCfg)
	if err != nil {
		return nil, err
	}
	scheme, err := newScheme()
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
	deployer := newDeployer(o, aws, uid, clk, record, bindings)
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
