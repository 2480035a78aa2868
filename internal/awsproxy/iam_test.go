package awsproxy

import (
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repoPolicy is kelb's published policy.
func repoPolicy(t *testing.T) *Policy {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p, err := LoadPolicy(filepath.Join(filepath.Dir(file), "..", "..", "config", "iam", "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	testLB = "arn:aws:elasticloadbalancing:us-west-2:111122223333:loadbalancer/net/k8s-a/0123"
	testTG = "arn:aws:elasticloadbalancing:us-west-2:111122223333:targetgroup/k8s-a/0123"
	testSG = "arn:aws:ec2:us-west-2:111122223333:security-group/sg-1"
)

func tags(kv ...string) func() (map[string]string, error) {
	return func() (map[string]string, error) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m, nil
	}
}

func TestPolicyEvaluate(t *testing.T) {
	policy := repoPolicy(t)
	owned := tags("elbv2.k8s.aws/cluster", "c1")
	for _, tc := range []struct {
		name string
		a    Authorization
		want bool
	}{
		{"read allowed anywhere", Authorization{Action: "elasticloadbalancing:DescribeLoadBalancers", Resource: "*"}, true},
		{"action in no statement", Authorization{Action: "ec2:DeleteVpc", Resource: "*"}, false},
		{"action matched case-insensitively", Authorization{Action: "EC2:describevpcs", Resource: "*"}, true},
		{"delete owned load balancer", Authorization{Action: "elasticloadbalancing:DeleteLoadBalancer", Resource: testLB,
			ResourceTags: owned}, true},
		{"delete load balancer without cluster tag", Authorization{Action: "elasticloadbalancing:DeleteLoadBalancer",
			Resource: testLB, ResourceTags: tags("other", "x")}, false},
		{"revoke on foreign group", Authorization{Action: "ec2:RevokeSecurityGroupIngress", Resource: testSG,
			ResourceTags: tags()}, true}, // LBC's policy lets rules change on any group it is given
		{"delete foreign group", Authorization{Action: "ec2:DeleteSecurityGroup", Resource: testSG, ResourceTags: tags()}, false},
		{"create load balancer with cluster tag", Authorization{Action: "elasticloadbalancing:CreateLoadBalancer",
			Resource: testLB, RequestTags: map[string]string{"elbv2.k8s.aws/cluster": "c1"}}, true},
		{"create load balancer without request tag", Authorization{Action: "elasticloadbalancing:CreateLoadBalancer",
			Resource: testLB, RequestTags: map[string]string{"team": "a"}}, false},
		{"tag on create of a load balancer", Authorization{Action: "elasticloadbalancing:AddTags", Resource: testLB,
			RequestTags: map[string]string{"elbv2.k8s.aws/cluster": "c1"},
			Keys:        map[string][]string{"elasticloadbalancing:createaction": {"CreateLoadBalancer"}}}, true},
		{"add cluster tag to an existing target group", Authorization{Action: "elasticloadbalancing:AddTags",
			Resource: testTG, RequestTags: map[string]string{"elbv2.k8s.aws/cluster": "c1"}, ResourceTags: owned}, false},
		{"add other tag to owned target group", Authorization{Action: "elasticloadbalancing:AddTags", Resource: testTG,
			RequestTags: map[string]string{"team": "a"}, ResourceTags: owned}, true},
		{"security group tags on create", Authorization{Action: "ec2:CreateTags", Resource: testSG,
			RequestTags: map[string]string{"elbv2.k8s.aws/cluster": "c1"},
			Keys:        map[string][]string{"ec2:createaction": {"CreateSecurityGroup"}}}, true},
		{"ec2:CreateAction of another create", Authorization{Action: "ec2:CreateTags", Resource: testSG,
			RequestTags: map[string]string{"elbv2.k8s.aws/cluster": "c1"},
			Keys:        map[string][]string{"ec2:createaction": {"RunInstances"}}}, false},
		{"claim a foreign security group by tagging it", Authorization{Action: "ec2:CreateTags", Resource: testSG,
			RequestTags: map[string]string{"elbv2.k8s.aws/cluster": "c1"}, ResourceTags: tags()}, false},
		{"endpoint create without cluster tag", Authorization{Action: "ec2:CreateVpcEndpoint", Resource: "*",
			RequestTags: map[string]string{"services.k8s.aws/namespace": "ns"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := policy.Evaluate(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.want {
				t.Errorf("Allowed = %v, want %v (%s)", d.Allowed, tc.want, d.Reason)
			}
		})
	}
}

func TestPolicyOperators(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}},
	 {"Effect":"Allow","Action":"s:Like","Resource":"arn:x:*/p-?","Condition":{"StringLike":{"k:v":"pre*"}}},
	 {"Effect":"Deny","Action":"s:Denied","Resource":"*"}]}`
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a    Authorization
		want Decision
	}{
		{Authorization{Action: "s:X", Resource: "*", RequestTags: map[string]string{"z": "", "b": ""}}, Decision{Allowed: true}},
		{Authorization{Action: "s:X", Resource: "*", RequestTags: map[string]string{"z": ""}},
			Decision{Reason: "because no identity-based policy allows the s:X action"}},
		{Authorization{Action: "s:Like", Resource: "arn:x:a/b/p-1", Keys: map[string][]string{"k:v": {"prefix"}}}, Decision{Allowed: true}},
		{Authorization{Action: "s:Denied", Resource: "*", RequestTags: map[string]string{"a": ""}},
			Decision{ExplicitDeny: true, Reason: "with an explicit deny in an identity-based policy"}},
	} {
		got, err := p.Evaluate(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s on %s (-want +got):\n%s", tc.a.Action, tc.a.Resource, diff)
		}
	}
	if _, err := ParsePolicy([]byte(`{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*",
		"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020"}}}]}`)); err == nil {
		t.Error("a condition operator the proxy does not evaluate was accepted")
	}
}

// TestAuthorizations checks what a call is authorized as: its resources'
// ARNs, its request tags, and the tagging a create implies.
func TestAuthorizations(t *testing.T) {
	h := http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=111122223333/20260101/eu-west-1/ec2/aws4_request"}}
	type auth struct {
		Action, Resource string
		RequestTags      map[string]string
		Keys             map[string][]string
		Tags             string
	}
	for _, tc := range []struct {
		service string
		params  url.Values
		want    []auth
	}{
		{"ec2", url.Values{"Action": {"CreateSecurityGroup"}, "TagSpecification.1.ResourceType": {"security-group"},
			"TagSpecification.1.Tag.1.Key": {"elbv2.k8s.aws/cluster"}, "TagSpecification.1.Tag.1.Value": {"c"}},
			[]auth{{"ec2:CreateSecurityGroup", "arn:aws:ec2:eu-west-1:111122223333:security-group/new",
				map[string]string{"elbv2.k8s.aws/cluster": "c"}, nil, ""},
				{"ec2:CreateTags", "arn:aws:ec2:eu-west-1:111122223333:security-group/new",
					map[string]string{"elbv2.k8s.aws/cluster": "c"},
					map[string][]string{"ec2:createaction": {"CreateSecurityGroup"}}, ""}}},
		{"ec2", url.Values{"Action": {"AuthorizeSecurityGroupIngress"}, "GroupId": {"sg-1"}},
			[]auth{{"ec2:AuthorizeSecurityGroupIngress", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", nil, nil,
				"security-group sg-1"}}},
		{"ec2", url.Values{"Action": {"DeleteTags"}, "ResourceId.1": {"vpce-1"}, "Tag.1.Key": {"k"}},
			[]auth{{"ec2:DeleteTags", "arn:aws:ec2:eu-west-1:111122223333:vpc-endpoint/vpce-1", map[string]string{"k": ""},
				nil, "vpc-endpoint vpce-1"}}},
		{"elasticloadbalancing", url.Values{"Action": {"CreateListener"}, "LoadBalancerArn": {testLB}},
			[]auth{{"elasticloadbalancing:CreateListener",
				"arn:aws:elasticloadbalancing:us-west-2:111122223333:listener/net/k8s-a/0123/new", nil, nil, ""}}},
		{"elasticloadbalancing", url.Values{"Action": {"RemoveTags"}, "ResourceArns.member.1": {testTG},
			"TagKeys.member.1": {"k"}},
			[]auth{{"elasticloadbalancing:RemoveTags", testTG, map[string]string{"k": ""}, nil, "elb " + testTG}}},
		{"elasticloadbalancing", url.Values{"Action": {"DescribeTargetHealth"}, "TargetGroupArn": {testTG}},
			[]auth{{"elasticloadbalancing:DescribeTargetHealth", "*", nil, nil, ""}}},
		{"tagging", url.Values{}, []auth{{"tag:GetResources", "*", nil, nil, ""}}},
	} {
		r := &Request{Service: tc.service, Action: tc.params.Get("Action"), Params: tc.params, Account: "111122223333", Header: h}
		if tc.service == "tagging" {
			r.Action = "GetResources"
		}
		var got []auth
		for _, a := range authorizations(r) {
			ref := ""
			if a.tagsOf != nil {
				ref = a.tagsOf.kind + " " + a.tagsOf.id
			}
			got = append(got, auth{a.Action, a.Resource, a.RequestTags, a.Keys, ref})
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.service, r.Action, diff)
		}
	}
}

// TestIAMDenies checks the answer of a denied call per protocol, and that
// only kelb's access key is bound.
func TestIAMDenies(t *testing.T) {
	iam := NewIAM(func(*Request) *Response { return &Response{Status: 200, Body: []byte("<DescribeTagsResponse/>")} })
	iam.SetPolicy(repoPolicy(t))
	reached := 0
	h := iam.Wrap(func(*Request) *Response { reached++; return &Response{Status: 200} })
	call := func(caller, service, action string, params url.Values, header http.Header) *Response {
		if header == nil {
			header = http.Header{}
		}
		params.Set("Action", action)
		return h(&Request{Service: service, Action: action, Params: params, Caller: caller, Account: caller[:12],
			Header: header})
	}
	resp := call("111122223333", "elasticloadbalancing", "DeleteLoadBalancer", url.Values{"LoadBalancerArn": {testLB}}, nil)
	if resp.Status != http.StatusForbidden || !strings.Contains(string(resp.Body), "<Code>AccessDenied</Code>") ||
		!strings.Contains(string(resp.Body), "is not authorized to perform: elasticloadbalancing:DeleteLoadBalancer on resource: "+testLB+
			" because no identity-based policy allows the elasticloadbalancing:DeleteLoadBalancer action") {
		t.Errorf("ELB denial: %d %s", resp.Status, resp.Body)
	}
	resp = call("111122223333", "ec2", "DeleteVpc", url.Values{}, nil)
	if resp.Status != http.StatusForbidden || !strings.Contains(string(resp.Body), "<Code>UnauthorizedOperation</Code>") ||
		!strings.Contains(string(resp.Body), "You are not authorized to perform this operation. User: arn:aws:sts::111122223333:") {
		t.Errorf("EC2 denial: %d %s", resp.Status, resp.Body)
	}
	resp = call("111122223333", "wafv2", "DeleteWebACL", url.Values{}, http.Header{"X-Amz-Target": {"AWSWAF_20190729.DeleteWebACL"}})
	if resp.Status != http.StatusForbidden || !strings.Contains(string(resp.Body), `"__type":"AccessDeniedException"`) {
		t.Errorf("JSON denial: %d %s", resp.Status, resp.Body)
	}
	if reached != 0 {
		t.Errorf("%d denied calls reached the emulator", reached)
	}
	call("111122223333observer", "ec2", "DeleteVpc", url.Values{}, nil)
	call("111122223333", "ec2", "DescribeVpcs", url.Values{}, nil)
	if reached != 2 {
		t.Errorf("an observer's call and an allowed call: %d reached the emulator, want 2", reached)
	}
	var got []string
	for _, d := range iam.Denials() {
		got = append(got, d.Action)
	}
	want := []string{"elasticloadbalancing:DeleteLoadBalancer", "ec2:DeleteVpc", "wafv2:DeleteWebACL"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("denials (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ec2:DescribeVpcs"}, iam.Exercised()); diff != "" {
		t.Errorf("exercised (-want +got):\n%s", diff)
	}
}

// TestIAMReadsResourceTags checks the tag look-ups' parsing of the
// emulator's answers (a tag's Key and Value in either order, EC2's tagSet
// after the group's rules) and a missing resource.
func TestIAMReadsResourceTags(t *testing.T) {
	answers := map[string]string{
		"DescribeTags": `<DescribeTagsResponse><DescribeTagsResult><TagDescriptions><member><ResourceArn>a</ResourceArn><Tags>
