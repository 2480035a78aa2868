package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

// Region every world lives in.
const Region = "us-west-2"

var zones = []string{"us-west-2a", "us-west-2b", "us-west-2c"}

var accountSeq atomic.Int64

// NewAccount returns a fresh emulator account id; the proxy gives each
// 12-digit access key its own account, so worlds do not see each other.
func NewAccount() string {
	return fmt.Sprintf("%012d", 100000000000+accountSeq.Add(1)*1000+int64(time.Now().UnixNano()%1000))
}

// World is a seeded AWS account: a VPC with subnets in three zones tagged
// for the cluster (public ones routed to an internet gateway, private ones
// on the VPC's main route table, as a real VPC has them), a node security
// group and instances, plus the Node objects of those instances.
type World struct {
	Account        string
	Cluster        string
	VPCID          string
	VPCCIDR        string
	PublicSubnets  []string
	PrivateSubnets []string
	NodeSG         string
	Instances      []string
	Nodes          []string
	// Clients are for seeding and observing; their calls are logged with
	// caller Account+ObserverSuffix, so they never count as kelb's.
	Clients *awsclient.Clients
	// Credentials are kelb's: the bare account id.
	Credentials aws.CredentialsProvider
}

// ObserverSuffix marks the access key of everything that is not kelb:
// such callers are administrators the proxy's IAM policy does not bind
// (seeding, observing, and "other parties" making foreign resources).
const ObserverSuffix = "observer"

// Credentials signing with accessKey (an account id, maybe with a suffix).
func Credentials(accessKey string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(accessKey, "secret", "")
}

// AWSClients returns SDK clients signing with accessKey through the proxy,
// with few retries so tests see faults.
func (e *Env) AWSClients(ctx context.Context, accessKey string) (*awsclient.Clients, error) {
	return awsclient.NewClients(ctx, awsclient.Config{Region: Region, Endpoints: awsclient.EndpointsFor(e.ProxyURL),
		MaxRetries: 2, Credentials: Credentials(accessKey)})
}

// EndpointsFlag is --aws-api-endpoints (LBC's form) sending every service
// kelb calls to the proxy.
func (e *Env) EndpointsFlag() string {
	return awsclient.FormatEndpoints(awsclient.EndpointsFor(e.ProxyURL))
}

// WarmUp makes moto load what every world needs (moto sets up a service
// on its first call, and an account on its first call there), in an account
// of its own, so that the first test's Seed does not pay for it.
func (e *Env) WarmUp(ctx context.Context) error {
	c, err := e.AWSClients(ctx, NewAccount()+ObserverSuffix)
	if err != nil {
		return err
	}
	if _, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		return fmt.Errorf("warming up the emulator's EC2: %w", err)
	}
	if _, err := c.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{}); err != nil {
		return fmt.Errorf("warming up the emulator's ELBv2: %w", err)
	}
	return nil
}

