package awsproxy

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// prefixListRefusals refuses, as AWS does, an AuthorizeSecurityGroupIngress
// naming a managed prefix list that does not exist
// (InvalidPrefixListID.NotFound); moto adds such a rule.
type prefixListRefusals struct{}

var requestedPrefixList = regexp.MustCompile(`^IpPermissions\.\d+\.PrefixListIds\.\d+\.PrefixListId$`)

// Wrap implements Middleware.
func (prefixListRefusals) Wrap(next Handler) Handler {
	return func(r *Request) *Response {
		if r.Service != "ec2" || r.Action != "AuthorizeSecurityGroupIngress" {
			return next(r)
		}
		var ids []string
		for k, vs := range r.Params {
			if requestedPrefixList.MatchString(k) && len(vs) > 0 {
				ids = append(ids, vs[0])
			}
		}
		if len(ids) == 0 {
			return next(r)
		}
		sort.Strings(ids)
		q := url.Values{"Action": {"DescribeManagedPrefixLists"}, "Version": {"2016-11-15"},
			"Filter.1.Name": {"prefix-list-id"}}
		for i, id := range ids {
			q.Set("Filter.1.Value."+strconv.Itoa(i+1), id)
		}
		resp := next(subRequest(r, "ec2", q))
		if resp.Status != http.StatusOK {
			return resp
		}
		for _, id := range ids {
			if !strings.Contains(string(resp.Body), "<prefixListId>"+id+"</prefixListId>") {
				return errorResponse(r, http.StatusBadRequest, "InvalidPrefixListID.NotFound",
					fmt.Sprintf("The prefix list ID '%s' does not exist", id))
			}
		}
		return next(r)
	}
}
