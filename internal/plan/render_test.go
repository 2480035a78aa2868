package plan

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
)

func samplePlan() *Plan {
	return &Plan{Schema: Schema, Source: "cluster", Cluster: "prod", VPC: "vpc-1", Region: "us-west-2",
		Objects: []Object{
			{Kind: "Service", Namespace: "default", Name: "web", Stacks: []string{"service:default/web"},
				Actions: []Action{{Op: "create", Resource: "load-balancer", Name: "k8s-default-web-0123456789",
					Operation: "elasticloadbalancing:CreateLoadBalancer", Detail: "network, internet-facing",
					Why: "no load balancer of this stack in AWS"},
					{Op: "tag", Resource: "target-group", Name: "arn:tg", Operation: "elasticloadbalancing:AddTags",
						Detail: "kelb.dev/cluster-uid=u"}}},
			{Kind: "Service", Namespace: "default", Name: "bad", Error: "annotation x: value y; allowed: a, b",
				Actions: []Action{}},
			{Kind: "Ingress", Namespace: "shop", Name: "front", Skipped: "not served (no finalizer)", Actions: []Action{}},
			{Kind: "NodeSecurityGroups", Name: "node security groups", Actions: []Action{},
				Notes: []string{"a note"}},
		}}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, samplePlan()); err != nil {
		t.Fatal(err)
	}
	want := `kelb plan: cluster prod, VPC vpc-1, region us-west-2; objects from the cluster
2 action(s), 1 object(s) with errors; nothing was changed.

Service default/web (stack service:default/web)
  + create     load-balancer         k8s-default-web-0123456789  [elasticloadbalancing:CreateLoadBalancer]
      network, internet-facing
      why: no load balancer of this stack in AWS
  ~ tag        target-group          arn:tg  [elasticloadbalancing:AddTags]
      kelb.dev/cluster-uid=u

Service default/bad: error, nothing changes for it: annotation x: value y; allowed: a, b

Ingress shop/front: skipped: not served (no finalizer)

NodeSecurityGroups node security groups: no changes
  note: a note
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

func TestWriteTextEmpty(t *testing.T) {
	var b bytes.Buffer
	p := &Plan{Schema: Schema, Source: "files", Cluster: "c", VPC: "v", Region: "r",
		Objects: []Object{{Kind: "Service", Namespace: "a", Name: "b", Actions: []Action{}}}}
	if err := WriteText(&b, p); err != nil {
		t.Fatal(err)
	}
	want := `kelb plan: cluster c, VPC v, region r; objects from the files
No changes: AWS matches what kelb would build.

Service a/b: no changes
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

