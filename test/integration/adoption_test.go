package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
)

// lbcName is LBC's generated name of a Service's resource:
// "k8s-<namespace, 8>-<name, 8>-<10 hex of SHA-256 of the parts back to
// back>", non-alphanumerics stripped. Written here apart from kelb's code.
func lbcName(namespace, name string, parts ...string) string {
	strip := regexp.MustCompile(`[^A-Za-z0-9]`)
	cut := func(s string) string {
		s = strip.ReplaceAllString(s, "")
		return s[:min(8, len(s))]
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "")))
	return "k8s-" + cut(namespace) + "-" + cut(name) + "-" + hex.EncodeToString(sum[:])[:10]
}

// leftBehind says how a stack was left in AWS by the controller before.
type leftBehind struct {
	lbName, tgName, frontendName, backendName string
	frontendDescription, ruleDescription      string
	listenerTags                              map[string]string // nil: untagged
	identity                                  map[string]string // extra tags on what it created
}

// TestTakeOverMakesNoWrites: a Service whose resources another controller
// left is adopted in place: kelb creates and deletes nothing and writes the
// same hostname. What LBC v3.5 leaves (its names from the Service's UID,
// its group description, frontend rules without description, tagged
// listeners) gets no write at all; what kelb left before it did as LBC does
// (its own names and descriptions, untagged listeners) gets its listener
// tags, once, and nothing else: names and descriptions, which AWS cannot
// change, never cause a write or a replacement.
func TestTakeOverMakesNoWrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		left  func(cl *cluster, svc *corev1.Service, nodePort int32) leftBehind
		wants []string // mutating calls expected, "Action resource"
	}{
		{"LBC v3.5", func(cl *cluster, svc *corev1.Service, nodePort int32) leftBehind {
			cluster, uid := cl.world.Cluster, string(svc.UID)
			sum := sha256.Sum256([]byte(cluster))
			return leftBehind{
				lbName:              lbcName(svc.Namespace, svc.Name, cluster, uid, "internal"),
				tgName:              lbcName(svc.Namespace, svc.Name, cluster, uid, fmt.Sprint(nodePort), "80", "instance", "TCP", "TCP", "10"),
				frontendName:        lbcName(svc.Namespace, svc.Name, cluster, svc.Name, svc.Namespace, uid),
				backendName:         "k8s-traffic-" + regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(cluster, "") + "-" + hex.EncodeToString(sum[:])[:10],
				frontendDescription: "[k8s] Managed SecurityGroup for LoadBalancer",
				listenerTags: map[string]string{model.TagCluster: cluster, model.TagServiceStack: svc.Namespace + "/" + svc.Name,
					model.TagServiceResource: "80"},
			}
		}, nil},
		{"kelb before LBC's names", func(cl *cluster, svc *corev1.Service, _ int32) leftBehind {
			return leftBehind{lbName: "k8s-default-legacy-0a1b2c3d4e", tgName: "k8s-default-legacy-5f6a7b8c9d",
				frontendName: "k8s-default-legacy-e0f1a2b3c4", backendName: "k8s-traffic-" + strings.ToLower(cl.world.Cluster) + "-d5e6f7a8b9",
				frontendDescription: "[k8s] Managed SecurityGroup for LoadBalancer default/legacy",
				ruleDescription:     "kelb: load balancer listener",
				identity:            map[string]string{model.TagClusterUID: cl.uid()}}
		}, []string{"AddTags listener"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCluster(t, 3)
			svc := cl.createService("legacy")
			// The controller before set its finalizer; the node port is the apiserver's.
			cl.update("legacy", func(s *corev1.Service) { s.Finalizers = []string{"service.k8s.aws/resources"} })
			nodePort := cl.get("legacy").Spec.Ports[0].NodePort
			left := tc.left(cl, svc, nodePort)
			lbARN, listenerARN, dnsName := cl.leaveStack(svc, nodePort, left)

			t0 := time.Now()
			cl.startKelb()
			s := cl.waitReady("legacy")
			if got := s.Status.LoadBalancer.Ingress[0].Hostname; got != dnsName {
				t.Errorf("hostname %s, want the adopted %s", got, dnsName)
			}
			time.Sleep(time.Second)
			var got []string
			for _, c := range cl.calls(t0) {
				if !c.Mutating() {
					continue
				}
				what := c.Action
				if slices.Contains(paramValues(c), listenerARN) {
					what += " listener"
				} else if slices.Contains(paramValues(c), lbARN) {
					what += " load balancer"
				}
				got = append(got, what)
			}
			if diff := cmp.Diff(tc.wants, got); diff != "" {
				t.Errorf("mutating calls (-want +got):\n%s", diff)
			}
			tags, err := cl.world.Clients.ELBV2.DescribeTags(t.Context(), &elbv2.DescribeTagsInput{ResourceArns: []string{listenerARN}})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{model.TagCluster: cl.world.Cluster, model.TagServiceStack: "default/legacy",
				model.TagServiceResource: "80"}
			if diff := cmp.Diff(want, tagMap(tags.TagDescriptions[0].Tags)); diff != "" {
				t.Errorf("listener tags (-want +got):\n%s", diff)
			}
			t.Logf("take-over calls: %v", awsproxy.CountByAction(cl.calls(t0)))
		})
	}
}

