package awsproxy

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// AWS refuses an AuthorizeSecurityGroupIngress as a whole when any rule it
// names exists already (InvalidPermission.Duplicate): nothing of the request
// is applied. moto adds the rules before the duplicate and stops there, so
// the proxy checks first and refuses as AWS does.

type permission struct {
	proto, source string
	from, to      string
}

type describedGroups struct {
	Groups []struct {
		Perms []struct {
			Protocol string `xml:"ipProtocol"`
			From     string `xml:"fromPort"`
			To       string `xml:"toPort"`
			Groups   []struct {
				ID string `xml:"groupId"`
			} `xml:"groups>item"`
			V4 []struct {
				CIDR string `xml:"cidrIp"`
			} `xml:"ipRanges>item"`
			V6 []struct {
				CIDR string `xml:"cidrIpv6"`
			} `xml:"ipv6Ranges>item"`
			PrefixLists []struct {
				ID string `xml:"prefixListId"`
			} `xml:"prefixListIds>item"`
		} `xml:"ipPermissions>item"`
	} `xml:"securityGroupInfo>item"`
}

var requestedSource = regexp.MustCompile(`^IpPermissions\.(\d+)\.(?:IpRanges|Ipv6Ranges|Groups|PrefixListIds)\.\d+\.(?:CidrIp|CidrIpv6|GroupId|PrefixListId)$`)

// requested returns the rules an authorize names.
func requested(params url.Values) []permission {
	var out []permission
	for k, vs := range params {
		m := requestedSource.FindStringSubmatch(k)
		if m == nil || len(vs) == 0 {
			continue
		}
		p := "IpPermissions." + m[1] + "."
		perm := permission{proto: strings.ToLower(params.Get(p + "IpProtocol")), source: vs[0],
			from: params.Get(p + "FromPort"), to: params.Get(p + "ToPort")}
		if perm.proto == "-1" {
			perm.from, perm.to = "", ""
		}
		out = append(out, perm)
	}
	return out
}

// existing returns the group's inbound rules.
func existing(next Handler, r *Request, group string) map[permission]bool {
	resp := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeSecurityGroups"}, "Version": {"2016-11-15"},
		"GroupId.1": {group}}))
	var d describedGroups
	out := map[permission]bool{}
	if resp.Status != http.StatusOK || xml.Unmarshal(resp.Body, &d) != nil {
		return out
	}
	for _, g := range d.Groups {
		for _, p := range g.Perms {
			base := permission{proto: strings.ToLower(p.Protocol), from: p.From, to: p.To}
			if base.proto == "-1" {
				base.from, base.to = "", ""
			}
			for _, s := range p.Groups {
				base.source = s.ID
				out[base] = true
			}
			for _, s := range p.V4 {
				base.source = s.CIDR
				out[base] = true
			}
			for _, s := range p.V6 {
				base.source = s.CIDR
				out[base] = true
			}
			for _, s := range p.PrefixLists {
				base.source = s.ID
				out[base] = true
			}
		}
	}
	return out
}

// duplicate returns AWS's refusal when the authorize names a rule the group
// holds, nil otherwise.
func duplicate(next Handler, r *Request) *Response {
	have := existing(next, r, r.Params.Get("GroupId"))
	for _, p := range requested(r.Params) {
		if have[p] {
			return errorResponse(r, http.StatusBadRequest, "InvalidPermission.Duplicate",
				fmt.Sprintf("the specified rule \"peer: %s, %s, from port: %s, to port: %s, ALLOW\" already exists",
					p.source, strings.ToUpper(p.proto), p.from, p.to))
		}
	}
	return nil
}
