package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/shield"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// KubernetesService is the service name of recorded Kubernetes writes (the
// TargetGroupBindings a stack's deploy writes).
const KubernetesService = "Kubernetes"

// KubernetesWrite is the input of a recorded Kubernetes write.
type KubernetesWrite struct {
	Verb, Kind, Namespace, Name string
	Detail                      string
}

// iamPrefix is the IAM service prefix of an SDK service id: the operation
// reads as the permission it needs.
var iamPrefix = map[string]string{
	"Elastic Load Balancing v2": "elasticloadbalancing",
	"EC2":                       "ec2",
	"WAFV2":                     "wafv2",
	"WAF Regional":              "waf-regional",
	"Shield":                    "shield",
	KubernetesService:           "kubernetes",
}

// Describe turns one recorded call into an action. why is the reason the
// caller knows for the whole object (a deleted Service's stack goes);
// otherwise the reason is read from the call.
func Describe(call awsclient.RecordedCall, why string) Action {
	prefix := iamPrefix[call.Service]
	if prefix == "" {
		prefix = strings.ToLower(call.Service)
	}
	a := describeInput(call)
	a.Operation = prefix + ":" + call.Operation
	if why != "" && (a.Op == "delete" || a.Why == "") {
		a.Why = why
	}
	return a
}

func describeInput(call awsclient.RecordedCall) Action {
	for _, describe := range []func(any) (Action, bool){describeLoadBalancing, describeListeners, describeEC2,
		describeAddOns} {
		if a, ok := describe(call.Input); ok {
			return a
		}
	}
	if in, ok := call.Input.(*KubernetesWrite); ok {
		return describeKubernetes(call.Operation, in)
	}
	return Action{Op: "call", Resource: "?", Name: fmt.Sprintf("%T", call.Input)}
}

// describeLoadBalancing describes writes to load balancers, target groups
// and their targets.
func describeLoadBalancing(input any) (Action, bool) {
	switch in := input.(type) {
	case *elbv2.CreateLoadBalancerInput:
		return Action{Op: "create", Resource: "load-balancer", Name: aws.ToString(in.Name),
			Detail: join(string(in.Type), string(in.Scheme), string(in.IpAddressType),
				list("subnets", subnetsOf(in.Subnets, in.SubnetMappings)), list("security groups", in.SecurityGroups)),
			Why: "no load balancer of this stack in AWS"}, true
	case *elbv2.DeleteLoadBalancerInput:
		return Action{Op: "delete", Resource: "load-balancer", Name: aws.ToString(in.LoadBalancerArn)}, true
	case *elbv2.SetSubnetsInput:
		return Action{Op: "modify", Resource: "load-balancer", Name: aws.ToString(in.LoadBalancerArn),
			Detail: list("subnets", subnetsOf(in.Subnets, in.SubnetMappings)), Why: "subnets differ"}, true
	case *elbv2.SetSecurityGroupsInput:
		return Action{Op: "modify", Resource: "load-balancer", Name: aws.ToString(in.LoadBalancerArn),
			Detail: list("security groups", in.SecurityGroups), Why: "security groups differ"}, true
	case *elbv2.SetIpAddressTypeInput:
		return Action{Op: "modify", Resource: "load-balancer", Name: aws.ToString(in.LoadBalancerArn),
			Detail: "ip address type " + string(in.IpAddressType), Why: "ip address type differs"}, true
	case *elbv2.ModifyLoadBalancerAttributesInput:
		kv := lbAttributes(in.Attributes)
		return Action{Op: "modify", Resource: "load-balancer", Name: aws.ToString(in.LoadBalancerArn),
			Detail: kv, Why: "attributes differ: want " + kv}, true
	case *elbv2.ModifyCapacityReservationInput:
		return Action{Op: "modify", Resource: "load-balancer", Name: aws.ToString(in.LoadBalancerArn),
			Detail: "capacity reservation", Why: "minimum capacity differs"}, true
	case *elbv2.CreateTargetGroupInput:
		return Action{Op: "create", Resource: "target-group", Name: aws.ToString(in.Name),
			Detail: join(string(in.Protocol)+":"+fmt.Sprint(aws.ToInt32(in.Port)), string(in.TargetType)+" targets",
				"health check "+string(in.HealthCheckProtocol)+":"+aws.ToString(in.HealthCheckPort)),
			Why: "no target group of this stack for the port in AWS"}, true
	case *elbv2.ModifyTargetGroupInput:
		return Action{Op: "modify", Resource: "target-group", Name: aws.ToString(in.TargetGroupArn),
			Detail: "health check " + string(in.HealthCheckProtocol) + ":" + aws.ToString(in.HealthCheckPort),
			Why:    "health check differs"}, true
	case *elbv2.ModifyTargetGroupAttributesInput:
		kv := tgAttributes(in.Attributes)
		return Action{Op: "modify", Resource: "target-group", Name: aws.ToString(in.TargetGroupArn),
			Detail: kv, Why: "attributes differ: want " + kv}, true
	case *elbv2.DeleteTargetGroupInput:
		return Action{Op: "delete", Resource: "target-group", Name: aws.ToString(in.TargetGroupArn),
			Why: "no longer in the desired stack"}, true
	case *elbv2.RegisterTargetsInput:
		return Action{Op: "register", Resource: "targets", Name: aws.ToString(in.TargetGroupArn),
			Detail: fmt.Sprintf("%d targets", len(in.Targets))}, true
	case *elbv2.DeregisterTargetsInput:
		return Action{Op: "deregister", Resource: "targets", Name: aws.ToString(in.TargetGroupArn),
			Detail: fmt.Sprintf("%d targets", len(in.Targets))}, true
	}
	return Action{}, false
}

