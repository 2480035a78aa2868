package manager

import (
	"context"

	"k8s.io/client-go/metadata"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	"github.com/kelb-dev/kelb/internal/controllers"
	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/controllers/noderules"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
)

// applicationDeployer hands Ingress stacks to the stack deployer, after
// the AWS inventory is loaded (as the Service controller does). After a
// delete it asks the node-rules writer for a run, as the Service controller
// does: the stack's target groups kept their ports on the node groups
// until they were gone.
type applicationDeployer struct {
	d         *deploy.Deployer
	nodeRules *noderules.Writer
}

func (a applicationDeployer) DeployApplication(ctx context.Context,
	stack *model.ApplicationStack) (ingresscontroller.Deployed, error) {
	if err := a.d.EnsureLoaded(ctx); err != nil {
		return ingresscontroller.Deployed{}, err
	}
	res, err := a.d.DeployApplication(ctx, stack)
	return ingresscontroller.Deployed{DNSName: res.DNSName, Provisioning: res.Provisioning,
		CleanupPending: res.CleanupPending, RulesHeld: res.RulesHeld}, err
}

func (a applicationDeployer) Delete(ctx context.Context, id model.StackID) error {
	if err := a.d.EnsureLoaded(ctx); err != nil {
		return err
	}
	if err := a.d.Delete(ctx, id, deploy.DeleteOptions{}); err != nil {
		return err
	}
	return a.nodeRules.Forget(ctx, id)
}

// ingressClassFlags are the flags that decide which Ingresses kelb serves.
func ingressClassFlags(o Options) ingresscontroller.ClassFlags {
	return ingresscontroller.ClassFlags{IngressClass: o.IngressClass}
}

// sweptIngresses gives the orphan sweeper the Ingress controller's class
// flags when it runs; without it Ingress stacks are left alone.
func sweptIngresses(o Options) *ingresscontroller.ClassFlags {
	if !o.EnableIngress {
		return nil
	}
	f := ingressClassFlags(o)
	return &f
}

// addOns are --enable-wafv2, --enable-waf and --enable-shield.
func addOns(o Options) ingress.AddOns {
	return ingress.AddOns{WAFv2: o.LBC.EnableWAFV2, WAF: o.LBC.EnableWAF, Shield: o.LBC.EnableShield}
}

// addOnClients are the deployer's add-on clients: only those whose flag is
// on, so that an add-on turned off is never called, whatever a stack says.
func addOnClients(o Options, clients *awsclient.Clients) deploy.AddOnClients {
	var c deploy.AddOnClients
	if o.LBC.EnableWAFV2 {
		c.WAFv2 = clients.WAFv2
	}
	if o.LBC.EnableWAF {
		c.WAFRegional = clients.WAFRegional
	}
	if o.LBC.EnableShield {
		c.Shield = clients.Shield
	}
	return c
}

// ingressController returns the Ingress controller.
func ingressController(mgr ctrl.Manager, o Options, clients *awsclient.Clients, deployer *deploy.Deployer,
	nodeRules *noderules.Writer, subnets *cloud.Subnets, vpcID string, defaultTags map[string]string, clk clock.Clock) controllers.Controller {
	deps := ingressDeps(o, clients, deployer, nodeRules, subnets, vpcID, defaultTags, clk)
	deps.Client, deps.Recorder, deps.Secrets = mgr.GetClient(), mgr.GetEventRecorder("kelb-ingress"), mgr.GetAPIReader()
	deps.SecretWatch = ingresscontroller.NewSecretWatch(metadata.NewForConfigOrDie(mgr.GetConfig()))
	return ingresscontroller.NewController(deps)
}

// ingressDeps are the Ingress controller's dependencies but its clients,
// recorder and Secret watch: the same for the controller and for kelb plan.
func ingressDeps(o Options, clients *awsclient.Clients, deployer *deploy.Deployer, nodeRules *noderules.Writer,
	subnets *cloud.Subnets, vpcID string, defaultTags map[string]string, clk clock.Clock) ingresscontroller.Deps {
	return ingresscontroller.Deps{
		Deployer:            applicationDeployer{d: deployer, nodeRules: nodeRules},
		Subnets:             subnets,
		Certificates:        cloud.NewACMCertificates(clients.ACM, clk),
		CertificateStatuses: cloud.NewCertificates(clients.ACM, clients.IAM, clk),
		SecurityGroupNames:  cloud.NewSecurityGroupNames(clients.EC2, vpcID, clk),
		SSLPolicies:         cloud.NewApplicationSSLPolicies(clients.ELBV2, clk),
		TargetGroups:        cloud.NewTargetGroupLookup(clients.ELBV2, clk),
		WebACLNames:         cloud.NewWebACLNames(clients.WAFv2, clk),
		WebACLs:             cloud.NewWebACLLookup(clients.WAFv2, clk),
		ClassicWebACLs:      cloud.NewClassicWebACLs(clients.WAFRegional, clk),
		Config: ingress.Config{ClusterName: o.ClusterName, DefaultTags: defaultTags,
			DefaultTagsLowPriority: o.FeatureGates.Enabled("EnableDefaultTagsLowPriority"),
			ExternalManagedTags:    o.externalManagedTags(), DefaultTargetType: o.DefaultTargetType,
			DefaultSSLPolicy: o.DefaultSSLPolicy, DefaultScheme: o.DefaultScheme,
			IPTargetsDisabled: !o.FeatureGates.Enabled("EnableIPTargetType"), SecurityGroups: o.securityGroupFlags(),
			UnrestrictedBackendRules: o.DisableRestrictedRules, AddOns: addOns(o)},
		IngressClass:                      o.IngressClass,
		DisableIngressClassAnnotation:     o.LBC.DisableIngressClassAnnotation,
		AddOns:                            addOns(o),
		DisableIngressGroupNameAnnotation: o.LBC.DisableIngressGroupNameAnnotation,
		AllowedCertificateAuthorities:     o.LBC.AllowedCertificateAuthorityARNs,
		DriftPeriod:                       o.DriftPeriod,
		MaxConcurrentReconciles:           o.LBC.IngressMaxConcurrent,
		Clock:                             clk,
	}
}
