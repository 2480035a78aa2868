package awsproxy

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// LoadBalancerExtras keeps what moto takes for a load balancer but never
// reports: per-subnet addresses (Elastic IP allocations, private IPv4 and
// IPv6 addresses) and source-NAT prefixes, the source-NAT setting, and
// whether its security groups judge PrivateLink traffic. It records them
// from CreateLoadBalancer, SetSubnets and SetSecurityGroups and adds them to
// every answer that describes the load balancer, as AWS reports them: an
// auto_assigned source-NAT prefix is reported as a /80 of the subnet, and a
// load balancer with security groups judges PrivateLink traffic ("on")
// until told otherwise. It also repairs moto's IPv6 block state of subnets,
// which moto renders as a Python dict instead of "associated".
type LoadBalancerExtras struct {
	mu  sync.Mutex
	lbs map[string]*lbExtra // by load balancer ARN
}

type lbExtra struct {
	subnets     map[string]subnetExtra
	prefixNAT   string
	privateLink string
}

type subnetExtra struct {
	allocationID, privateIPv4, ipv6, natPrefix string
}

// NewLoadBalancerExtras returns the behaviour.
func NewLoadBalancerExtras() *LoadBalancerExtras {
	return &LoadBalancerExtras{lbs: map[string]*lbExtra{}}
}

var (
	lbMember      = regexp.MustCompile(`(?s)<member><LoadBalancerArn>([^<]+)</LoadBalancerArn>.*?</IpAddressType>`)
	azSubnet      = regexp.MustCompile(`<SubnetId>([^<]+)</SubnetId>`)
	withSGs       = regexp.MustCompile(`<SecurityGroups><member>`)
	ipv6BlockText = regexp.MustCompile(`<ipv6CidrBlock>([^<]+)</ipv6CidrBlock>`)
	// moto renders the state of a subnet's IPv6 block as "{'State': 'associated'}".
	motoSubnetBlockState = regexp.MustCompile(`<state>\{(?:&#39;|'|&apos;)State(?:&#39;|'|&apos;): ` +
		`(?:&#39;|'|&apos;)([a-z-]+)(?:&#39;|'|&apos;)\}</state>`)
)

// Wrap implements Middleware.
func (e *LoadBalancerExtras) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		resp := next(r)
		if resp.Status != 200 {
			return resp
		}
		if r.Service == "ec2" && r.Action == "DescribeSubnets" {
			resp.Body = motoSubnetBlockState.ReplaceAll(resp.Body, []byte("<state>$1</state>"))
			return resp
		}
		if r.Service != "elasticloadbalancing" {
			return resp
		}
		switch r.Action {
		case "CreateLoadBalancer":
			if m := lbArnElement.FindSubmatch(resp.Body); m != nil {
				e.recordSubnets(next, r, string(m[1]))
			}
			resp.Body = e.decorate(resp.Body)
		case "SetSubnets":
			arn := r.Params.Get("LoadBalancerArn")
			e.recordSubnets(next, r, arn)
			resp.Body = e.decorateZones(resp.Body, arn)
		case "SetSecurityGroups":
			arn := r.Params.Get("LoadBalancerArn")
			if v := r.Params.Get("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"); v != "" {
				e.mu.Lock()
				e.get(arn).privateLink = v
				e.mu.Unlock()
			}
			e.mu.Lock()
			v := e.get(arn).privateLink
			e.mu.Unlock()
			if v == "" {
				v = "on"
			}
			resp.Body = insertBefore(resp.Body, "</SetSecurityGroupsResult>",
				"<EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>"+v+"</EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>")
		case "DescribeLoadBalancers":
			resp.Body = e.decorate(resp.Body)
		}
		return resp
	}
}

func (e *LoadBalancerExtras) get(arn string) *lbExtra {
	x := e.lbs[arn]
	if x == nil {
		x = &lbExtra{subnets: map[string]subnetExtra{}}
		e.lbs[arn] = x
	}
	return x
}