// describeListeners describes writes to listeners, their rules and
// certificates, and ELB tags.
func describeListeners(input any) (Action, bool) {
	switch in := input.(type) {
	case *elbv2.CreateListenerInput:
		return Action{Op: "create", Resource: "listener",
			Name:   fmt.Sprintf("%s:%d", string(in.Protocol), aws.ToInt32(in.Port)),
			Detail: "on " + aws.ToString(in.LoadBalancerArn) + actionsDetail(in.DefaultActions),
			Why:    "no listener on this port in AWS"}, true
	case *elbv2.ModifyListenerInput:
		return Action{Op: "modify", Resource: "listener", Name: aws.ToString(in.ListenerArn),
			Detail: strings.TrimPrefix(actionsDetail(in.DefaultActions), ", "),
			Why:    "protocol, default action or TLS settings differ"}, true
	case *elbv2.DeleteListenerInput:
		return Action{Op: "delete", Resource: "listener", Name: aws.ToString(in.ListenerArn),
			Why: "port no longer in the desired stack"}, true
	case *elbv2.ModifyListenerAttributesInput:
		kv := listenerAttributes(in.Attributes)
		return Action{Op: "modify", Resource: "listener", Name: aws.ToString(in.ListenerArn), Detail: kv,
			Why: "attributes differ: want " + kv}, true
	case *elbv2.AddListenerCertificatesInput:
		return Action{Op: "modify", Resource: "listener-certificates", Name: aws.ToString(in.ListenerArn),
			Detail: list("add", certificates(in.Certificates)), Why: "certificate missing on the listener"}, true
	case *elbv2.RemoveListenerCertificatesInput:
		return Action{Op: "modify", Resource: "listener-certificates", Name: aws.ToString(in.ListenerArn),
			Detail: list("remove", certificates(in.Certificates)), Why: "certificate no longer wanted"}, true
	case *elbv2.CreateRuleInput:
		return Action{Op: "create", Resource: "listener-rule",
			Name:   fmt.Sprintf("priority %d", aws.ToInt32(in.Priority)),
			Detail: "on " + aws.ToString(in.ListenerArn) + actionsDetail(in.Actions), Why: "rule missing"}, true
	case *elbv2.ModifyRuleInput:
		return Action{Op: "modify", Resource: "listener-rule", Name: aws.ToString(in.RuleArn),
			Detail: strings.TrimPrefix(actionsDetail(in.Actions), ", "), Why: "conditions or actions differ"}, true
	case *elbv2.SetRulePrioritiesInput:
		return Action{Op: "modify", Resource: "listener-rule", Name: fmt.Sprintf("%d rules", len(in.RulePriorities)),
			Detail: "priorities", Why: "rule order differs"}, true
	case *elbv2.DeleteRuleInput:
		return Action{Op: "delete", Resource: "listener-rule", Name: aws.ToString(in.RuleArn),
			Why: "no longer in the desired rules"}, true
	case *elbv2.AddTagsInput:
		kv := elbTags(in.Tags)
		return Action{Op: "tag", Resource: resourceOfARN(in.ResourceArns), Name: strings.Join(in.ResourceArns, ", "),
			Detail: kv, Why: tagWhy(in.Tags)}, true
	case *elbv2.RemoveTagsInput:
		return Action{Op: "untag", Resource: resourceOfARN(in.ResourceArns), Name: strings.Join(in.ResourceArns, ", "),
			Detail: strings.Join(in.TagKeys, ", "), Why: "tags no longer wanted (removed from the annotations)"}, true
	}
	return Action{}, false
}

