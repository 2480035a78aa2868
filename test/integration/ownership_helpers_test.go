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
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/ownership"
)

// metric returns the value of a counter or gauge of kelb's metrics registry
// (shared by every kelb of the test process) with those labels; 0 when
// absent.
func metric(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return 0
}

// sweeps is the number of orphan sweeper passes so far, of every kelb.
func sweeps(t *testing.T) float64 { return metric(t, "kelb_orphan_sweeps_total", nil) }

func orphanFindings(t *testing.T, action string) float64 {
	return metric(t, "kelb_orphan_stacks_total", map[string]string{"action": action})
}

// waitSweeps waits until the sweepers have made n more passes than before.
func waitSweeps(t *testing.T, before float64, n int) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("%d sweeper passes", n), func() (bool, string) {
		got := sweeps(t) - before
		return got >= float64(n), fmt.Sprintf("%v passes", got)
	})
}

// uid returns the cluster's identity, the UID of its kube-system Namespace.
func (cl *cluster) uid() string {
	cl.t.Helper()
	var ns corev1.Namespace
	eventually(cl.t, 30*time.Second, "namespace kube-system", func() (bool, string) {
		err := cl.c.Get(cl.t.Context(), client.ObjectKey{Name: "kube-system"}, &ns)
		return err == nil, fmt.Sprint(err)
	})
	return string(ns.UID)
}

// record returns the ownership record kelb keeps in the cluster.
func (cl *cluster) record() ownership.Entries {
	cl.t.Helper()
	var cm corev1.ConfigMap
	err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "kube-system", Name: ownership.DefaultName}, &cm)
	if client.IgnoreNotFound(err) != nil {
		cl.t.Fatal(err)
	}
	return ownership.Decode(cm.Data["stacks"])
}

