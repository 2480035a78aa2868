package awsproxy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// What moto gets wrong about VPC endpoints, answered the way AWS does:
//   - CreateVpcEndpoint ignores ClientToken: a retry makes a second endpoint.
//     Here the same token in the same account returns the first endpoint.
//   - Any service name is accepted. Here a name that is neither one of
//     moto's AWS services nor added by the test is InvalidServiceName, and a
//     VPC id that is not vpc-<hex> is InvalidVpcId.Malformed, each with
//     AWS's code and message word for word (endpointErrors).
//   - The vpc-endpoint-id filter is an HTTP 500.
//   - ModifyVpcEndpoint ignores PrivateDnsEnabled, IpAddressType and
//     DnsOptions, and answers never show the last two. Here they are kept
//     per endpoint and written into every answer.

// endpointSettings are the settings moto does not keep.
type endpointSettings struct {
	privateDNS      string // true or false
	ipAddressType   string
	dnsRecordIPType string
	inboundOnly     string // "" when never set
}

// AWS's errors for a create it refuses, word for word (as ACK's tests and
// users' alerts match them).
const (
	CodeVPCIDMalformed     = "InvalidVpcId.Malformed"
	CodeInvalidServiceName = "InvalidServiceName"
)

// MalformedVPCIDMessage is AWS's message for a VPC id that cannot be one.
func MalformedVPCIDMessage(id string) string {
	return fmt.Sprintf("Invalid Id: '%s' (expecting 'vpc-...; the Id may only contain lowercase alphanumeric "+
		"characters and a single dash')", id)
}

// InvalidServiceNameMessage is AWS's message for an endpoint service that
// does not exist.
func InvalidServiceNameMessage(service string) string {
	return fmt.Sprintf("The Vpc Endpoint Service '%s' does not exist", service)
}

var vpcIDFormat = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)

func (v *VPCEndpoints) create(next Handler, r *Request) *Response {
	token := r.Params.Get("ClientToken")
	v.mu.Lock()
	earlier, repeated := v.tokens[r.Account+"/"+token]
	v.mu.Unlock()
	if token != "" && repeated {
		return v.createdBefore(next, r, earlier, token)
	}
	service, vpc := r.Params.Get("ServiceName"), r.Params.Get("VpcId")
	if !vpcIDFormat.MatchString(vpc) {
		return errorResponse(r, http.StatusBadRequest, CodeVPCIDMalformed, MalformedVPCIDMessage(vpc))
	}
	if !v.serviceExists(next, r, service) {
		return errorResponse(r, http.StatusBadRequest, CodeInvalidServiceName, InvalidServiceNameMessage(service))
	}
	resp := next(r)
	if resp.Status != http.StatusOK {
		return resp
	}
	if m := endpointIDElement.FindSubmatch(resp.Body); m != nil {
		id := string(m[1])
		s := endpointSettings{privateDNS: "true", ipAddressType: "ipv4", dnsRecordIPType: "ipv4"}
		s.update(r.Params)
		v.mu.Lock()
		pending := v.pending
		if v.jitter > 0 {
			pending += rand.N(v.jitter)
		}
		v.endpoints[id] = &endpointLife{created: time.Now(), pending: pending, awaiting: v.acceptance[service], settings: s}
		if token != "" {
			v.tokens[r.Account+"/"+token] = id
		}
		v.mu.Unlock()
	}
	resp.Body = v.rewrite(resp.Body)
	return resp
}

