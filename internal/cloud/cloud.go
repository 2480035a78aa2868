// Package cloud resolves AWS facts the builders need (subnets, the security
// groups of nodes, the VPC, SSL policies, certificates) through caches, so that many reconciles cost few
// AWS calls. Every cache lifetime is a named constant here.
package cloud

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Cache lifetimes.
const (
	// SubnetTTL bounds how long a new or retagged subnet goes unseen.
	SubnetTTL = 5 * time.Minute
	// SubnetMissRefresh is the least time between re-reads caused by a
	// subnet name that is not in the cache.
	SubnetMissRefresh = 30 * time.Second
	// InstanceTTL bounds how long a changed node security group goes unseen.
	InstanceTTL = 30 * time.Minute
	// SecurityGroupTTL bounds how long a security group renamed (its Name
	// tag) goes unseen by a Service naming it.
	SecurityGroupTTL = 5 * time.Minute
	// SecurityGroupMissTTL is how long a name no group has is believed so.
	SecurityGroupMissTTL = 30 * time.Second
	// VPCTTL bounds how long a CIDR block added to the VPC goes unseen.
	VPCTTL = 30 * time.Minute
	// SSLPolicyTTL bounds how long a new SSL policy goes unseen: AWS adds
	// one every year or two.
	SSLPolicyTTL = 24 * time.Hour
	// CertificateTTL bounds how long a certificate deleted from ACM or IAM
	// goes unseen (AWS then refuses the listener change itself).
	CertificateTTL = 10 * time.Minute
	// CertificateUnusableTTL is how long a certificate that is missing or
	// not issued is believed so: no longer than the first retry's wait, so
	// that every retry of a waiting Service reads it again.
	CertificateUnusableTTL = 10 * time.Second
	// ACMListTTL bounds how long a certificate newly issued in ACM goes
	// unseen by certificate discovery (LBC: 1 minute).
	ACMListTTL = time.Minute
	// ACMImportedTTL bounds how long a re-imported certificate's new names
	// go unseen (LBC: 5 minutes).
	ACMImportedTTL = 5 * time.Minute
	// ACMIssuedTTL is how long the names of a certificate ACM issued are
	// kept: they never change (LBC: 10 hours).
	ACMIssuedTTL = 10 * time.Hour
)

// EC2 is the part of the EC2 API the providers call.
type EC2 interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
}

// ELBV2 is the part of the ELBv2 API the providers call.
type ELBV2 interface {
	DescribeSSLPolicies(context.Context, *elbv2.DescribeSSLPoliciesInput, ...func(*elbv2.Options)) (*elbv2.DescribeSSLPoliciesOutput, error)
}

// ACM is the part of the ACM API the providers call.
type ACM interface {
	DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
}

// IAM is the part of the IAM API the providers call.
type IAM interface {
	GetServerCertificate(context.Context, *iam.GetServerCertificateInput, ...func(*iam.Options)) (*iam.GetServerCertificateOutput, error)
}
