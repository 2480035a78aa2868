package awsproxy

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// iamPrefix is the IAM service prefix of each signing name.
var iamPrefix = map[string]string{"ec2": "ec2", "elasticloadbalancing": "elasticloadbalancing", "tagging": "tag",
	"acm": "acm", "iam": "iam", "wafv2": "wafv2", "waf-regional": "waf-regional", "shield": "shield", "sts": "sts"}

// IAMAction is the action a call is authorized as, e.g. ec2:CreateTags.
func IAMAction(service, operation string) string {
	prefix, ok := iamPrefix[service]
	if !ok {
		prefix = service
	}
	return prefix + ":" + operation
}

// resourceRef says how to read a resource's tags from the emulator.
type resourceRef struct {
	kind string // "elb" (any ELBv2 ARN) or "security-group"
	id   string // ARN or group id
}

// authorizationRequest is one Authorization before its resource tags are
// wired to a reader.
type authorizationRequest struct {
	Authorization
	tagsOf *resourceRef // nil: the resource has no tags to read
}

var regionInScope = regexp.MustCompile(`Credential=[^/]+/[^/]+/([^/]+)/`)

// authorizations returns the permissions a call needs, as AWS checks them:
// the operation on each resource it names (ELBv2 and EC2 resources by ARN,
// everything else on "*"), and for a create that tags what it makes, the
// tagging action too, with the create action as condition key.
func authorizations(r *Request) []authorizationRequest {
	region := "us-west-2"
	if m := regionInScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	action := IAMAction(r.Service, r.Action)
	switch r.Service {
	case "elasticloadbalancing":
		return elbAuthorizations(r, action, region)
	case "ec2":
		return ec2Authorizations(r, action, region)
	}
	return []authorizationRequest{{Authorization: Authorization{Action: action, Resource: "*"}}}
}

func elbAuthorizations(r *Request, action, region string) []authorizationRequest {
	p := r.Params
	existing := func(arns ...string) []authorizationRequest {
		var out []authorizationRequest
		for _, arn := range arns {
			if arn != "" {
				out = append(out, authorizationRequest{Authorization: Authorization{Action: action, Resource: arn},
					tagsOf: &resourceRef{kind: "elb", id: arn}})
			}
		}
		return out
	}
	created := func(arn string) []authorizationRequest {
		tags := tagMembers(p, "Tags.member")
		out := []authorizationRequest{{Authorization: Authorization{Action: action, Resource: arn, RequestTags: tags}}}
		if tags != nil {
			// Tagging on create is authorized as AddTags too.
			out = append(out, authorizationRequest{Authorization: Authorization{Action: "elasticloadbalancing:AddTags",
				Resource: arn, RequestTags: tags,
				Keys: map[string][]string{"elasticloadbalancing:createaction": {r.Action}}}})
		}
		return out
	}
	base := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:", region, accountOr(r.Account))
	switch r.Action {
	case "CreateLoadBalancer":
		kind := map[string]string{"network": "net", "gateway": "gwy"}[p.Get("Type")]
		if kind == "" {
			kind = "app"
		}
		return created(base + "loadbalancer/" + kind + "/" + p.Get("Name") + "/new")
	case "CreateTargetGroup":
		return created(base + "targetgroup/" + p.Get("Name") + "/new")
	case "CreateListener":
		return created(strings.Replace(p.Get("LoadBalancerArn"), ":loadbalancer/", ":listener/", 1) + "/new")
	case "CreateRule":
		return created(strings.Replace(p.Get("ListenerArn"), ":listener/", ":listener-rule/", 1) + "/new")
	case "AddTags", "RemoveTags":
		out := existing(listParam(p, "ResourceArns.member")...)
		tags := tagMembers(p, "Tags.member")
		if r.Action == "RemoveTags" {
			tags = keyMembers(p, "TagKeys.member")
		}
		for i := range out {
			out[i].RequestTags = tags
		}
		return out
	case "SetRulePriorities":
		var arns []string
		for i := 1; p.Has(fmt.Sprintf("RulePriorities.member.%d.RuleArn", i)); i++ {
			arns = append(arns, p.Get(fmt.Sprintf("RulePriorities.member.%d.RuleArn", i)))
		}
		return existing(arns...)
	}
	if isRead(r.Action) {
		return []authorizationRequest{{Authorization: Authorization{Action: action, Resource: "*"}}}
	}
	for _, key := range []string{"RuleArn", "ListenerArn", "TargetGroupArn", "LoadBalancerArn"} {
		if arn := p.Get(key); arn != "" {
			return existing(arn)
		}
	}
	return []authorizationRequest{{Authorization: Authorization{Action: action, Resource: "*"}}}
}