// createdBefore answers a repeated client token with the endpoint the first
// request made, as AWS does.
func (v *VPCEndpoints) createdBefore(next Handler, r *Request, id, token string) *Response {
	resp := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeVpcEndpoints"}, "Version": {r.Params.Get("Version")},
		"VpcEndpointId.1": {id}}))
	if resp.Status != http.StatusOK {
		return resp
	}
	items := endpointItems(resp.Body)
	if len(items) != 1 {
		return errorResponse(r, http.StatusInternalServerError, "InternalError", "endpoint of the client token is gone")
	}
	item := resp.Body[items[0].start:items[0].end]
	item = bytes.TrimSuffix(bytes.TrimPrefix(item, []byte("<item>")), []byte("</item>"))
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<CreateVpcEndpointResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcEndpoint>`)
	b.Write(item)
	fmt.Fprintf(&b, `</vpcEndpoint><clientToken>%s</clientToken><requestId>kelb-proxy</requestId></CreateVpcEndpointResponse>`, token)
	return &Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}}, Body: v.rewrite(b.Bytes())}
}

var serviceNameElement = regexp.MustCompile(`<serviceName>([^<]+)</serviceName>`)

// serviceExists asks moto for its service names once per account.
func (v *VPCEndpoints) serviceExists(next Handler, r *Request, service string) bool {
	v.mu.Lock()
	added, known := v.services[service], v.known[r.Account]
	v.mu.Unlock()
	if added {
		return true
	}
	if known == nil {
		resp := next(subRequest(r, "ec2", url.Values{"Action": {"DescribeVpcEndpointServices"}, "Version": {r.Params.Get("Version")}}))
		if resp.Status != http.StatusOK {
			return true // cannot tell: let moto decide
		}
		known = map[string]bool{}
		for _, m := range serviceNameElement.FindAllSubmatch(resp.Body, -1) {
			known[string(m[1])] = true
		}
		v.mu.Lock()
		v.known[r.Account] = known
		v.mu.Unlock()
	}
	return known[service]
}

func (v *VPCEndpoints) modify(next Handler, r *Request) *Response {
	resp := next(r)
	if resp.Status == http.StatusOK {
		v.mu.Lock()
		if e, ok := v.endpoints[r.Params.Get("VpcEndpointId")]; ok {
			e.settings.update(r.Params)
		}
		v.mu.Unlock()
	}
	return resp
}

func (s *endpointSettings) update(p url.Values) {
	set := func(dst *string, key string) {
		if val := p.Get(key); val != "" {
			*dst = val
		}
	}
	set(&s.privateDNS, "PrivateDnsEnabled")
	set(&s.ipAddressType, "IpAddressType")
	set(&s.dnsRecordIPType, "DnsOptions.DnsRecordIpType")
	set(&s.inboundOnly, "DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint")
}

// describe implements the vpc-endpoint-id filter moto lacks: the other
// filters go to moto, the answer keeps only the endpoints named.
func (v *VPCEndpoints) describe(next Handler, r *Request) *Response {
	params, ids := withoutFilter(r.Params, "vpc-endpoint-id")
	var resp *Response
	if ids == nil {
		resp = next(r)
	} else {
		resp = next(subRequest(r, "ec2", params))
	}
	if resp.Status != http.StatusOK {
		return resp
	}
	if ids != nil {
		var b bytes.Buffer
		last := 0
		for _, it := range endpointItems(resp.Body) {
			if !ids[it.id] {
				b.Write(resp.Body[last:it.start])
				last = it.end
			}
		}
		b.Write(resp.Body[last:])
		resp.Body = b.Bytes()
	}
	resp.Body = v.rewrite(resp.Body)
	return resp
}

// withoutFilter returns the parameters without the named filter (the
// others renumbered), and that filter's values; nil when it is absent.
func withoutFilter(p url.Values, name string) (url.Values, map[string]bool) {
	out := url.Values{}
	var ids map[string]bool
	filters := map[string]url.Values{} // Filter.N -> its Name and Value.M
	for k, vals := range p {
		if !strings.HasPrefix(k, "Filter.") {
			out[k] = vals
			continue
		}
		n, rest, _ := strings.Cut(strings.TrimPrefix(k, "Filter."), ".")
		if filters[n] == nil {
			filters[n] = url.Values{}
		}
		filters[n][rest] = vals
	}
	keys := make([]string, 0, len(filters))
	for n := range filters {
		keys = append(keys, n)
	}
	sort.Strings(keys)
	i := 0
	for _, n := range keys {
		f := filters[n]
		if f.Get("Name") == name {
			ids = map[string]bool{}
			for _, id := range listParam(f, "Value") {
				ids[id] = true
			}
			continue
		}
		i++
		for rest, vals := range f {
			out[fmt.Sprintf("Filter.%d.%s", i, rest)] = vals
		}
	}
	return out, ids
}

// listParam returns the values of a query-protocol list (Name.1, Name.2, ...).
func listParam(p url.Values, name string) []string {
	var out []string
	for k, vals := range p {
		if strings.HasPrefix(k, name+".") && len(vals) > 0 {
			out = append(out, vals[0])
		}
	}
	sort.Strings(out)
	return out
}

type endpointItem struct {
	id         string
	start, end int
}

var (
	endpointItemStart = regexp.MustCompile(`<item><vpcEndpointId>(vpce-[0-9a-f]+)</vpcEndpointId>`)
	endpointSetEnd    = []byte("</vpcEndpointSet>")
)

// endpointItems finds each endpoint of a DescribeVpcEndpoints answer (moto
// writes the id first in each item).
func endpointItems(body []byte) []endpointItem {
	var out []endpointItem
	starts := endpointItemStart.FindAllSubmatchIndex(body, -1)
	for i, s := range starts {
		end := bytes.Index(body, endpointSetEnd)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		out = append(out, endpointItem{id: string(body[s[2]:s[3]]), start: s[0], end: end})
	}
	return out
}

var privateDNSElement = regexp.MustCompile(`<privateDnsEnabled>[a-z]*</privateDnsEnabled>`)

// rewriteSettings writes the kept settings into each endpoint of an answer.
// The caller holds v.mu.
func (v *VPCEndpoints) rewriteSettings(body []byte) []byte {
	ids := endpointIDElement.FindAllSubmatchIndex(body, -1)
	var out bytes.Buffer
	last := 0
	for i, a := range ids {
		e, ok := v.endpoints[string(body[a[2]:a[3]])]
		if !ok {
			continue
		}
		end := len(body)
		if i+1 < len(ids) {
			end = ids[i+1][0]
		}
		s := e.settings
		out.Write(body[last:a[1]])
		fmt.Fprintf(&out, "<ipAddressType>%s</ipAddressType><dnsOptions><dnsRecordIpType>%s</dnsRecordIpType>",
			s.ipAddressType, s.dnsRecordIPType)
		if s.inboundOnly != "" {
			fmt.Fprintf(&out, "<privateDnsOnlyForInboundResolverEndpoint>%s</privateDnsOnlyForInboundResolverEndpoint>", s.inboundOnly)
		}
		out.WriteString("</dnsOptions>")
		out.Write(privateDNSElement.ReplaceAll(body[a[1]:end], []byte("<privateDnsEnabled>"+s.privateDNS+"</privateDnsEnabled>")))
		last = end
	}
	out.Write(body[last:])
	return out.Bytes()
}