// recordSubnets keeps the subnet mappings and source-NAT setting of a
// create or SetSubnets that AWS accepted.
func (e *LoadBalancerExtras) recordSubnets(next Handler, r *Request, arn string) {
	mappings := map[string]subnetExtra{}
	for i := 1; ; i++ {
		p := fmt.Sprintf("SubnetMappings.member.%d.", i)
		id := r.Params.Get(p + "SubnetId")
		if id == "" {
			break
		}
		s := subnetExtra{allocationID: r.Params.Get(p + "AllocationId"), privateIPv4: r.Params.Get(p + "PrivateIPv4Address"),
			ipv6: r.Params.Get(p + "IPv6Address"), natPrefix: r.Params.Get(p + "SourceNatIpv6Prefix")}
		if s.natPrefix == "auto_assigned" {
			s.natPrefix = autoAssignedPrefix(next, r, id, i)
		}
		mappings[id] = s
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.get(arn)
	if v := r.Params.Get("EnablePrefixForIpv6SourceNat"); v != "" {
		x.prefixNAT = v
	}
	if r.Action == "CreateLoadBalancer" || len(mappings) > 0 {
		// AWS keeps a subnet's addresses for the life of the load balancer.
		kept := map[string]subnetExtra{}
		for id, s := range mappings {
			old, had := x.subnets[id]
			if had {
				s.allocationID, s.privateIPv4, s.ipv6 = old.allocationID, old.privateIPv4, old.ipv6
				if s.natPrefix == "" {
					s.natPrefix = old.natPrefix
				}
			}
			kept[id] = s
		}
		x.subnets = kept
	}
}

// autoAssignedPrefix picks a /80 of the subnet's first IPv6 block, as AWS
// does for auto_assigned.
func autoAssignedPrefix(next Handler, r *Request, subnet string, n int) string {
	resp := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"},
		"SubnetId.1": {subnet}}))
	m := ipv6BlockText.FindSubmatch(resp.Body)
	if m == nil {
		return ""
	}
	block, err := netip.ParsePrefix(string(m[1]))
	if err != nil {
		return ""
	}
	b := block.Masked().Addr().As16()
	b[8], b[9] = byte(n>>8), byte(n) // bits 64-79: one /80 per subnet
	return netip.PrefixFrom(netip.AddrFrom16(b), 80).String()
}

// decorate adds the recorded extras to every load balancer of an answer.
func (e *LoadBalancerExtras) decorate(body []byte) []byte {
	return lbMember.ReplaceAllFunc(body, func(member []byte) []byte {
		arn := string(lbMember.FindSubmatch(member)[1])
		out := e.decorateZones(member, arn)
		e.mu.Lock()
		x := e.get(arn)
		prefixNAT, privateLink := x.prefixNAT, x.privateLink
		e.mu.Unlock()
		var extra strings.Builder
		if prefixNAT != "" {
			extra.WriteString("<EnablePrefixForIpv6SourceNat>" + prefixNAT + "</EnablePrefixForIpv6SourceNat>")
		}
		if privateLink == "" && withSGs.Match(member) {
			privateLink = "on"
		}
		if privateLink != "" {
			extra.WriteString("<EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>" + privateLink +
				"</EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic>")
		}
		return append(out, extra.String()...)
	})
}

// decorateZones adds each subnet's addresses and source-NAT prefix after
// its SubnetId.
func (e *LoadBalancerExtras) decorateZones(body []byte, arn string) []byte {
	e.mu.Lock()
	subnets := e.get(arn).subnets
	e.mu.Unlock()
	return azSubnet.ReplaceAllFunc(body, func(el []byte) []byte {
		s, ok := subnets[string(azSubnet.FindSubmatch(el)[1])]
		if !ok {
			return el
		}
		var b strings.Builder
		b.Write(el)
		if s.allocationID != "" || s.privateIPv4 != "" || s.ipv6 != "" {
			b.WriteString("<LoadBalancerAddresses><member>")
			writeElement(&b, "AllocationId", s.allocationID)
			writeElement(&b, "PrivateIPv4Address", s.privateIPv4)
			writeElement(&b, "IPv6Address", s.ipv6)
			b.WriteString("</member></LoadBalancerAddresses>")
		}
		if s.natPrefix != "" {
			b.WriteString("<SourceNatIpv6Prefixes><member>" + s.natPrefix + "</member></SourceNatIpv6Prefixes>")
		}
		return []byte(b.String())
	})
}

func writeElement(b *strings.Builder, name, value string) {
	if value != "" {
		b.WriteString("<" + name + ">" + value + "</" + name + ">")
	}
}

func insertBefore(body []byte, marker, text string) []byte {
	i := strings.Index(string(body), marker)
	if i < 0 {
		return body
	}
	return []byte(string(body[:i]) + text + string(body[i:]))
}
