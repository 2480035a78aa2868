package manager

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	"github.com/kelb-dev/kelb/internal/controllers"
	"github.com/kelb-dev/kelb/internal/controllers/lbstate"
	"github.com/kelb-dev/kelb/internal/controllers/noderules"
	"github.com/kelb-dev/kelb/internal/controllers/refresh"
	servicecontroller "github.com/kelb-dev/kelb/internal/controllers/service"
	"github.com/kelb-dev/kelb/internal/controllers/sweeper"
	"github.com/kelb-dev/kelb/internal/controllers/targetgroupbinding"
	"github.com/kelb-dev/kelb/internal/controllers/vpcendpoint"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ownership"
	"github.com/kelb-dev/kelb/internal/service"
	vpcendpointtags "github.com/kelb-dev/kelb/internal/vpcendpoint"
)

// Overrides replace parts of the real environment, for tests.
type Overrides struct {
	Credentials aws.CredentialsProvider
	Clock       clock.Clock
	// SeveralManagers allows more than one manager in a process (tests).
	SeveralManagers bool
	// WebhookHost is the address the webhook server listens on (default:
	// every address); WebhookGeneratedCertDir is where a certificate kelb
	// makes is written (default: a folder under the temporary directory).
	WebhookHost             string
	WebhookGeneratedCertDir string
}

// Leader election, in kelb's own namespace (the marker's namespace stands
// for it: the chart's Role is put in the release namespace): the Lease is
// read, created and renewed (released by an update), and each change of
// leader is recorded as a core event on it.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update,namespace=kube-system
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch,namespace=kube-system

// Run starts kelb and blocks until ctx ends.
func Run(ctx context.Context, restCfg *rest.Config, o Options, ov Overrides) error {
	if err := o.Validate(); err != nil {
		return err
	}
	clk := ov.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	aws, err := setUpAWS(ctx, restCfg, o, ov, clk)
	if err != nil {
		return err
	}
	clients, instances, vpcID := aws.clients, aws.instances, aws.vpcID
	defaultTags, _ := parseTags(o.DefaultTags)
	uid, err := clusterUID(ctx, restCfg)
	if err != nil {
		return err
	}

	scheme, err := newScheme()
	if err != nil {
		return err
	}
	var hooks *webhookParts
	if o.EnableWebhook {
		hooks = newWebhook(ctx, restCfg, scheme, o, ov, clk)
	}
	cacheOpts := cache.Options{SyncPeriod: &o.SyncPeriod, DefaultTransform: cache.TransformStripManagedFields()}
	if o.WatchNamespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{o.WatchNamespace: {}}
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                        scheme,
		Cache:                         cacheOpts,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsBindAddr},
		HealthProbeBindAddress:        o.HealthProbeBindAddr,
		LeaderElection:                o.EnableLeaderElection,
		LeaderElectionID:              o.LeaderElectionID,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: &ov.SeveralManagers},
		LeaseDuration:                 leaseDuration(o.LeaderElectionLeaseDuration),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	reportAccessDeniedOnPod(clients, mgr.GetEventRecorder("kelb"))
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return err
	}

	if hooks != nil {
		if err := hooks.register(mgr, o); err != nil {
			return err
		}
	}

	record := &ownership.Record{}
	// Bindings are read from the API server: one just created is found by
	// the next deploy.
	deployer := newDeployer(o, aws, uid, clk, record, struct {
		client.Reader
		client.Writer
	}{mgr.GetAPIReader(), mgr.GetClient()})
	changed := make(chan event.GenericEvent, 1024)
	subnets := cloud.NewSubnets(clients.EC2, vpcID, o.ClusterName, clk)
	subnets.ClusterTagCheck, subnets.ByReachability = o.FeatureGates.SubnetDiscovery()
	deps := serviceDeps(o, clients, deployer, subnets, instances, vpcID, defaultTags, clk)
	deps.Client, deps.Recorder, deps.Changed = mgr.GetClient(), mgr.GetEventRecorder("kelb-service"), changed
	services := servicecontroller.NewController(deps)
	nodeRules := noderules.New(noderules.Deps{Deployer: deployer, Needs: services,
		Protected: &noderules.LBCObjects{Client: mgr.GetClient(), IngressClass: o.IngressClass}, Period: o.DriftPeriod})
	services.NodeRules = nodeRules
	err = controllers.Register(ctx, mgr,
		services,
		nodeRules,
		refresh.NewController(refresh.Deps{Deployer: deployer, Period: o.DriftPeriod, Changed: changed}),
		lbstate.NewController(lbstate.Deps{Deployer: deployer, Changed: changed}),
		sweeper.NewController(sweeper.Deps{Cache: mgr.GetClient(), Reader: mgr.GetAPIReader(), Deployer: deployer,
			Record: record, Store: &ownership.Store{Reader: mgr.GetAPIReader(), Writer: mgr.GetClient(),
				Key: types.NamespacedName{Namespace: recordNamespace(o), Name: ownership.DefaultName}},
			LoadBalancerClass: o.LoadBalancerClass, WatchNamespace: o.WatchNamespace, Ingress: sweptIngresses(o),
			Mode: o.OrphanSweep, Interval: o.OrphanSweepInterval, Grace: o.OrphanGracePeriod, Clock: clk,
			NodeRules: nodeRules}),
		vpcendpoint.NewController(vpcendpoint.Deps{
			Client:   mgr.GetClient(),
			Reader:   mgr.GetAPIReader(),
			Recorder: mgr.GetEventRecorder("kelb-vpcendpoint"),
			EC2:      clients.EC2,
			Tracker: vpcendpoint.NewTracker(clients.EC2, vpcendpointtags.Cluster{Name: o.ClusterName, UID: uid},
				o.DriftPeriod, clk),
			Config: vpcendpoint.Config{ClusterName: o.ClusterName, ClusterUID: uid, VPCID: vpcID, Region: clients.Region,
				DefaultTags: defaultTags, DeletionPolicy: o.DeletionPolicy, PollInterval: o.VPCEndpointPollInterval,
				MaxConcurrent: o.VPCEndpointMaxConcurrent, OrphanSweep: o.OrphanSweep, OrphanGrace: o.OrphanGracePeriod,
				OrphanInterval: o.OrphanSweepInterval},
			Clock: clk,
		}),
		targetgroupbinding.NewController(targetgroupbinding.Deps{
			Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("kelb-targetgroupbinding"),
			ELBV2: clients.ELBV2, Clock: clk, NodeRules: nodeRules, Instances: instances,
			KnownTargetGroups: knownTargetGroups(deployer, vpcID),
			Config:            bindingConfig(o, uid),
		}),
	)
	if err != nil {
		return err
	}
	if o.EnableIngress {
		// Off only when another controller (LBC) keeps the Ingresses.
		if err := controllers.Register(ctx, mgr,
			ingressController(mgr, o, clients, deployer, nodeRules, subnets, vpcID, defaultTags, clk)); err != nil {
			return err
		}
	}
	log.FromContext(ctx).Info("starting kelb", "cluster", o.ClusterName, "clusterUID", uid, "vpc", vpcID, "region", o.AWSRegion)
	if gates := o.FeatureGates.Unhonoured(); len(gates) > 0 {
		log.FromContext(ctx).Info("feature gates accepted but without effect in kelb", "gates", gates)
	}
	return mgr.Start(ctx)
}