func ec2Authorizations(r *Request, action, region string) []authorizationRequest {
	p := r.Params
	base := fmt.Sprintf("arn:aws:ec2:%s:%s:", region, accountOr(r.Account))
	arnOf := func(id string) (string, *resourceRef) {
		switch {
		case strings.HasPrefix(id, "sg-"):
			return base + "security-group/" + id, &resourceRef{kind: "security-group", id: id}
		case strings.HasPrefix(id, "vpce-"):
			return base + "vpc-endpoint/" + id, &resourceRef{kind: "vpc-endpoint", id: id}
		}
		return base + "resource/" + id, nil
	}
	existing := func(tags map[string]string, ids ...string) []authorizationRequest {
		var out []authorizationRequest
		for _, id := range ids {
			arn, ref := arnOf(id)
			out = append(out, authorizationRequest{Authorization: Authorization{Action: action, Resource: arn,
				RequestTags: tags}, tagsOf: ref})
		}
		return out
	}
	created := func(arn, resourceType string) []authorizationRequest {
		tags := tagSpecification(p, resourceType)
		out := []authorizationRequest{{Authorization: Authorization{Action: action, Resource: arn, RequestTags: tags}}}
		if tags != nil {
			// Tagging on create is authorized as CreateTags too.
			out = append(out, authorizationRequest{Authorization: Authorization{Action: "ec2:CreateTags",
				Resource: arn, RequestTags: tags, Keys: map[string][]string{"ec2:createaction": {r.Action}}}})
		}
		return out
	}
	switch r.Action {
	case "CreateSecurityGroup":
		return created(base+"security-group/new", "security-group")
	case "CreateVpcEndpoint":
		return created(base+"vpc-endpoint/new", "vpc-endpoint")
	case "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DeleteSecurityGroup":
		return existing(nil, p.Get("GroupId"))
	case "ModifyVpcEndpoint":
		return existing(nil, p.Get("VpcEndpointId"))
	case "DeleteVpcEndpoints":
		return existing(nil, listParam(p, "VpcEndpointId")...)
	case "CreateTags":
		return existing(tagMembers(p, "Tag"), listParam(p, "ResourceId")...)
	case "DeleteTags":
		return existing(keyMembers(p, "Tag"), listParam(p, "ResourceId")...)
	}
	return []authorizationRequest{{Authorization: Authorization{Action: action, Resource: "*"}}}
}

func isRead(action string) bool {
	for _, verb := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(action, verb) {
			return true
		}
	}
	return false
}

// tagMembers reads prefix.N.Key / prefix.N.Value; nil when there are none.
func tagMembers(p url.Values, prefix string) map[string]string {
	var tags map[string]string
	for i := 1; p.Has(fmt.Sprintf("%s.%d.Key", prefix, i)); i++ {
		if tags == nil {
			tags = map[string]string{}
		}
		tags[p.Get(fmt.Sprintf("%s.%d.Key", prefix, i))] = p.Get(fmt.Sprintf("%s.%d.Value", prefix, i))
	}
	return tags
}

// keyMembers reads tag keys to remove (prefix.N or prefix.N.Key) as
// request tags without values: removing a tag names it.
func keyMembers(p url.Values, prefix string) map[string]string {
	var tags map[string]string
	for i := 1; ; i++ {
		k := p.Get(fmt.Sprintf("%s.%d", prefix, i))
		if k == "" {
			k = p.Get(fmt.Sprintf("%s.%d.Key", prefix, i))
		}
		if k == "" {
			return tags
		}
		if tags == nil {
			tags = map[string]string{}
		}
		tags[k] = ""
	}
}

// tagSpecification reads the tags of TagSpecification.N of resourceType.
func tagSpecification(p url.Values, resourceType string) map[string]string {
	for i := 1; p.Has(fmt.Sprintf("TagSpecification.%d.ResourceType", i)); i++ {
		if p.Get(fmt.Sprintf("TagSpecification.%d.ResourceType", i)) == resourceType {
			return tagMembers(p, fmt.Sprintf("TagSpecification.%d.Tag", i))
		}
	}
	return nil
}