// describeEC2 describes writes to security groups and EC2 tags.
func describeEC2(input any) (Action, bool) {
	switch in := input.(type) {
	case *ec2.CreateSecurityGroupInput:
		return Action{Op: "create", Resource: "security-group", Name: aws.ToString(in.GroupName),
			Detail: aws.ToString(in.Description), Why: "no security group of this stack in AWS"}, true
	case *ec2.DeleteSecurityGroupInput:
		return Action{Op: "delete", Resource: "security-group", Name: aws.ToString(in.GroupId),
			Why: "no load balancer uses it any longer"}, true
	case *ec2.AuthorizeSecurityGroupIngressInput:
		return Action{Op: "authorize", Resource: "security-group-rules", Name: aws.ToString(in.GroupId),
			Detail: permissions(in.IpPermissions), Why: "rules missing"}, true
	case *ec2.RevokeSecurityGroupIngressInput:
		return Action{Op: "revoke", Resource: "security-group-rules", Name: aws.ToString(in.GroupId),
			Detail: permissions(in.IpPermissions), Why: revokeWhy(in.IpPermissions)}, true
	case *ec2.CreateTagsInput:
		kv := ec2Tags(in.Tags)
		return Action{Op: "tag", Resource: ec2Resource(in.Resources), Name: strings.Join(in.Resources, ", "), Detail: kv,
			Why: ec2TagWhy(in.Tags)}, true
	case *ec2.DeleteTagsInput:
		var keys []string
		for _, t := range in.Tags {
			keys = append(keys, aws.ToString(t.Key))
		}
		return Action{Op: "untag", Resource: ec2Resource(in.Resources), Name: strings.Join(in.Resources, ", "),
			Detail: strings.Join(keys, ", "), Why: "tags no longer wanted"}, true
	}
	return Action{}, false
}

// describeAddOns describes writes of WAF and Shield.
func describeAddOns(input any) (Action, bool) {
	switch in := input.(type) {
	case *wafv2.AssociateWebACLInput:
		return Action{Op: "associate", Resource: "web-acl", Name: aws.ToString(in.WebACLArn),
			Detail: "with " + aws.ToString(in.ResourceArn), Why: "wafv2-acl-arn annotation"}, true
	case *wafv2.DisassociateWebACLInput:
		return Action{Op: "disassociate", Resource: "web-acl", Name: aws.ToString(in.ResourceArn),
			Why: "no WAFv2 web ACL wanted"}, true
	case *wafregional.AssociateWebACLInput:
		return Action{Op: "associate", Resource: "web-acl", Name: aws.ToString(in.WebACLId),
			Detail: "with " + aws.ToString(in.ResourceArn), Why: "waf-acl-id annotation"}, true
	case *wafregional.DisassociateWebACLInput:
		return Action{Op: "disassociate", Resource: "web-acl", Name: aws.ToString(in.ResourceArn),
			Why: "no classic WAF web ACL wanted"}, true
	case *shield.CreateProtectionInput:
		return Action{Op: "create", Resource: "shield-protection", Name: aws.ToString(in.ResourceArn),
			Why: "shield-advanced-protection annotation"}, true
	case *shield.DeleteProtectionInput:
		return Action{Op: "delete", Resource: "shield-protection", Name: aws.ToString(in.ProtectionId),
			Why: "no Shield protection wanted"}, true
	}
	return Action{}, false
}

// describeKubernetes describes a Kubernetes write kept from the cluster.
func describeKubernetes(operation string, in *KubernetesWrite) Action {
	a := Action{Op: in.Verb, Resource: in.Kind, Name: in.Namespace + "/" + in.Name, Detail: in.Detail}
	switch {
	case operation == "PatchPodStatus":
		a.Why = "the pod's target health changed"
	case strings.Contains(in.Detail, "checkpoint"):
		a.Why = "kelb differs from LBC: it drops LBC's checkpoint before its first membership change, " +
			"so that LBC reconciles the binding in full if it takes it back"
	case in.Verb == "create":
		a.Why = "no binding for the target group"
	case in.Verb == "modify":
		a.Why = "binding spec or labels differ"
	case in.Verb == "delete":
		a.Why = "its target group is no longer in the stack"
	}
	return a
}

// revokeWhy explains a revoke; LBC's wide node rules giving way to exact
// ones is a deliberate difference.
func revokeWhy(perms []ec2types.IpPermission) string {
	for _, p := range perms {
		wide := aws.ToInt32(p.ToPort)-aws.ToInt32(p.FromPort) > 0
		for _, g := range p.UserIdGroupPairs {
			if wide && aws.ToString(g.Description) == model.BackendRuleDescription {
				return "kelb differs from LBC: it lets in only the ports the targets receive; LBC's wider rule " +
					"goes once the exact ones are in"
			}
		}
	}
	return "rules no longer needed (revoked after the new ones are in)"
}

// tagWhy explains tags kelb adds to resources it already has: its own
// identity tag is a deliberate difference from LBC.
func tagWhy(tags []elbtypes.Tag) string {
	keys := map[string]bool{}
	for _, t := range tags {
		keys[aws.ToString(t.Key)] = true
	}
	return tagKeysWhy(keys)
}