<member><Value>c1</Value><Key>elbv2.k8s.aws/cluster</Key></member><member><Key>team</Key><Value>a&amp;b</Value></member>
</Tags></member></TagDescriptions></DescribeTagsResult></DescribeTagsResponse>`,
		"DescribeSecurityGroups": `<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId>
<ipPermissions><item><groups><item><groupId>sg-2</groupId></item></groups></item></ipPermissions>
<tagSet><item><key>elbv2.k8s.aws/cluster</key><value>c1</value></item></tagSet></item></securityGroupInfo></DescribeSecurityGroupsResponse>`,
	}
	iam := NewIAM(func(r *Request) *Response {
		if r.Params.Get("VpcEndpointId.1") != "" {
			return errorResponse(r, http.StatusBadRequest, "InvalidVpcEndpointId.NotFound", "gone")
		}
		return &Response{Status: 200, Body: []byte(answers[r.Action])}
	})
	r := &Request{Account: "111122223333", Header: http.Header{}}
	for _, tc := range []struct {
		ref  resourceRef
		want map[string]string
		err  error
	}{
		{resourceRef{"elb", testTG}, map[string]string{"elbv2.k8s.aws/cluster": "c1", "team": "a&b"}, nil},
		{resourceRef{"security-group", "sg-1"}, map[string]string{"elbv2.k8s.aws/cluster": "c1"}, nil},
		{resourceRef{"vpc-endpoint", "vpce-1"}, nil, errResourceGone},
	} {
		got, err := iam.resourceTags(r, tc.ref)
		if err != tc.err {
			t.Errorf("%s: error %v, want %v", tc.ref.id, err, tc.err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.ref.id, diff)
		}
	}
}
