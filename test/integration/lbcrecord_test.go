package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
)

// lbcService creates a Service with LBC's finalizer and a stack LBC made for
// it (load balancer, target group on its node port, frontend group, and the
// backend group given), with no identity tag.
func (cl *cluster) lbcService(name, backendSG string) handmadeStack {
	cl.t.Helper()
	cl.createService(name)
	cl.update(name, func(s *corev1.Service) { s.Finalizers = []string{"service.k8s.aws/resources"} })
	return cl.makeStack(stackSpec{stack: "default/" + name, name: "k8s-default-" + name + "-lbc", vpc: cl.world.VPCID,
		subnets: cl.world.PrivateSubnets, nodePort: cl.get(name).Spec.Ports[0].NodePort, backendSG: backendSG,
		withFrontend: true, withTG: true})
}

// TestLBCStackSweptOnlyIfRecorded: stacks LBC made carry no identity tag.
// One whose Service kelb served is recorded, and when that Service is
// deleted while kelb is down, the sweeper deletes its resources. One whose
// Service kelb never saw is only reported, never deleted.
func TestLBCStackSweptOnlyIfRecorded(t *testing.T) {
	cl := newCluster(t, 2)
	backend := cl.makeSG(cl.world.VPCID, "k8s-traffic-lbc-made",
		map[string]string{model.TagCluster: cl.world.Cluster, model.TagResource: model.ResourceBackendSG})
	seen := cl.lbcService("seen", backend)
	cl.startKelb()
	cl.waitReady("seen")
	eventually(t, 30*time.Second, "the LBC stack recorded", func() (bool, string) {
		r := cl.record()
		return slices.Contains(r["default/seen"], ownership.Ref(seen.LB)) &&
			slices.Contains(r[ownership.BackendSGKey], backend), fmt.Sprint(r)
	})
	if got, want := cl.record()["default/seen"], refs(seen.ids()...); !slices.Equal(got, want) {
		t.Errorf("record of default/seen: %v, want %v", got, want)
	}
	cl.stopKelb()

	unseen := cl.lbcService("unseen", backend)
	cl.deleteStripped("unseen")
	cl.deleteStripped("seen")
	unproven, deleted := orphanFindings(t, "unproven"), orphanFindings(t, "deleted")
	t0 := time.Now()
	cl.opts.DriftPeriod = 3 * time.Second // the bulk reload that lets the record forget what is gone
	cl.startKelb()
	eventually(t, 30*time.Second, "the recorded stack deleted", func() (bool, string) {
		left := cl.exists(seen.ids()...)
		return !slices.Contains(mapValues(left), true), fmt.Sprint(left)
	})
	eventually(t, 30*time.Second, "the unrecorded stack reported", func() (bool, string) {
		return orphanFindings(t, "unproven")-unproven == 1, ""
	})
	waitSweeps(t, sweeps(t), 2)
	if got := orphanFindings(t, "deleted") - deleted; got != 1 {
		t.Errorf("%v stacks deleted, want 1", got)
	}
	if left := cl.exists(append(unseen.ids(), backend)...); slices.Contains(mapValues(left), false) {
		t.Errorf("the unrecorded stack or the backend group it uses was deleted: %v", left)
	}
	if got := cl.mutations(t0, unseen.ids()); len(got) != 0 {
		t.Errorf("kelb changed the unrecorded stack: %v", got)
	}
	for _, c := range cl.calls(t0) {
		for k, v := range c.Params {
			// Rules from the backend group on the node groups are kelb's to revoke.
			if v == backend && c.Mutating() && (k == "GroupId" || !strings.HasSuffix(c.Action, "SecurityGroupIngress")) {
				t.Errorf("kelb changed the backend group: %s %v", c.Action, c.Params)
			}
		}
	}
	// What is gone leaves the record after the next bulk load.
	eventually(t, 30*time.Second, "the deleted stack forgotten", func() (bool, string) {
		_, ok := cl.record()["default/seen"]
		return !ok, fmt.Sprint(cl.record())
	})
}

// TestOtherVPCLeftAlone: a stack LBC made in another VPC of the account,
// with this cluster's name and the stack tag of one of its Services, and a
// backend group there, are neither adopted nor changed nor deleted.
func TestOtherVPCLeftAlone(t *testing.T) {
	cl := newCluster(t, 2)
	ctx := t.Context()
	api := cl.world.Clients.EC2
	vpc, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	var subnets []string
	for i, az := range []string{"us-west-2a", "us-west-2b"} {
		sn, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID),
			CidrBlock: aws.String(fmt.Sprintf("10.1.%d.0/24", i)), AvailabilityZone: aws.String(az)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	backend := cl.makeSG(vpcID, "k8s-traffic-elsewhere",
		map[string]string{model.TagCluster: cl.world.Cluster, model.TagResource: model.ResourceBackendSG})
	elsewhere := cl.makeStack(stackSpec{stack: "default/web", name: "k8s-default-web-elsewhere", vpc: vpcID, subnets: subnets,
		nodePort: 30080, backendSG: backend, withFrontend: true, withTG: true})
	theirs := append(elsewhere.ids(), backend)

	t0 := time.Now()
	cl.startKelb()
	svc := cl.createService("web", withPort(80, 30080, "TCP"))
	if got := cl.waitReady("web").Status.LoadBalancer.Ingress[0].Hostname; got == elsewhere.DNSName {
		t.Errorf("web adopted the load balancer of the other VPC (%s)", got)
	}
	if err := cl.c.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("web")
	waitSweeps(t, sweeps(t), 3)
	if got := cl.mutations(t0, theirs); len(got) != 0 {
		t.Errorf("kelb changed resources of the other VPC: %v", got)
	}
	if left := cl.exists(theirs...); slices.Contains(mapValues(left), false) {
		t.Errorf("resources of the other VPC deleted: %v", left)
	}
	var inVPC []string
	out, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{cl.world.VPCID}},
		{Name: aws.String("tag:" + model.TagResource), Values: []string{model.ResourceBackendSG}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sg := range out.SecurityGroups {
		inVPC = append(inVPC, aws.ToString(sg.GroupId))
	}
	if len(inVPC) != 0 {
		t.Errorf("the backend group kelb made in its VPC is left: %v", inVPC)
	}
}

func refs(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = ownership.Ref(id)
	}
	slices.Sort(out)
	return out
}

func mapValues(m map[string]bool) []bool {
	var out []bool
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
