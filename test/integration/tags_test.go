package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/service"
)

// stackTags returns the tags of the Service's load balancer, target group
// and frontend group, each as sorted "k=v" joined by ",".
func (cl *cluster) stackTags(name string) []string {
	cl.t.Helper()
	ctx := cl.t.Context()
	var out []string
	arns := cl.stackARNs(name)
	if len(arns) > 0 {
		tags, err := cl.world.Clients.ELBV2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns})
		if err != nil {
			cl.t.Fatal(err)
		}
		for _, d := range tags.TagDescriptions {
			var kv []string
			for _, t := range d.Tags {
				kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
			}
			out = append(out, strings.Join(sorted(kv), ","))
		}
	}
	sgs, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagServiceStack), Values: []string{"default/" + name}}}})
	if err != nil {
		cl.t.Fatal(err)
	}
	for _, sg := range sgs.SecurityGroups {
		var kv []string
		for _, t := range sg.Tags {
			kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		out = append(out, strings.Join(sorted(kv), ","))
	}
	return out
}

// stackARNs returns the ARNs of the Service's load balancer and target groups.
func (cl *cluster) stackARNs(name string) []string {
	cl.t.Helper()
	ctx := cl.t.Context()
	var arns []string
	lbs, err := cl.world.Clients.ELBV2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	tgs, err := cl.world.Clients.ELBV2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil {
		cl.t.Fatal(err)
	}
	var all []string
	for _, lb := range lbs.LoadBalancers {
		all = append(all, aws.ToString(lb.LoadBalancerArn))
	}
	for _, tg := range tgs.TargetGroups {
		all = append(all, aws.ToString(tg.TargetGroupArn))
	}
	for _, arn := range all {
		tags, err := cl.world.Clients.ELBV2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{arn}})
		if err != nil {
			cl.t.Fatal(err)
		}
		for _, d := range tags.TagDescriptions {
			for _, t := range d.Tags {
				if aws.ToString(t.Key) == model.TagServiceStack && aws.ToString(t.Value) == "default/"+name {
					arns = append(arns, arn)
				}
			}
		}
	}
	return arns
}

// TestOtherToolsTagsStay: tags another tool put on kelb's resources stay;
// a key removed from the annotation goes; keys in --external-managed-tags
// are never touched and refused in annotations.
func TestOtherToolsTagsStay(t *testing.T) {
	cl := newCluster(t, 3)
	cl.opts.ExternalManagedTags = "cost-center"
	cl.startKelb()
	cl.createService("tagged", annotate(service.AnnAdditionalTags, "team=a,env=dev"))
	cl.waitReady("tagged")
	ctx := t.Context()
	// Another tool tags every resource of the stack.
	arns := cl.stackARNs("tagged")
	if _, err := cl.world.Clients.ELBV2.AddTags(ctx, &elbv2.AddTagsInput{ResourceArns: arns,
		Tags: []elbtypes.Tag{{Key: aws.String("owner"), Value: aws.String("finance")},
			{Key: aws.String("cost-center"), Value: aws.String("42")}}}); err != nil {
		t.Fatal(err)
	}
	sgs, err := cl.world.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + model.TagServiceStack), Values: []string{"default/tagged"}}}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatal(err, len(sgs.SecurityGroups))
	}
	if _, err := cl.world.Clients.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{aws.ToString(sgs.SecurityGroups[0].GroupId)},
		Tags: []ec2types.Tag{{Key: aws.String("owner"), Value: aws.String("finance")},
			{Key: aws.String("cost-center"), Value: aws.String("42")}}}); err != nil {
		t.Fatal(err)
	}

	// A restart reads every tag afresh, the other tool's included.
	cl.stopKelb()
	cl.startKelb()
	cl.update("tagged", func(s *corev1.Service) { s.Annotations[service.AnnAdditionalTags] = "team=b" })
	eventually(t, 30*time.Second, "env removed, team changed", func() (bool, string) {
		tags := cl.stackTags("tagged")
		for _, kv := range tags {
			if strings.Contains(kv, "env=dev") || !strings.Contains(kv, "team=b") {
				return false, fmt.Sprint(tags)
			}
		}
		return len(tags) == 3, fmt.Sprint(tags)
	})
	for _, kv := range cl.stackTags("tagged") {
		if !strings.Contains(kv, "owner=finance") || !strings.Contains(kv, "cost-center=42") {
			t.Errorf("another tool's tags were removed: %s", kv)
		}
	}

	cl.createService("external", annotate(service.AnnAdditionalTags, "cost-center=7"))
	cond := cl.waitCondition("external", "elbv2.k8s.aws/Ready", metav1.ConditionFalse, "InvalidConfiguration")
	if !strings.Contains(cond.Message, "cost-center") {
		t.Errorf("condition does not name the key: %s", cond.Message)
	}
}