func TestWriteJSON(t *testing.T) {
	p := samplePlan()
	p.Objects = p.Objects[:1]
	var b bytes.Buffer
	if err := WriteJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	want := `{
  "schema": "kelb.dev/plan/v1",
  "source": "cluster",
  "cluster": "prod",
  "vpc": "vpc-1",
  "region": "us-west-2",
  "objects": [
    {
      "kind": "Service",
      "namespace": "default",
      "name": "web",
      "stacks": [
        "service:default/web"
      ],
      "actions": [
        {
          "op": "create",
          "resource": "load-balancer",
          "name": "k8s-default-web-0123456789",
          "operation": "elasticloadbalancing:CreateLoadBalancer",
          "detail": "network, internet-facing",
          "why": "no load balancer of this stack in AWS"
        },
        {
          "op": "tag",
          "resource": "target-group",
          "name": "arn:tg",
          "operation": "elasticloadbalancing:AddTags",
          "detail": "kelb.dev/cluster-uid=u"
        }
      ]
    }
  ]
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		call awsclient.RecordedCall
		why  string
		want Action
	}{
		{"authorize", awsclient.RecordedCall{Service: "EC2", Operation: "AuthorizeSecurityGroupIngress",
			Input: &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-1"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(81),
				IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}}}, "",
			Action{Op: "authorize", Resource: "security-group-rules", Name: "sg-1",
				Operation: "ec2:AuthorizeSecurityGroupIngress", Detail: "tcp 80-81 from 10.0.0.0/8", Why: "rules missing"}},
		{"LBC's wide node rule", awsclient.RecordedCall{Service: "EC2", Operation: "RevokeSecurityGroupIngress",
			Input: &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String("sg-n"), IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(0), ToPort: aws.Int32(65535),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-b"),
					Description: aws.String("elbv2.k8s.aws/targetGroupBinding=shared")}}}}}}, "",
			Action{Op: "revoke", Resource: "security-group-rules", Name: "sg-n",
				Operation: "ec2:RevokeSecurityGroupIngress", Detail: "tcp 0-65535 from sg-b",
				Why: "kelb differs from LBC: it lets in only the ports the targets receive; LBC's wider rule " +
					"goes once the exact ones are in"}},
		{"attributes", awsclient.RecordedCall{Service: "Elastic Load Balancing v2", Operation: "ModifyLoadBalancerAttributes",
			Input: &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String("arn:lb"),
				Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("b"), Value: aws.String("2")},
					{Key: aws.String("a"), Value: aws.String("1")}}}}, "",
			Action{Op: "modify", Resource: "load-balancer", Name: "arn:lb",
				Operation: "elasticloadbalancing:ModifyLoadBalancerAttributes", Detail: "a=1, b=2",
				Why: "attributes differ: want a=1, b=2"}},
		{"own tag is a deliberate difference", awsclient.RecordedCall{Service: "Elastic Load Balancing v2",
			Operation: "AddTags", Input: &elbv2.AddTagsInput{
				ResourceArns: []string{"arn:aws:elasticloadbalancing:r:a:listener/net/x/1/2"},
				Tags:         []elbtypes.Tag{{Key: aws.String("kelb.dev/cluster-uid"), Value: aws.String("u")}}}}, "",
			Action{Op: "tag", Resource: "listener", Name: "arn:aws:elasticloadbalancing:r:a:listener/net/x/1/2",
				Operation: "elasticloadbalancing:AddTags", Detail: "kelb.dev/cluster-uid=u",
				Why: "tag kelb.dev/cluster-uid missing: kelb's own tag (LBC does not write it), deliberately added"}},
		{"the object's reason wins for deletes", awsclient.RecordedCall{Service: "Elastic Load Balancing v2",
			Operation: "DeleteTargetGroup", Input: &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String("arn:tg")}},
			"the Service is deleted",
			Action{Op: "delete", Resource: "target-group", Name: "arn:tg",
				Operation: "elasticloadbalancing:DeleteTargetGroup", Why: "the Service is deleted"}},
		{"binding", awsclient.RecordedCall{Service: KubernetesService, Operation: "DeleteTargetGroupBinding",
			Input: &KubernetesWrite{Verb: "delete", Kind: "TargetGroupBinding", Namespace: "ns", Name: "b"}}, "",
			Action{Op: "delete", Resource: "TargetGroupBinding", Name: "ns/b",
				Operation: "kubernetes:DeleteTargetGroupBinding", Why: "its target group is no longer in the stack"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Describe(tc.call, tc.why)); diff != "" {
				t.Errorf("action (-want +got):\n%s", diff)
			}
		})
	}
}

// A recorded Kubernetes write keeps the order of the calls around it.
func TestBindingsRecordAndForgetDeleted(t *testing.T) {
	rec := awsclient.NewDryRun("r")
	b := &Bindings{Recorder: rec}
	ctx := awsclient.WithPlanScope(context.Background(), "Service a/b")
	if err := b.Delete(ctx, tgb("a", "x")); err != nil {
		t.Fatal(err)
	}
	if !b.Deleted(keyOf("a", "x")) {
		t.Error("a deleted binding must be gone for later reads")
	}
	calls := rec.Calls()
	if len(calls) != 1 || calls[0].Scope != "Service a/b" || calls[0].Operation != "DeleteTargetGroupBinding" {
		t.Errorf("recorded %+v", calls)
	}
}
