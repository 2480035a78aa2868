package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
)

// TestAdoptsLBCResources: a Service whose load balancer, target group and
// security groups were made by LBC (its names, its tags) is adopted in
// place: kelb creates and deletes nothing and writes the same hostname.
func TestAdoptsLBCResources(t *testing.T) {
	cl := newCluster(t, 3)
	ctx := t.Context()
	svc := cl.createService("legacy")
	// LBC would have set its finalizer; the node port is the apiserver's.
	cl.update("legacy", func(s *corev1.Service) { s.Finalizers = []string{"service.k8s.aws/resources"} })
	nodePort := cl.get("legacy").Spec.Ports[0].NodePort
	stack := svc.Namespace + "/" + svc.Name
	tags := func(resource string) map[string]string {
		return map[string]string{model.TagCluster: cl.world.Cluster, model.TagServiceStack: stack, model.TagServiceResource: resource}
	}
	elbTags := func(m map[string]string) []elbtypes.Tag {
		var out []elbtypes.Tag
		for k, v := range m {
			out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		return out
	}
	ec2Tags := func(m map[string]string) []ec2types.Tag {
		var out []ec2types.Tag
		for k, v := range m {
			out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		return out
	}
	mkSG := func(name string, tg map[string]string) string {
		out, err := cl.world.Clients.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name),
			Description: aws.String("made by LBC"), VpcId: aws.String(cl.world.VPCID),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: ec2Tags(tg)}}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.GroupId)
	}
	backend := mkSG("k8s-traffic-lbc-0123456789", map[string]string{model.TagCluster: cl.world.Cluster, model.TagResource: model.ResourceBackendSG})
	frontend := mkSG("k8s-default-legacy-lbcnamed", tags(model.ResourceManagedLBSG))
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(frontend),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(cl.world.NodeSG),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(nodePort), ToPort: aws.Int32(nodePort),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(backend), Description: aws.String(model.BackendRuleDescription)}}}}}); err != nil {
		t.Fatal(err)
	}
	api := cl.world.Clients.ELBV2
	lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("k8s-default-legacy-lbcmade00"),
		Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: cl.world.PrivateSubnets,
		SecurityGroups: []string{frontend, backend}, Tags: elbTags(tags(model.ResourceLoadBalancer))})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("k8s-default-legacy-lbctg0000"),
		Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(nodePort), TargetType: elbtypes.TargetTypeEnumInstance,
		VpcId: aws.String(cl.world.VPCID), HealthCheckProtocol: elbtypes.ProtocolEnumTcp, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(10), HealthyThresholdCount: aws.Int32(3),
		UnhealthyThresholdCount: aws.Int32(3), Tags: elbTags(tags(stack + ":80"))})
	if err != nil {
		t.Fatal(err)
	}
	var targets []elbtypes.TargetDescription
	for _, id := range cl.world.Instances {
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(nodePort)})
	}
	if _, err := api.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroups[0].TargetGroupArn, Targets: targets}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumTcp, DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
			TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}}); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	cl.startKelb()
	s := cl.waitReady("legacy")
	if got, want := s.Status.LoadBalancer.Ingress[0].Hostname, aws.ToString(lb.LoadBalancers[0].DNSName); got != want {
		t.Errorf("hostname %s, want the adopted %s", got, want)
	}
	time.Sleep(time.Second)
	for _, c := range cl.calls(t0) {
		if c.Mutating() {
			t.Errorf("adoption made a change: %s %v", c.Action, c.Params)
		}
	}
	t.Logf("adoption calls: %v", awsproxy.CountByAction(cl.calls(t0)))
}

// TestNoLongerOursCleansUp: changing a Service's class away from kelb
// deletes its AWS resources, clears kelb's status and releases the
// finalizer, without deleting the Service.
func TestNoLongerOursCleansUp(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	byAnnotation := func(s *corev1.Service) {
		s.Spec.LoadBalancerClass = nil
		s.Annotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-type": "external",
			"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance"}
	}
	cl.createService("moving", byAnnotation)
	cl.createService("shrinking")
	cl.waitReady("moving")
	cl.waitReady("shrinking")
	// To the in-tree cloud provider; and to a ClusterIP Service.
	cl.update("moving", func(s *corev1.Service) {
		s.Annotations["service.beta.kubernetes.io/aws-load-balancer-type"] = "nlb"
	})
	cl.update("shrinking", func(s *corev1.Service) {
		s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeClusterIP, nil
		for i := range s.Spec.Ports {
			s.Spec.Ports[i].NodePort = 0
		}
	})
	for _, name := range []string{"moving", "shrinking"} {
		eventually(t, 30*time.Second, name+" released", func() (bool, string) {
			s := cl.get(name)
			return len(s.Finalizers) == 0 && len(s.Status.Conditions) == 0 && len(s.Status.LoadBalancer.Ingress) == 0,
				"finalizers " + stringsOf(s.Finalizers)
		})
	}
	if left := cl.tagged(); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
}

func stringsOf(s []string) string {
	out := ""
	for _, x := range s {
		out += x + " "
	}
	return out
}

// TestDriftRepaired: a listener deleted and a target deregistered by hand
// are put back within the drift period.
func TestDriftRepaired(t *testing.T) {
	cl := newCluster(t, 3)
	cl.opts.DriftPeriod = 3 * time.Second
	cl.startKelb()
	cl.createService("drifty")
	cl.waitReady("drifty")
	ctx := t.Context()
	api := cl.world.Clients.ELBV2
	lbARN := only(t, cl.loadBalancers())
	ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil || len(ls.Listeners) != 1 {
		t.Fatalf("%v %v", ls, err)
	}
	tgARN := ls.Listeners[0].DefaultActions[0].TargetGroupArn
	if _, err := api.DeleteListener(ctx, &elbv2.DeleteListenerInput{ListenerArn: ls.Listeners[0].ListenerArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tgARN,
		Targets: []elbtypes.TargetDescription{{Id: aws.String(cl.world.Instances[0])}}}); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	eventually(t, 20*time.Second, "listener and target back", func() (bool, string) {
		ls, err := api.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
		if err != nil {
			return false, err.Error()
		}
		h, err := api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tgARN})
		if err != nil {
			return false, err.Error()
		}
		return len(ls.Listeners) == 1 && len(h.TargetHealthDescriptions) == 3, ""
	})
	t.Logf("repaired %s after the change", time.Since(removed).Round(100*time.Millisecond))
	if c := cl.waitCondition("drifty", "elbv2.k8s.aws/Ready", metav1.ConditionTrue, ""); c.Reason != "Deployed" {
		t.Errorf("Ready reason %s", c.Reason)
	}
}
