package integration

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/testenv"
)

type svcOption func(*corev1.Service)

func annotate(k, v string) svcOption {
	return func(s *corev1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[k] = v
	}
}

func withPort(port, nodePort int32, proto corev1.Protocol) svcOption {
	return func(s *corev1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: fmt.Sprintf("p%d", port), Port: port,
			NodePort: nodePort, Protocol: proto, TargetPort: intstr.FromInt32(8080)})
	}
}

func withClass(class string) svcOption {
	return func(s *corev1.Service) { s.Spec.LoadBalancerClass = &class }
}

// newService returns a Service of class service.k8s.aws/nlb with one TCP
// port 80 unless options add ports.
func (cl *cluster) createService(name string, opts ...svcOption) *corev1.Service {
	cl.t.Helper()
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name}}}
	withClass("service.k8s.aws/nlb")(s)
	for _, o := range opts {
		o(s)
	}
	if len(s.Spec.Ports) == 0 {
		s.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}
	}
	if err := cl.c.Create(cl.t.Context(), s); err != nil {
		cl.t.Fatal(err)
	}
	return s
}

// createEndpoints creates a ready EndpointSlice for the Service's first port.
func (cl *cluster) createEndpoints(svc *corev1.Service, ips ...string) {
	cl.t.Helper()
	port := svc.Spec.Ports[0]
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: svc.Name + "-abc",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{Name: aws.String(port.Name), Port: aws.Int32(port.TargetPort.IntVal),
			Protocol: &port.Protocol}},
	}
	for i, ip := range ips {
		node := cl.world.Nodes[i%len(cl.world.Nodes)]
		// The endpoints are pods, as an endpoints controller publishes
		// them: the binding controller registers only pod-backed ones.
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace,
			Name: svc.Name + "-" + strings.ReplaceAll(ip, ".", "-")},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
		if err := cl.c.Create(cl.t.Context(), pod); err != nil {
			cl.t.Fatal(err)
		}
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip},
			Conditions: discoveryv1.EndpointConditions{Ready: aws.Bool(true)}, NodeName: &node,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}})
	}
	if err := cl.c.Create(cl.t.Context(), slice); err != nil {
		cl.t.Fatal(err)
	}
}

func (cl *cluster) get(name string) *corev1.Service { return load(cl, name, &corev1.Service{}) }

// update re-reads the Service, applies mutate and writes it, retrying conflicts.
func (cl *cluster) update(name string, mutate func(*corev1.Service)) {
	cl.t.Helper()
	updateRetrying(cl, cl.get, name, mutate)
}

// load reads the object of that name in namespace default into obj.
func load[T client.Object](cl *cluster, name string, obj T) T {
	cl.t.Helper()
	if err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, obj); err != nil {
		cl.t.Fatal(err)
	}
	return obj
}

// updateRetrying re-reads an object, applies mutate and writes it,
// retrying conflicts.
func updateRetrying[T client.Object](cl *cluster, get func(string) T, name string, mutate func(T)) {
	cl.t.Helper()
	for i := 0; ; i++ {
		o := get(name)
		mutate(o)
		err := cl.c.Update(cl.t.Context(), o)
		if err == nil {
			return
		}
		if i > 5 {
			cl.t.Fatal(err)
		}
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, last)
}

// waitReady waits for the Service's hostname and Ready condition.
func (cl *cluster) waitReady(name string) *corev1.Service {
	cl.t.Helper()
	return cl.waitReadyWithin(name, 60*time.Second)
}

// waitReadyWithin is waitReady with a deadline of the caller's.
func (cl *cluster) waitReadyWithin(name string, timeout time.Duration) *corev1.Service {
	cl.t.Helper()
	var s *corev1.Service
	eventually(cl.t, timeout, name+" ready", func() (bool, string) {
		s = cl.get(name)
		c := meta.FindStatusCondition(s.Status.Conditions, "elbv2.k8s.aws/Ready")
		if c == nil || c.Status != metav1.ConditionTrue || len(s.Status.LoadBalancer.Ingress) == 0 {
			return false, fmt.Sprintf("conditions %+v", s.Status.Conditions)
		}
		return true, ""
	})
	return s
}

func (cl *cluster) waitCondition(name, typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	cl.t.Helper()
	var got metav1.Condition
	eventually(cl.t, 30*time.Second, fmt.Sprintf("%s %s=%s/%s", name, typ, status, reason), func() (bool, string) {
		c := meta.FindStatusCondition(cl.get(name).Status.Conditions, typ)
		if c == nil || c.Status != status || (reason != "" && c.Reason != reason) {
			return false, fmt.Sprintf("%+v", c)
		}
		got = *c
		return true, ""
	})
	return got
}

