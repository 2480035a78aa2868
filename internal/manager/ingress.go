package manager

import (
	"context"
	"errors"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	"github.com/kelb-dev/kelb/internal/controllers"
	ingresscontroller "github.com/kelb-dev/kelb/internal/controllers/ingress"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ingress"
	"github.com/kelb-dev/kelb/internal/model"
)

// errNoApplicationDeployer: this build's deployer does not make
// application load balancers yet; Validate refuses --enable-ingress until
// it does, so the controller never runs against it.
var errNoApplicationDeployer = errors.New("kelb cannot deploy application load balancers yet")

// applicationDeployer hands Ingress stacks to the stack deployer.
//
// Temporary: once the deployer serves application stacks
// (DeployApplication, and Delete of Ingress stacks), these two methods call
// it (after EnsureLoaded, as the Service controller does) and Validate stops
// refusing --enable-ingress.
type applicationDeployer struct{ d *deploy.Deployer }

func (a applicationDeployer) DeployApplication(context.Context,
	*model.ApplicationStack) (ingresscontroller.Deployed, error) {
	return ingresscontroller.Deployed{}, errNoApplicationDeployer
}

func (a applicationDeployer) Delete(context.Context, model.StackID) error {
	return errNoApplicationDeployer
}

// ingressController returns the Ingress controller.
func ingressController(mgr ctrl.Manager, o Options, clients *awsclient.Clients, deployer *deploy.Deployer,
	subnets *cloud.Subnets, vpcID string, defaultTags map[string]string, clk clock.Clock) controllers.Controller {
	return ingresscontroller.NewController(ingresscontroller.Deps{
		Client:             mgr.GetClient(),
		Recorder:           mgr.GetEventRecorder("kelb-ingress"),
		Deployer:           applicationDeployer{deployer},
		Subnets:            subnets,
		Certificates:       cloud.NewACMCertificates(clients.ACM, clk),
		SecurityGroupNames: cloud.NewSecurityGroupNames(clients.EC2, vpcID, clk),
		Config: ingress.Config{ClusterName: o.ClusterName, DefaultTags: defaultTags,
			DefaultTagsLowPriority: o.FeatureGates.Enabled("EnableDefaultTagsLowPriority"),
			ExternalManagedTags:    o.externalManagedTags(), DefaultTargetType: o.DefaultTargetType,
			DefaultSSLPolicy: o.DefaultSSLPolicy, DefaultScheme: o.DefaultScheme,
			IPTargetsDisabled: !o.FeatureGates.Enabled("EnableIPTargetType"), SecurityGroups: o.securityGroupFlags(),
			UnrestrictedBackendRules: o.DisableRestrictedRules},
		IngressClass:                  o.IngressClass,
		AllowedCertificateAuthorities: o.LBC.AllowedCertificateAuthorityARNs,
		DriftPeriod:                   o.DriftPeriod,
		MaxConcurrentReconciles:       o.LBC.IngressMaxConcurrent,
		Clock:                         clk,
	})
}