func ec2TagWhy(tags []ec2types.Tag) string {
	keys := map[string]bool{}
	for _, t := range tags {
		keys[aws.ToString(t.Key)] = true
	}
	return tagKeysWhy(keys)
}

func tagKeysWhy(keys map[string]bool) string {
	for k := range keys {
		if strings.HasPrefix(k, "kelb.dev/") {
			return "tag " + k + " missing: kelb's own tag (LBC does not write it), deliberately added"
		}
	}
	return "tags missing or different (the annotations' or --default-tags)"
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

func list(label string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return label + " " + strings.Join(items, " ")
}

func subnetsOf(subnets []string, mappings []elbtypes.SubnetMapping) []string {
	out := append([]string(nil), subnets...)
	for _, m := range mappings {
		out = append(out, aws.ToString(m.SubnetId))
	}
	return out
}

// keyValues prints key=value pairs sorted by key, whatever SDK type holds
// them (attributes and tags of each API).
func keyValues[T any](items []T, pair func(T) (key, value *string)) string {
	kv := make([]string, 0, len(items))
	for _, it := range items {
		k, v := pair(it)
		kv = append(kv, aws.ToString(k)+"="+aws.ToString(v))
	}
	sort.Strings(kv)
	return strings.Join(kv, ", ")
}

func lbAttributes(attrs []elbtypes.LoadBalancerAttribute) string {
	return keyValues(attrs, func(a elbtypes.LoadBalancerAttribute) (*string, *string) { return a.Key, a.Value })
}

func tgAttributes(attrs []elbtypes.TargetGroupAttribute) string {
	return keyValues(attrs, func(a elbtypes.TargetGroupAttribute) (*string, *string) { return a.Key, a.Value })
}

func listenerAttributes(attrs []elbtypes.ListenerAttribute) string {
	return keyValues(attrs, func(a elbtypes.ListenerAttribute) (*string, *string) { return a.Key, a.Value })
}

func certificates(certs []elbtypes.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, aws.ToString(c.CertificateArn))
	}
	return out
}

func elbTags(tags []elbtypes.Tag) string {
	return keyValues(tags, func(t elbtypes.Tag) (*string, *string) { return t.Key, t.Value })
}

func ec2Tags(tags []ec2types.Tag) string {
	return keyValues(tags, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
}

// actionsDetail names where actions send traffic.
func actionsDetail(actions []elbtypes.Action) string {
	var out []string
	for _, a := range actions {
		switch {
		case a.TargetGroupArn != nil:
			out = append(out, "forward to "+aws.ToString(a.TargetGroupArn))
		case a.ForwardConfig != nil:
			var tgs []string
			for _, tg := range a.ForwardConfig.TargetGroups {
				tgs = append(tgs, aws.ToString(tg.TargetGroupArn))
			}
			out = append(out, "forward to "+strings.Join(tgs, " "))
		default:
			out = append(out, string(a.Type))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ", " + strings.Join(out, "; ")
}

// permissions renders security-group rules: "tcp 80 from 0.0.0.0/0".
func permissions(perms []ec2types.IpPermission) string {
	var out []string
	for _, p := range perms {
		ports := fmt.Sprint(aws.ToInt32(p.FromPort))
		if aws.ToInt32(p.ToPort) != aws.ToInt32(p.FromPort) {
			ports += "-" + fmt.Sprint(aws.ToInt32(p.ToPort))
		}
		proto := aws.ToString(p.IpProtocol)
		if proto == "-1" {
			proto, ports = "all", "all"
		}
		var from []string
		for _, r := range p.IpRanges {
			from = append(from, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			from = append(from, aws.ToString(r.CidrIpv6))
		}
		for _, r := range p.PrefixListIds {
			from = append(from, aws.ToString(r.PrefixListId))
		}
		for _, g := range p.UserIdGroupPairs {
			from = append(from, aws.ToString(g.GroupId))
		}
		out = append(out, fmt.Sprintf("%s %s from %s", proto, ports, strings.Join(from, " ")))
	}
	return strings.Join(out, "; ")
}

// ec2Resource names the kind of EC2 resources by their ids.
func ec2Resource(ids []string) string {
	if len(ids) > 0 && strings.HasPrefix(ids[0], "sg-") {
		return "security-group"
	}
	return "ec2-resource"
}

// resourceOfARN names the kind of an ELB resource from its ARN.
func resourceOfARN(arns []string) string {
	if len(arns) == 0 {
		return "?"
	}
	for _, k := range []struct{ part, kind string }{{":listener-rule/", "listener-rule"}, {":listener/", "listener"},
		{":targetgroup/", "target-group"}, {":loadbalancer/", "load-balancer"}} {
		if strings.Contains(arns[0], k.part) {
			return k.kind
		}
	}
	return "?"
}