// knownTargetGroups lets the binding controller find kelb's own target
// groups in the deployer's inventory (loaded in bulk) instead of reading
// each from AWS.
func knownTargetGroups(d *deploy.Deployer, vpcID string) targetgroupbinding.KnownTargetGroups {
	return func(ctx context.Context, arn string) (targetgroupbinding.KnownTargetGroup, bool) {
		if d.EnsureLoaded(ctx) != nil {
			return targetgroupbinding.KnownTargetGroup{}, false
		}
		tg, ok := d.Inventory().TargetGroup(arn)
		return targetgroupbinding.KnownTargetGroup{ARN: tg.ARN, Name: tg.Name, TargetType: tg.TargetType,
			IPAddressType: tg.IPAddressType, VPCID: vpcID, Tags: tg.Tags}, ok
	}
}

// discoverVPC finds the cluster's VPC from its nodes' instances.
func discoverVPC(ctx context.Context, restCfg *rest.Config, instances *cloud.Instances) (string, error) {
	c, err := client.New(restCfg, client.Options{})
	if err != nil {
		return "", err
	}
	var nodes corev1.NodeList
	if err := c.List(ctx, &nodes); err != nil {
		return "", fmt.Errorf("listing nodes to find the VPC: %w", err)
	}
	ptrs := make([]*corev1.Node, len(nodes.Items))
	for i := range nodes.Items {
		ptrs[i] = &nodes.Items[i]
	}
	ids := service.InstanceIDs(ptrs)
	if len(ids) == 0 {
		return "", fmt.Errorf("no node has an AWS provider id to find the VPC from: set --aws-vpc-id")
	}
	return instances.VPC(ctx, ids)
}

// serviceDeps are the Service controller's dependencies but its client,
// recorder and change feed: the same for the controller and for kelb plan.
func serviceDeps(o Options, clients *awsclient.Clients, deployer *deploy.Deployer, subnets *cloud.Subnets,
	instances *cloud.Instances, vpcID string, defaultTags map[string]string, clk clock.Clock) servicecontroller.Deps {
	return servicecontroller.Deps{
		Deployer:           deployer,
		Subnets:            subnets,
		Instances:          instances,
		VPC:                cloud.NewVPC(clients.EC2, vpcID, clk),
		SecurityGroupNames: cloud.NewSecurityGroupNames(clients.EC2, vpcID, clk),
		PrefixLists:        cloud.NewPrefixLists(clients.EC2, clk),
		Certificates:       cloud.NewCertificates(clients.ACM, clients.IAM, clk),
		SSLPolicies:        cloud.NewSSLPolicies(clients.ELBV2, clk),
		Config: service.Config{ClusterName: o.ClusterName, DefaultTags: defaultTags,
			DefaultTargetType: o.DefaultTargetType, DefaultSSLPolicy: o.DefaultSSLPolicy,
			SecurityGroups: o.securityGroupFlags(), ExternalManagedTags: o.externalManagedTags(),
			DefaultScheme: o.DefaultScheme, Gates: o.FeatureGates.Service(),
			UnrestrictedBackendRules: o.DisableRestrictedRules},
		LoadBalancerClass:       o.LoadBalancerClass,
		DriftPeriod:             o.DriftPeriod,
		MaxConcurrentReconciles: o.ServiceMaxConcurrent,
		Clock:                   clk,
	}
}

// bindingConfig is the TargetGroupBinding controller's configuration, the
// same for the controller and for kelb plan.
func bindingConfig(o Options, uid string) targetgroupbinding.Config {
	return targetgroupbinding.Config{ClusterName: o.ClusterName, ClusterUID: uid, Resync: o.DriftPeriod,
		MaxConcurrent: o.LBC.TargetGroupBindingMaxConcurrent, MaxBackoff: o.LBC.TargetGroupBindingMaxBackoff,
		ClaimsService: func(s *corev1.Service) bool {
			return service.OwnershipOf(s, o.LoadBalancerClass) == service.Claimed
		}}
}