// Seed creates a world for cluster in a new account and its Node objects
// through c.
func (e *Env) Seed(ctx context.Context, c client.Client, cluster string, nodes int) (*World, error) {
	w := &World{Account: NewAccount(), Cluster: cluster, VPCCIDR: "10.0.0.0/16"}
	w.Credentials = Credentials(w.Account)
	var err error
	if w.Clients, err = e.AWSClients(ctx, w.Account+ObserverSuffix); err != nil {
		return nil, err
	}
	api := w.Clients.EC2
	vpc, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(w.VPCCIDR)})
	if err != nil {
		return nil, fmt.Errorf("seeding VPC: %w", err)
	}
	w.VPCID = aws.ToString(vpc.Vpc.VpcId)
	clusterTag := "kubernetes.io/cluster/" + cluster
	for i, az := range zones {
		for _, kind := range []struct {
			cidr, role, name string
			into             *[]string
		}{
			{fmt.Sprintf("10.0.%d.0/24", i), "kubernetes.io/role/elb", "public", &w.PublicSubnets},
			{fmt.Sprintf("10.0.%d.0/24", 10+i), "kubernetes.io/role/internal-elb", "private", &w.PrivateSubnets},
		} {
			sn, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(w.VPCID), CidrBlock: aws.String(kind.cidr),
				AvailabilityZone: aws.String(az), TagSpecifications: []ec2types.TagSpecification{{
					ResourceType: ec2types.ResourceTypeSubnet, Tags: []ec2types.Tag{
						{Key: aws.String(kind.role), Value: aws.String("1")},
						{Key: aws.String(clusterTag), Value: aws.String("shared")},
						{Key: aws.String("Name"), Value: aws.String(fmt.Sprintf("%s-%s-%s", cluster, kind.name, az))},
					}}}})
			if err != nil {
				return nil, fmt.Errorf("seeding subnet %s: %w", kind.cidr, err)
			}
			*kind.into = append(*kind.into, aws.ToString(sn.Subnet.SubnetId))
		}
	}
	if err := routePublicSubnets(ctx, api, w); err != nil {
		return nil, err
	}
	sg, err := api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(cluster + "-nodes"),
		Description: aws.String("nodes of " + cluster), VpcId: aws.String(w.VPCID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags: []ec2types.Tag{{Key: aws.String(clusterTag), Value: aws.String("owned")}}}}})
	if err != nil {
		return nil, fmt.Errorf("seeding node security group: %w", err)
	}
	w.NodeSG = aws.ToString(sg.GroupId)
	// Node i lives in zone i%3. One launch per zone rather than per node:
	// a world of hundreds of nodes seeds in seconds.
	instances := make([]ec2types.Instance, nodes)
	for z := range zones {
		count := (nodes - z + len(zones) - 1) / len(zones)
		if count <= 0 {
			continue
		}
		run, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"),
			MinCount: aws.Int32(int32(count)), MaxCount: aws.Int32(int32(count)), InstanceType: ec2types.InstanceTypeM5Large,
			SubnetId: aws.String(w.PrivateSubnets[z]), SecurityGroupIds: []string{w.NodeSG}})
		if err != nil {
			return nil, fmt.Errorf("seeding instances: %w", err)
		}
		if len(run.Instances) != count {
			return nil, fmt.Errorf("seeding instances: %d launched in %s, want %d", len(run.Instances), zones[z], count)
		}
		for j, in := range run.Instances {
			instances[z+j*len(zones)] = in
		}
	}
	for i, in := range instances {
		id, ip := aws.ToString(in.InstanceId), aws.ToString(in.PrivateIpAddress)
		w.Instances = append(w.Instances, id)
		name := fmt.Sprintf("ip-%s.%s.compute.internal", dashed(ip), Region)
		if err := CreateNode(ctx, c, name, fmt.Sprintf("aws:///%s/%s", zones[i%len(zones)], id), ip); err != nil {
			return nil, err
		}
		w.Nodes = append(w.Nodes, name)
	}
	return w, nil
}

// CreateNode creates a ready Node; there is no kubelet to do it.
func CreateNode(ctx context.Context, c client.Client, name, providerID, ip string) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/os": "linux"}},
		Spec: corev1.NodeSpec{ProviderID: providerID}}
	if err := c.Create(ctx, n); err != nil {
		return fmt.Errorf("creating node %s: %w", name, err)
	}
	n.Status = corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(), Reason: "KubeletReady"}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}},
	}
	if err := c.Status().Update(ctx, n); err != nil {
		return fmt.Errorf("marking node %s ready: %w", name, err)
	}
	return nil
}

func dashed(ip string) string {
	out := []byte(ip)
	for i, b := range out {
		if b == '.' {
			out[i] = '-'
		}
	}
	return string(out)
}

// routePublicSubnets gives the VPC an internet gateway and the public
// subnets a route table to it, so that they are public by their routes too
// (what LBC's discovery falls back to when no subnet carries a role tag).
func routePublicSubnets(ctx context.Context, api *ec2.Client, w *World) error {
	igw, err := api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		return fmt.Errorf("seeding internet gateway: %w", err)
	}
	igwID := igw.InternetGateway.InternetGatewayId
	if _, err := api.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igwID,
		VpcId: aws.String(w.VPCID)}); err != nil {
		return fmt.Errorf("attaching internet gateway: %w", err)
	}
	rt, err := api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(w.VPCID)})
	if err != nil {
		return fmt.Errorf("seeding public route table: %w", err)
	}
	rtID := rt.RouteTable.RouteTableId
	if _, err := api.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rtID,
		DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igwID}); err != nil {
		return fmt.Errorf("seeding route to the internet gateway: %w", err)
	}
	for _, id := range w.PublicSubnets {
		if _, err := api.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rtID,
			SubnetId: aws.String(id)}); err != nil {
			return fmt.Errorf("associating subnet %s with the public route table: %w", id, err)
		}
	}
	return nil
}
