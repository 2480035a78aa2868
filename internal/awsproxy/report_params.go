package awsproxy

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Reading the parameters the call log keeps of the calls the rule report
// replays.

// A prefix-list source is the list's id: a rule from it allows exactly the
// list, never what a CIDR of the same traffic would.
var permParam = regexp.MustCompile(`^IpPermissions\.(\d+)\.(IpRanges|Ipv6Ranges|Groups|PrefixListIds)\.(\d+)\.(CidrIp|CidrIpv6|GroupId|PrefixListId)$`)

// rulesOf returns the rules an Authorize or Revoke call names.
func rulesOf(c Call) []ruleKey {
	var out []ruleKey
	for k, v := range c.Params {
		m := permParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		p := "IpPermissions." + m[1] + "."
		proto := strings.ToLower(c.Params[p+"IpProtocol"])
		from, to := atoi32(c.Params[p+"FromPort"]), atoi32(c.Params[p+"ToPort"])
		if proto == "-1" {
			from, to = 0, 65535
		}
		out = append(out, ruleKey{group: c.Params["GroupId"], proto: proto, source: v, from: from, to: to})
	}
	return out
}

var lbNameInARN = regexp.MustCompile(`(?:loadbalancer|listener)/[a-z]+/([^/]+)/`)

// lbName returns the load balancer name in a load balancer or listener ARN.
func lbName(arn string) string {
	if m := lbNameInARN.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}

// targetsOf returns the targets a RegisterTargets or DeregisterTargets call
// names.
func targetsOf(params map[string]string) []target {
	var out []target
	for i := 1; ; i++ {
		p := "Targets.member." + strconv.Itoa(i) + "."
		id, port := params[p+"Id"], params[p+"Port"]
		if id == "" && port == "" {
			return out
		}
		out = append(out, target{id: id, port: atoi32(port)})
	}
}

// memberValues returns the values of the parameters under prefix, sorted.
func memberValues(params map[string]string, prefix string) []string {
	var out []string
	for k, v := range params {
		if strings.HasPrefix(k, prefix) {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func atoi32(s string) int32 {
	n, _ := strconv.Atoi(s)
	return int32(n)
}
