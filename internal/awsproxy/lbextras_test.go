package awsproxy

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadBalancerExtrasReportWhatMotoDrops(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/net/a/1"
	describe := `<DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>` + arn + `</LoadBalancerArn>` +
		`<AvailabilityZones><member><ZoneName>us-west-2a</ZoneName><SubnetId>subnet-a</SubnetId></member></AvailabilityZones>` +
		`<SecurityGroups><member>sg-1</member></SecurityGroups><IpAddressType>dualstack</IpAddressType></member>` +
		`</LoadBalancers></DescribeLoadBalancersResult>`
	emulator := func(r *Request) *Response {
		switch r.Action {
		case "CreateLoadBalancer":
			return &Response{Status: 200, Body: []byte(describe)}
		case "DescribeSubnets":
			return &Response{Status: 200, Body: []byte(`<ipv6CidrBlock>2600:1f14:1::/64</ipv6CidrBlock>` +
				`<ipv6CidrBlockState><state>{&#39;State&#39;: &#39;associated&#39;}</state></ipv6CidrBlockState>`)}
		}
		return &Response{Status: 200, Body: []byte(describe)}
	}
	h := NewLoadBalancerExtras().Wrap(emulator)
	call := func(service, action string, params url.Values) string {
		params.Set("Action", action)
		return string(h(&Request{Service: service, Action: action, Params: params}).Body)
	}
	call("elasticloadbalancing", "CreateLoadBalancer", url.Values{"SubnetMappings.member.1.SubnetId": {"subnet-a"},
		"SubnetMappings.member.1.AllocationId": {"eipalloc-1"}, "SubnetMappings.member.1.IPv6Address": {"2600:1f14:1::10"},
		"SubnetMappings.member.1.SourceNatIpv6Prefix": {"auto_assigned"}, "EnablePrefixForIpv6SourceNat": {"on"}})
	want := `<DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>` + arn + `</LoadBalancerArn>` +
		`<AvailabilityZones><member><ZoneName>us-west-2a</ZoneName><SubnetId>subnet-a</SubnetId>` +
		`<LoadBalancerAddresses><member><AllocationId>eipalloc-1</AllocationId><IPv6Address>2600:1f14:1::10</IPv6Address>` +
		`</member></LoadBalancerAddresses><SourceNatIpv6Prefixes><member>2600:1f14:1:0:1::/80</member></SourceNatIpv6Prefixes>` +
		`</member></AvailabilityZones><SecurityGroups><member>sg-1</member></SecurityGroups><IpAddressType>dualstack</IpAddressType>` +
		`<EnablePrefixForIpv6SourceNat>on</EnablePrefixForIpv6SourceNat>` +
		`<EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>on</EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>` +
		`</member></LoadBalancers></DescribeLoadBalancersResult>`
	if d := cmp.Diff(want, call("elasticloadbalancing", "DescribeLoadBalancers", url.Values{})); d != "" {
		t.Errorf("describe after create (-want +got)\n%s", d)
	}
	call("elasticloadbalancing", "SetSecurityGroups", url.Values{"LoadBalancerArn": {arn},
		"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic": {"off"}})
	if got := call("elasticloadbalancing", "DescribeLoadBalancers", url.Values{}); !contains(got,
		"<EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>off<") {
		t.Errorf("PrivateLink setting not kept: %s", got)
	}
	if got := call("ec2", "DescribeSubnets", url.Values{}); !contains(got, "<state>associated</state>") {
		t.Errorf("subnet block state not repaired: %s", got)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
