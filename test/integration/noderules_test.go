package integration

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// nodeRule is one inbound rule of the node group.
type nodeRule struct {
	proto, source, description string
	from, to                   int32
}

func (cl *cluster) nodeRuleList() []nodeRule {
	cl.t.Helper()
	out, err := cl.world.Clients.EC2.DescribeSecurityGroups(cl.t.Context(), &ec2.DescribeSecurityGroupsInput{
		GroupIds: []string{cl.world.NodeSG}})
	if err != nil {
		cl.t.Fatal(err)
	}
	var rules []nodeRule
	for _, p := range out.SecurityGroups[0].IpPermissions {
		r := nodeRule{proto: aws.ToString(p.IpProtocol), from: aws.ToInt32(p.FromPort), to: aws.ToInt32(p.ToPort)}
		for _, g := range p.UserIdGroupPairs {
			r.source, r.description = aws.ToString(g.GroupId), aws.ToString(g.Description)
			rules = append(rules, r)
		}
		for _, c := range p.IpRanges {
			r.source, r.description = aws.ToString(c.CidrIp), aws.ToString(c.Description)
			rules = append(rules, r)
		}
	}
	return rules
}

// allowed reports whether a rule from source lets proto/port in.
func allowed(rules []nodeRule, proto, source string, port int32) bool {
	for _, r := range rules {
		if r.source == source && (r.proto == "-1" || r.proto == proto && r.from <= port && port <= r.to) {
			return true
		}
	}
	return false
}

// TestCIDRRulesOpenOnlyNeededPorts: 25 internet-facing Services without
// load-balancer security groups need 25 node ports open to the internet.
// No rule from a CIDR may allow a port that no Service needs.
func TestCIDRRulesOpenOnlyNeededPorts(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	const n = 25
	for i := range n {
		cl.createService(fmt.Sprintf("open%02d", i), annotate(service.AnnNLBDisableSG, "true"),
			annotate(service.AnnScheme, "internet-facing"))
	}
	needed := map[int32]bool{}
	for i := range n {
		s := cl.waitReady(fmt.Sprintf("open%02d", i))
		needed[s.Spec.Ports[0].NodePort] = true
	}
	rules := cl.nodeRuleList()
	for _, r := range rules {
		if r.description != model.BackendRuleDescription || r.source != "0.0.0.0/0" {
			continue
		}
		for p := r.from; p <= r.to; p++ {
			if !needed[p] {
				t.Errorf("rule %s %d-%d from %s opens port %d that no Service needs", r.proto, r.from, r.to, r.source, p)
				break
			}
		}
	}
	for p := range needed {
		if !allowed(rules, "tcp", "0.0.0.0/0", p) {
			t.Errorf("node port %d is not open", p)
		}
	}
}

// TestConcurrentChangesKeepEveryNeededRule: many Services change their node
// ports at once, several times. Every node port a Service uses must be
// allowed from the backend group once it is Ready, and never disallowed
// while a target is registered on it (the call log's report).
func TestConcurrentChangesKeepEveryNeededRule(t *testing.T) {
	cl := newCluster(t, 3)
	cl.opts.ServiceMaxConcurrent = 6
	// Slow AWS widens every window in which reconciles overlap.
	env.Proxy.Faults.Set(awsproxy.FaultRule{Caller: cl.world.Account, Rate: 1, Latency: 40 * time.Millisecond})
	t.Cleanup(func() { env.Proxy.Faults.Set() })
	cl.startKelb()
	const n = 12
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("c%02d", i)
		cl.createService(names[i], withPort(80, int32(30100+i), corev1.ProtocolTCP))
	}
	for _, name := range names {
		cl.waitReady(name)
	}
	t0 := time.Now()
	for round := 1; round <= 3; round++ {
		// Staggered, so that each reconcile starts from a cache that has
		// some changes and not others, and finishes after later ones began.
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl.update(name, func(s *corev1.Service) { s.Spec.Ports[0].NodePort = int32(30100 + 100*round + i) })
			}()
			time.Sleep(80 * time.Millisecond)
		}
		wg.Wait()
		for i, name := range names {
			port := int32(30100 + 100*round + i)
			cl.waitTargetsOn(name, port)
			eventually(t, 30*time.Second, fmt.Sprintf("%s: node port %d allowed", name, port), func() (bool, string) {
				return allowed(cl.nodeRuleList(), "tcp", cl.backendSG(), port), fmt.Sprint(cl.nodeRules())
			})
		}
	}
	// Every port any Service still uses is allowed at the end.
	rules := cl.nodeRuleList()
	for i := range names {
		if port := int32(30400 + i); !allowed(rules, "tcp", cl.backendSG(), port) {
			t.Errorf("port %d in use is not allowed: %v", port, cl.nodeRules())
		}
	}
	rep := awsproxy.Analyze(cl.accountCalls(), t0, time.Now())
	t.Logf("%d Services changed 3 times at once: gap %s, exposure %s", n, rep.Gap, rep.Exposure)
	if rep.Gap != 0 || rep.Exposure != 0 {
		t.Errorf("gap %s, exposure %s: %v", rep.Gap, rep.Exposure, rep.Details)
	}
}

// waitTargetsOn waits until kelb registered targets of the Service on port
// and reports it Ready.
func (cl *cluster) waitTargetsOn(name string, port int32) {
	cl.t.Helper()
	eventually(cl.t, 60*time.Second, fmt.Sprintf("%s: targets on %d", name, port), func() (bool, string) {
		for _, c := range env.Proxy.Log.Calls() {
			if c.Caller == cl.world.Account && c.Action == "RegisterTargets" && c.Params["Targets.member.1.Port"] == fmt.Sprint(port) {
				s := cl.get(name)
				ready := meta.FindStatusCondition(s.Status.Conditions, "elbv2.k8s.aws/Ready")
				return ready != nil && ready.Status == metav1.ConditionTrue, "not ready"
			}
		}
		return false, "no registration yet"
	})
}

// TestDuplicateRuleDoesNotHideMissingOnes: a rule someone added by hand
// since kelb read the node group makes AWS refuse kelb's whole batch; the
// other rules of the batch must still be authorized.
func TestDuplicateRuleDoesNotHideMissingOnes(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	cl.createService("first", withPort(80, 30701, corev1.ProtocolTCP))
	cl.waitReady("first") // kelb has read the node group
	backend := cl.backendSG()
	if _, err := cl.world.Clients.EC2.AuthorizeSecurityGroupIngress(t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(cl.world.NodeSG), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"),
			FromPort: aws.Int32(30712), ToPort: aws.Int32(30712), UserIdGroupPairs: []ec2types.UserIdGroupPair{{
				GroupId: aws.String(backend), Description: aws.String("by hand")}}}}}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cl.createService("second", withPort(80, 30712, corev1.ProtocolTCP), withPort(81, 30723, corev1.ProtocolTCP))
	cl.waitReady("second")
	if cl.refusals(t0, "AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate") == 0 {
		t.Fatal("AWS never refused a batch: the test did not exercise the duplicate")
	}
	rules := cl.nodeRuleList()
	for _, port := range []int32{30701, 30712, 30723} {
		if !allowed(rules, "tcp", backend, port) {
			t.Errorf("port %d not allowed: %v", port, cl.nodeRules())
		}
	}
}
