package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/awsproxy"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// TestNotOursIgnored: Services kelb must not claim get no AWS call, no
// finalizer and no status.
func TestNotOursIgnored(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	t0 := time.Now()
	cl.createService("intree", withClass("other.example.com/lb"))
	cl.createService("legacy", func(s *corev1.Service) { s.Spec.LoadBalancerClass = nil },
		annotate(service.AnnType, "nlb"))
	cl.createService("ours")
	cl.waitReady("ours")
	for _, name := range []string{"intree", "legacy"} {
		s := cl.get(name)
		if len(s.Finalizers) != 0 || len(s.Status.Conditions) != 0 || len(s.Status.LoadBalancer.Ingress) != 0 {
			t.Errorf("%s was touched: finalizers %v status %+v", name, s.Finalizers, s.Status)
		}
	}
	if n := awsproxy.CountByAction(cl.calls(t0))["CreateLoadBalancer"]; n != 1 {
		t.Errorf("want 1 load balancer created, got %d", n)
	}
}

// TestForeignResourcesUntouched: a load balancer, target group and security
// group of another cluster, and ones without tags, survive kelb's whole
// lifecycle, even with the same stack tag as one of kelb's Services.
func TestForeignResourcesUntouched(t *testing.T) {
	cl := newCluster(t, 3)
	ctx := t.Context()
	api := cl.world.Clients.ELBV2
	foreignTags := []elbtypes.Tag{{Key: aws.String(model.TagCluster), Value: aws.String("another-cluster")},
		{Key: aws.String(model.TagServiceStack), Value: aws.String("default/web")},
		{Key: aws.String(model.TagServiceResource), Value: aws.String(model.ResourceLoadBalancer)}}
	var foreign []string
	for i, tags := range [][]elbtypes.Tag{foreignTags, nil} {
		lb, err := api.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String([]string{"foreign", "untagged"}[i]),
			Type: elbtypes.LoadBalancerTypeEnumNetwork, Subnets: cl.world.PrivateSubnets, Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		foreign = append(foreign, aws.ToString(lb.LoadBalancers[0].LoadBalancerArn))
	}
	sg, err := cl.world.Clients.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("foreign"),
		Description: aws.String("not kelb's"), VpcId: aws.String(cl.world.VPCID)})
	if err != nil {
		t.Fatal(err)
	}

	cl.startKelb()
	t0 := time.Now()
	svc := cl.createService("web")
	cl.waitReady("web")
	if err := cl.c.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	cl.waitGone("web")
	time.Sleep(3 * time.Second) // let the sweeper (1s interval, 2s grace) run
	for _, c := range cl.calls(t0) {
		for _, v := range c.Params {
			for _, id := range append(foreign, aws.ToString(sg.GroupId)) {
				if v == id && c.Mutating() {
					t.Errorf("kelb called %s on foreign resource %s", c.Action, id)
				}
			}
		}
	}
	lbs := cl.loadBalancers()
	if len(lbs) != 2 || lbs["foreign"] == "" || lbs["untagged"] == "" {
		t.Errorf("foreign load balancers changed: %v", lbs)
	}
}

// TestBadAnnotation: an invalid annotation gives an event and a False
// condition naming it, changes nothing in AWS, and other Services go on.
func TestBadAnnotation(t *testing.T) {
	cl := newCluster(t, 3)
	cl.startKelb()
	t0 := time.Now()
	cl.createService("bad", annotate(service.AnnScheme, "public"))
	cl.createService("missing-subnet", annotate(service.AnnSubnets, "subnet-doesnotexist"))
	cl.createService("good")
	cl.waitReady("good")
	cond := cl.waitCondition("bad", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
	for _, want := range []string{service.AnnScheme, "internal, internet-facing", "public"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("condition message %q does not name %q", cond.Message, want)
		}
	}
	cond = cl.waitCondition("missing-subnet", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
	if !strings.Contains(cond.Message, "subnet-doesnotexist") || !strings.Contains(cond.Message, service.AnnSubnets) {
		t.Errorf("condition message %q does not name the subnet and annotation", cond.Message)
	}
	var events corev1.EventList
	eventually(t, 10*time.Second, "warning event", func() (bool, string) {
		if err := cl.c.List(t.Context(), &events); err != nil {
			return false, err.Error()
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == "bad" && e.Type == corev1.EventTypeWarning && e.Reason == "InvalidConfiguration" {
				return true, ""
			}
		}
		return false, "none yet"
	})
	if n := awsproxy.CountByAction(cl.calls(t0))["CreateLoadBalancer"]; n != 1 {
		t.Errorf("want only the good Service's load balancer created, got %d", n)
	}
	// Fixing the annotation converges the Service.
	cl.update("bad", func(s *corev1.Service) { s.Annotations[service.AnnScheme] = "internet-facing" })
	cl.waitReady("bad")
}