// withUID returns the ARNs and group ids of every resource carrying the
// identity tag uid.
func (cl *cluster) withUID(uid string) []string {
	cl.t.Helper()
	ctx := cl.t.Context()
	res, err := cl.world.Clients.Tagging.GetResources(ctx, &tagging.GetResourcesInput{
		TagFilters: []taggingtypes.TagFilter{{Key: aws.String(model.TagClusterUID), Values: []string{uid}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	var out []string
	for _, r := range res.ResourceTagMappingList {
		out = append(out, aws.ToString(r.ResourceARN))
	}
	sgs, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagClusterUID), Values: []string{uid}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, sg := range sgs.SecurityGroups {
		out = append(out, aws.ToString(sg.GroupId))
	}
	sort.Strings(out)
	return out
}

// mutations returns kelb's changing calls since t0 that name one of ids.
func (cl *cluster) mutations(t0 time.Time, ids []string) []string {
	named := map[string]bool{}
	for _, id := range ids {
		named[id] = true
	}
	var out []string
	for _, c := range cl.calls(t0) {
		for _, v := range c.Params {
			if named[v] && c.Mutating() {
				out = append(out, c.Action+" "+v)
			}
		}
	}
	return out
}

// exists reports which of the ARNs and group ids AWS still has.
func (cl *cluster) exists(ids ...string) map[string]bool {
	cl.t.Helper()
	ctx := cl.t.Context()
	out := map[string]bool{}
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	sgs, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	have := map[string]bool{}
	for _, lb := range lbs.LoadBalancers {
		have[aws.ToString(lb.LoadBalancerArn)] = true
	}
	for _, tg := range tgs.TargetGroups {
		have[aws.ToString(tg.TargetGroupArn)] = true
	}
	for _, sg := range sgs.SecurityGroups {
		have[aws.ToString(sg.GroupId)] = true
	}
	for _, id := range ids {
		out[id] = have[id]
	}
	return out
}

// handmadeStack is a stack made outside kelb: by LBC, or a test standing in
// for another kelb.
type handmadeStack struct {
	LB, TG, FrontendSG string
	DNSName            string
}

func (s handmadeStack) ids() []string {
	var out []string
	for _, id := range []string{s.LB, s.TG, s.FrontendSG} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// stackSpec says what makeStack creates.
type stackSpec struct {
	stack    string // <namespace>/<name>
	name     string // prefix of the names, unique in the account
	vpc      string
	subnets  []string
	nodePort int32
	// extra tags on every resource, on top of the cluster, stack and
	// resource tags (e.g. an identity tag)
	extra map[string]string
	// backendSG, when set, is the shared backend group on the load balancer;
	// withFrontend adds a frontend group, withTG a target group and listener.
	backendSG    string
	withFrontend bool
	withTG       bool
	// ingress makes an Ingress group's stack as LBC does: ingress.k8s.aws
	// tags, an application load balancer, an HTTP target group.
	ingress bool
}

// makeStack creates a stack's resources directly in AWS with LBC's tags.
func (cl *cluster) makeStack(spec stackSpec) handmadeStack {
	cl.t.Helper()
	ctx := cl.t.Context()
	id, lbType, proto, tgID := model.StackID{Kind: model.ServiceKind, Name: spec.stack}, elbtypes.LoadBalancerTypeEnumNetwork,
		elbtypes.ProtocolEnumTcp, spec.stack+":80"
	timeout := int32(10)
	if spec.ingress {
		timeout = 5 // HTTP health checks time out within the interval
		id, lbType, proto, tgID = model.StackID{Kind: model.IngressKind, Name: spec.stack}, elbtypes.LoadBalancerTypeEnumApplication,
			elbtypes.ProtocolEnumHttp, spec.stack+"-web:80"
	}
	tags := func(resource string) map[string]string {
		return model.MergeTags(spec.extra, map[string]string{model.TagCluster: cl.world.Cluster}, id.Tags(resource))
	}
	var out handmadeStack
	var sgs []string
	if spec.withFrontend {
		out.FrontendSG = cl.makeSG(spec.vpc, spec.name+"-front", tags(model.ResourceManagedLBSG))
		sgs = append(sgs, out.FrontendSG)
	}
	if spec.backendSG != "" {
		sgs = append(sgs, spec.backendSG)
	}
	api := cl.world.Clients.ELBV2
	lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(spec.name),
		Type: lbType, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: spec.subnets,
		SecurityGroups: sgs, Tags: elbTagList(tags(model.ResourceLoadBalancer))})
	if err != nil {
		cl.t.Fatal(err)
	}
	out.LB, out.DNSName = aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), aws.ToString(lb.LoadBalancers[0].DNSName)
	if !spec.withTG {
		return out
	}
	tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(spec.name + "-tg"),
		Protocol: proto, Port: aws.Int32(spec.nodePort), TargetType: elbtypes.TargetTypeEnumInstance,
		VpcId: aws.String(spec.vpc), HealthCheckProtocol: proto, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(timeout), HealthyThresholdCount: aws.Int32(3),
		UnhealthyThresholdCount: aws.Int32(3), Tags: elbTagList(tags(tgID))})
	if err != nil {
		cl.t.Fatal(err)
	}
	out.TG = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	if _, err := api.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: aws.String(out.LB),
		Port: aws.Int32(80), Protocol: proto, DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
			TargetGroupArn: aws.String(out.TG)}}}); err != nil {
		cl.t.Fatal(err)
	}
	return out
}

// makeSG creates a security group with tags in vpc.
func (cl *cluster) makeSG(vpc, name string, tags map[string]string) string {
	cl.t.Helper()
	return cl.createSG(vpc, name, "made outside kelb", tags)
}

// createSG creates a security group as another controller would.
func (cl *cluster) createSG(vpc, name, description string, tags map[string]string) string {
	cl.t.Helper()
	var list []ec2types.Tag
	for k, v := range tags {
		list = append(list, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := cl.world.Clients.EC2.CreateSecurityGroup(cl.t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String(name),
		Description: aws.String(description), VpcId: aws.String(vpc),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: list}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	return aws.ToString(out.GroupId)
}

func elbTagList(m map[string]string) []elbtypes.Tag {
	var out []elbtypes.Tag
	for k, v := range m {
		out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

// deleteStripped deletes the Service after removing its finalizers, as
// another tool would while kelb is down.
func (cl *cluster) deleteStripped(name string) {
	cl.t.Helper()
	cl.update(name, func(s *corev1.Service) { s.Finalizers = nil })
	if err := cl.c.Delete(cl.t.Context(), cl.get(name)); err != nil {
		cl.t.Fatal(err)
	}
	cl.waitGone(name)
}