// leaveStack creates in AWS what a controller left for svc: backend and
// frontend groups, the node rule, load balancer, target group with the
// nodes, listener. It returns the load balancer's and listener's ARNs and
// the DNS name.
func (cl *cluster) leaveStack(svc *corev1.Service, nodePort int32, left leftBehind) (lbARN, listenerARN, dnsName string) {
	t, ctx := cl.t, cl.t.Context()
	stack := svc.Namespace + "/" + svc.Name
	tags := func(resource string) map[string]string {
		return model.MergeTags(left.identity, map[string]string{model.TagCluster: cl.world.Cluster,
			model.TagServiceStack: stack, model.TagServiceResource: resource})
	}
	mkSG := func(name, description string, tags map[string]string) string {
		return cl.createSG(cl.world.VPCID, name, description, tags)
	}
	backend := mkSG(left.backendName, "[k8s] Shared Backend SecurityGroup for LoadBalancer", model.MergeTags(left.identity,
		map[string]string{model.TagCluster: cl.world.Cluster, model.TagResource: model.ResourceBackendSG}))
	frontend := mkSG(left.frontendName, left.frontendDescription, tags(model.ResourceManagedLBSG))
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(frontend),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String(left.ruleDescription)}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(cl.world.NodeSG),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(nodePort), ToPort: aws.Int32(nodePort),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(backend), Description: aws.String(model.BackendRuleDescription)}}}}}); err != nil {
		t.Fatal(err)
	}
	api := cl.world.Clients.ELBV2
	lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(left.lbName),
		Type: elbtypes.LoadBalancerTypeEnumNetwork, Scheme: elbtypes.LoadBalancerSchemeEnumInternal, Subnets: cl.world.PrivateSubnets,
		SecurityGroups: []string{frontend, backend}, Tags: elbTagList(tags(model.ResourceLoadBalancer))})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := api.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(left.tgName),
		Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(nodePort), TargetType: elbtypes.TargetTypeEnumInstance,
		VpcId: aws.String(cl.world.VPCID), HealthCheckProtocol: elbtypes.ProtocolEnumTcp, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(10), HealthyThresholdCount: aws.Int32(3),
		UnhealthyThresholdCount: aws.Int32(3), Tags: elbTagList(tags(stack + ":80"))})
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
	in := &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumTcp, DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
			TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}}
	if left.listenerTags != nil {
		in.Tags = elbTagList(left.listenerTags)
	}
	ls, err := api.CreateListener(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), aws.ToString(ls.Listeners[0].ListenerArn),
		aws.ToString(lb.LoadBalancers[0].DNSName)
}

// paramValues returns the values of a call's parameters.
func paramValues(c awsproxy.Call) []string {
	var out []string
	for _, v := range c.Params {
		out = append(out, v)
	}
	return out
}

func tagMap(tags []elbtypes.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
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
