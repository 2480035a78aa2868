package integration

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
	"github.com/kelb-dev/kelb/internal/testenv"
)

// twinCluster starts a second cluster with the same cluster name in the same
// AWS account and VPC as cl: its own apiserver, nodes (instances in cl's
// subnets with their own security group) and kelb, whose calls the log
// tells apart by its access key.
func twinCluster(t *testing.T, cl *cluster, nodes int) *cluster {
	t.Helper()
	kube, c := startKube(t)
	world := *cl.world
	world.Account = cl.world.Account + "twin"
	world.Credentials = testenv.Credentials(world.Account)
	world.Instances, world.Nodes = nil, nil
	ctx := t.Context()
	api := cl.world.Clients.EC2
	sg, err := api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(cl.world.Cluster + "-twin-nodes"),
		Description: aws.String("nodes of the twin"), VpcId: aws.String(cl.world.VPCID),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags: []ec2types.Tag{{Key: aws.String("kubernetes.io/cluster/" + cl.world.Cluster), Value: aws.String("owned")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	world.NodeSG = aws.ToString(sg.GroupId)
	for i := range nodes {
		run, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1),
			MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeM5Large, SubnetId: aws.String(cl.world.PrivateSubnets[i%3]),
			SecurityGroupIds: []string{world.NodeSG}})
		if err != nil {
			t.Fatal(err)
		}
		in := run.Instances[0]
		name := fmt.Sprintf("twin-%d.%s.compute.internal", i, testenv.Region)
		zone := aws.ToString(in.Placement.AvailabilityZone)
		if err := testenv.CreateNode(ctx, c, name, fmt.Sprintf("aws:///%s/%s", zone, aws.ToString(in.InstanceId)),
			aws.ToString(in.PrivateIpAddress)); err != nil {
			t.Fatal(err)
		}
		world.Instances, world.Nodes = append(world.Instances, aws.ToString(in.InstanceId)), append(world.Nodes, name)
	}
	return &cluster{t: t, kube: kube, c: c, world: &world, opts: cl.opts}
}

// TestSameClusterNameTwoClusters: two clusters share a cluster name, an AWS
// account and a VPC (a copied values file). Each has a Service default/web
// and one of its own, and an orphan stack it made; both sweepers run every
// second with a 2 s grace period. Each kelb deletes its own orphan and
// never deletes, changes or adopts anything of the other's.
func TestSameClusterNameTwoClusters(t *testing.T) {
	a := newCluster(t, 2)
	b := twinCluster(t, a, 2)
	uidA, uidB := a.uid(), b.uid()
	if uidA == uidB {
		t.Fatalf("both clusters have identity %s", uidA)
	}
	// Orphans each cluster made (its identity tag), for Services it no longer has.
	orphanA := a.makeStack(stackSpec{stack: "default/gone-a", name: "orphan-a", vpc: a.world.VPCID, subnets: a.world.PrivateSubnets,
		extra: map[string]string{model.TagClusterUID: uidA}})
	orphanB := a.makeStack(stackSpec{stack: "default/gone-b", name: "orphan-b", vpc: a.world.VPCID, subnets: a.world.PrivateSubnets,
		extra: map[string]string{model.TagClusterUID: uidB}})

	t0 := time.Now()
	sweptBefore := sweeps(t)
	a.startKelb()
	a.createService("web", withPort(80, 30080, "TCP"))
	a.createService("a-only")
	webA := a.waitReady("web")
	a.waitReady("a-only")
	b.startKelb()
	// kelb's generated names of a Service's load balancer and frontend group
	// do not include the Service's UID (LBC's do), so the twin's web would
	// collide with a's: it gets its own name and no frontend group.
	b.createService("web", withPort(80, 30081, "TCP"), annotate(service.AnnName, "twin-web"),
		annotate(service.AnnNLBDisableSG, "true"))
	b.createService("b-only")
	webB := b.waitReady("web")
	b.waitReady("b-only")

	eventually(t, 30*time.Second, "each orphan deleted", func() (bool, string) {
		left := a.exists(orphanA.LB, orphanB.LB)
		return !left[orphanA.LB] && !left[orphanB.LB], fmt.Sprint(left)
	})
	waitSweeps(t, sweptBefore, 6) // both sweepers ran since, with everything in place

	if hA, hB := webA.Status.LoadBalancer.Ingress[0].Hostname, webB.Status.LoadBalancer.Ingress[0].Hostname; hA == hB {
		t.Errorf("both web Services have load balancer %s", hA)
	}
	for _, tc := range []struct {
		self, other *cluster
		uid         string
		orphan      handmadeStack
		otherOrphan handmadeStack
		otherUID    string
	}{
		{a, b, uidA, orphanA, orphanB, uidB},
		{b, a, uidB, orphanB, orphanA, uidA},
	} {
		theirs := append(tc.self.withUID(tc.otherUID), tc.otherOrphan.LB)
		if got := tc.self.mutations(t0, theirs); len(got) != 0 {
			t.Errorf("kelb of %s changed the other cluster's resources: %v", tc.uid, got)
		}
		var deleted []string
		for _, c := range tc.self.calls(t0) {
			if c.Action == "DeleteLoadBalancer" {
				deleted = append(deleted, c.Params["LoadBalancerArn"])
			}
		}
		if len(deleted) != 1 || deleted[0] != tc.orphan.LB {
			t.Errorf("kelb of %s deleted load balancers %v, want only its orphan %s", tc.uid, deleted, tc.orphan.LB)
		}
		// Its Services are served by load balancers carrying its identity.
		for _, name := range []string{"web", map[*cluster]string{a: "a-only", b: "b-only"}[tc.self]} {
			host := tc.self.get(name).Status.LoadBalancer.Ingress[0].Hostname
			if got := lbIdentity(t, a, host); got != tc.uid {
				t.Errorf("%s of %s is served by a load balancer of identity %q", name, tc.uid, got)
			}
		}
	}
	if lbs := a.loadBalancers(); len(lbs) != 4 {
		t.Errorf("want the 4 Services' load balancers, got %v", lbs)
	}
	backendA, backendB := backendGroups(t, a, uidA), backendGroups(t, a, uidB)
	if len(backendA) != 1 || len(backendB) != 1 {
		t.Errorf("want one backend group each, got %v and %v", backendA, backendB)
	}
}

// lbIdentity returns the identity tag of the load balancer with that DNS name.
func lbIdentity(t *testing.T, cl *cluster, dnsName string) string {
	t.Helper()
	out, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(t.Context(), &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lb := range out.LoadBalancers {
		if aws.ToString(lb.DNSName) != dnsName {
			continue
		}
		tags, err := cl.world.Clients.ELBV2.DescribeTags(t.Context(), &elbv2.DescribeTagsInput{ResourceArns: []string{aws.ToString(lb.LoadBalancerArn)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range tags.TagDescriptions[0].Tags {
			if aws.ToString(tg.Key) == model.TagClusterUID {
				return aws.ToString(tg.Value)
			}
		}
		return ""
	}
	t.Fatalf("no load balancer %s", dnsName)
	return ""
}

// backendGroups returns the names of the backend groups of that identity.
func backendGroups(t *testing.T, cl *cluster, uid string) []string {
	t.Helper()
	out, err := cl.world.Clients.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + model.TagResource), Values: []string{model.ResourceBackendSG}},
		{Name: aws.String("tag:" + model.TagClusterUID), Values: []string{uid}}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sg := range out.SecurityGroups {
		names = append(names, aws.ToString(sg.GroupName))
	}
	sort.Strings(names)
	return names
}
