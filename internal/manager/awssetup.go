package manager

import (
	"context"

	smithymiddleware "github.com/aws/smithy-go/middleware"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	ec2v1alpha1 "github.com/kelb-dev/kelb/api/ec2/v1alpha1"
	"github.com/kelb-dev/kelb/api/elbv2"
	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/cloud"
	"github.com/kelb-dev/kelb/internal/deploy"
	"github.com/kelb-dev/kelb/internal/ownership"
)

// awsSetup is what Run and Plan build first: the AWS clients, the instance
// provider and the cluster's VPC.
type awsSetup struct {
	clients   *awsclient.Clients
	instances *cloud.Instances
	vpcID     string
}

// setUpAWS builds the AWS clients from the flags (apiOptions go in front of
// kelb's own middleware: a dry run's recorder) and finds the VPC: the flag,
// else LBC's --aws-vpc-tags, else the nodes' instances.
func setUpAWS(ctx context.Context, restCfg *rest.Config, o Options, ov Overrides, clk clock.Clock,
	apiOptions ...func(*smithymiddleware.Stack) error) (awsSetup, error) {
	endpoints, err := awsclient.ParseEndpoints(o.AWSAPIEndpoints)
	if err != nil {
		return awsSetup{}, err
	}
	throttle, err := awsclient.ParseThrottle(o.AWSAPIThrottle)
	if err != nil {
		return awsSetup{}, err
	}
	clients, err := awsclient.NewClients(ctx, awsclient.Config{Region: o.AWSRegion, Endpoints: endpoints,
		MaxRetries: o.AWSMaxRetries, Throttle: throttle, Credentials: ov.Credentials, APIOptions: apiOptions})
	if err != nil {
		return awsSetup{}, err
	}
	instances := cloud.NewInstances(clients.EC2, o.ClusterName, clk)
	vpcID := o.AWSVPCID
	if vpcID == "" && len(o.AWSVPCTags) > 0 {
		if vpcID, err = vpcByTag(ctx, clients.EC2, o.AWSVPCTagKey, o.AWSVPCTags[o.AWSVPCTagKey]); err != nil {
			return awsSetup{}, err
		}
	}
	if vpcID == "" {
		if vpcID, err = discoverVPC(ctx, restCfg, instances); err != nil {
			return awsSetup{}, err
		}
	}
	return awsSetup{clients: clients, instances: instances, vpcID: vpcID}, nil
}

// newDeployer is the stack deployer of Run and Plan; they differ only in
// where TargetGroupBindings go.
func newDeployer(o Options, aws awsSetup, uid string, clk clock.Clock, record *ownership.Record,
	bindings deploy.BindingClient) *deploy.Deployer {
	return deploy.New(deploy.Deps{
		Config: deploy.Config{ClusterName: o.ClusterName, ClusterUID: uid, VPCID: aws.vpcID, BackendSGID: o.BackendSG,
			DriftPeriod: o.DriftPeriod, UnrestrictedBackendRules: o.DisableRestrictedRules},
		ELBV2: aws.clients.ELBV2, EC2: aws.clients.EC2, Tagging: aws.clients.Tagging, Clock: clk, Record: record,
		AddOns: addOnClients(o, aws.clients), Bindings: bindings,
	})
}

// newScheme holds every kind kelb reads or writes.
func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, ec2v1alpha1.AddToScheme,
		elbv2.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	return scheme, nil
}
