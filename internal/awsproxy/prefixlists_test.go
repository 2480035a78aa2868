package awsproxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPrefixListRefusal: an authorize naming a prefix list the emulator
// lacks is refused as AWS refuses it; one naming an existing list goes on.
func TestPrefixListRefusal(t *testing.T) {
	const known = "pl-0123456789abcdef0"
	var forwarded []string
	next := func(r *Request) *Response {
		forwarded = append(forwarded, r.Action)
		if r.Action == "DescribeManagedPrefixLists" {
			body := "<DescribeManagedPrefixListsResponse><prefixListSet>"
			for k, v := range r.Params {
				if strings.HasPrefix(k, "Filter.1.Value.") && v[0] == known {
					body += "<item><prefixListId>" + known + "</prefixListId></item>"
				}
			}
			return &Response{Status: http.StatusOK, Body: []byte(body + "</prefixListSet></DescribeManagedPrefixListsResponse>")}
		}
		return &Response{Status: http.StatusOK}
	}
	h := prefixListRefusals{}.Wrap(next)
	authorize := func(id string) int {
		p := url.Values{"GroupId": {"sg-f"}, "IpPermissions.1.IpProtocol": {"tcp"},
			"IpPermissions.1.FromPort": {"80"}, "IpPermissions.1.ToPort": {"80"},
			"IpPermissions.1.PrefixListIds.1.PrefixListId": {id}}
		return h(&Request{Service: "ec2", Action: "AuthorizeSecurityGroupIngress", Params: p, Header: http.Header{}}).Status
	}
	got := []any{authorize("pl-00000000000000000"), authorize(known), forwarded}
	want := []any{http.StatusBadRequest, http.StatusOK,
		[]string{"DescribeManagedPrefixLists", "DescribeManagedPrefixLists", "AuthorizeSecurityGroupIngress"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