func (cl *cluster) waitGone(name string) {
	cl.t.Helper()
	eventually(cl.t, 60*time.Second, name+" deleted", func() (bool, string) {
		var s corev1.Service
		err := cl.c.Get(cl.t.Context(), client.ObjectKey{Namespace: "default", Name: name}, &s)
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err, s.Finalizers)
	})
}

// tagged lists the ARNs or ids of every resource tagged for the cluster:
// load balancers, target groups (tagging API) and security groups.
func (cl *cluster) tagged() []string {
	cl.t.Helper()
	ctx := cl.t.Context()
	var out []string
	res, err := cl.world.Clients.Tagging.GetResources(ctx, &tagging.GetResourcesInput{
		ResourceTypeFilters: []string{"elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup",
			"elasticloadbalancing:listener"},
		TagFilters: []taggingtypes.TagFilter{{Key: aws.String(model.TagCluster), Values: []string{cl.world.Cluster}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, r := range res.ResourceTagMappingList {
		out = append(out, aws.ToString(r.ResourceARN))
	}
	sgs, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagCluster), Values: []string{cl.world.Cluster}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, sg := range sgs.SecurityGroups {
		out = append(out, aws.ToString(sg.GroupId))
	}
	sort.Strings(out)
	return out
}

// loadBalancers returns every load balancer of the account by name.
func (cl *cluster) loadBalancers() map[string]string {
	cl.t.Helper()
	out, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(cl.t.Context(), &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	m := map[string]string{}
	for _, lb := range out.LoadBalancers {
		m[aws.ToString(lb.LoadBalancerName)] = aws.ToString(lb.LoadBalancerArn)
	}
	return m
}

// nodeRules returns the node security group's ingress rules as strings.
func (cl *cluster) nodeRules() []string {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.DescribeSecurityGroups(cl.t.Context(), &ec2.DescribeSecurityGroupsInput{
		GroupIds: []string{cl.world.NodeSG}})
	if err != nil {
		cl.t.Fatal(err)
	}
	var rules []string
	for _, p := range out.SecurityGroups[0].IpPermissions {
		for _, g := range p.UserIdGroupPairs {
			rules = append(rules, fmt.Sprintf("%s/%d-%d from %s (%s)", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort),
				aws.ToInt32(p.ToPort), aws.ToString(g.GroupId), aws.ToString(g.Description)))
		}
		for _, r := range p.IpRanges {
			rules = append(rules, fmt.Sprintf("%s/%d-%d from %s (%s)", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort),
				aws.ToInt32(p.ToPort), aws.ToString(r.CidrIp), aws.ToString(r.Description)))
		}
	}
	sort.Strings(rules)
	return rules
}

// calls returns the AWS calls of this cluster's account since t0.
func (cl *cluster) calls(t0 time.Time) []awsproxy.Call {
	var out []awsproxy.Call
	for _, c := range env.Proxy.Log.Since(t0) {
		if c.Caller == cl.world.Account { // kelb, not the test
			out = append(out, c)
		}
	}
	return out
}

// refusals counts kelb's calls of action since t0 that AWS answered with code.
func (cl *cluster) refusals(t0 time.Time, action, code string) int {
	n := 0
	for _, c := range cl.calls(t0) {
		if c.Action == action && c.ErrorCode == code {
			n++
		}
	}
	return n
}

// startKube gives the test a new apiserver + etcd of its own and a client
// to it; the apiserver is stopped when the test ends. With options (webhook
// configurations to install) it is started for the test, not taken from the
// pool of spares.
func startKube(t *testing.T, opts ...testenv.KubeOption) (*testenv.Kube, client.Client) {
	t.Helper()
	var kube *testenv.Kube
	var err error
	if len(opts) == 0 {
		kube, err = kubes.Get(t.Context())
	} else {
		kube, err = env.StartKube(opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) == 0 {
		t.Cleanup(func() { kubes.Release(kube) })
	} else {
		t.Cleanup(kube.Stop)
	}
	c, err := client.New(kube.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return kube, c
}

// waitLoadBalancer waits for a load balancer whose name starts with prefix
// and returns its ARN.
func (cl *cluster) waitLoadBalancer(prefix string) string {
	cl.t.Helper()
	var lbARN string
	eventually(cl.t, 90*time.Second, "the load balancer "+prefix+"*", func() (bool, string) {
		for name, arn := range cl.loadBalancers() {
			if strings.HasPrefix(name, prefix) {
				lbARN = arn
			}
		}
		return lbARN != "", fmt.Sprint(cl.loadBalancers())
	})
	return lbARN
}
