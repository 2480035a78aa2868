package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/wafregional"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	wafv2types "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeWebACLs lists its web ACLs (name -> ARN) one per page and counts
// the listings.
type fakeWebACLs struct {
	acls   map[string]string
	order  []string
	scopes []wafv2types.Scope
	lists  int
}

func (f *fakeWebACLs) ListWebACLs(_ context.Context, in *wafv2.ListWebACLsInput, _ ...func(*wafv2.Options)) (*wafv2.ListWebACLsOutput, error) {
	if aws.ToString(in.NextMarker) == "" {
		f.lists++
	}
	f.scopes = append(f.scopes, in.Scope)
	start := 0
	if m := aws.ToString(in.NextMarker); m != "" {
		for i, n := range f.order {
			if n == m {
				start = i
			}
		}
	}
	out := &wafv2.ListWebACLsOutput{}
	if start < len(f.order) {
		n := f.order[start]
		out.WebACLs = []wafv2types.WebACLSummary{{Name: aws.String(n), ARN: aws.String(f.acls[n])}}
		if start+1 < len(f.order) {
			out.NextMarker = aws.String(f.order[start+1])
		}
	}
	return out, nil
}

// TestWebACLNames: names resolve through every page of the region's
// list (scope REGIONAL); the list is kept for the TTL, a name it lacks
// lists again (a web ACL just created is found), and a missing name is
// absent from the answer.
func TestWebACLNames(t *testing.T) {
	api := &fakeWebACLs{acls: map[string]string{"a": "arn:a", "b": "arn:b"}, order: []string{"a", "b"}}
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	names := NewWebACLNames(api, clk)
	resolve := func(want map[string]string, lists int, ns ...string) {
		t.Helper()
		got, err := names.Resolve(context.Background(), ns)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Resolve(%v) (-want +got):\n%s", ns, diff)
		}
		if api.lists != lists {
			t.Errorf("Resolve(%v): %d listings, want %d", ns, api.lists, lists)
		}
	}
	resolve(map[string]string{"a": "arn:a", "b": "arn:b"}, 1, "a", "b")
	resolve(map[string]string{"b": "arn:b"}, 1, "b") // kept
	resolve(map[string]string{}, 2, "c")             // lacking: listed again
	api.acls["c"], api.order = "arn:c", append(api.order, "c")
	resolve(map[string]string{"c": "arn:c"}, 3, "c") // made meanwhile
	clk.Step(webACLTTL)
	resolve(map[string]string{"a": "arn:a"}, 4, "a") // after the TTL
	for _, s := range api.scopes {
		if s != wafv2types.ScopeRegional {
			t.Errorf("listed with scope %s, want REGIONAL", s)
		}
	}
}

type fakeClassicACLs map[string]error

func (f fakeClassicACLs) GetWebACL(_ context.Context, in *wafregional.GetWebACLInput, _ ...func(*wafregional.Options)) (*wafregional.GetWebACLOutput, error) {
	return &wafregional.GetWebACLOutput{}, f[aws.ToString(in.WebACLId)]
}

// TestClassicWebACLs: found, missing, and unchecked without the
// permission to read; a web ACL found is not read again within the TTL, a
// missing one each time.
func TestClassicWebACLs(t *testing.T) {
	api := fakeClassicACLs{"gone": &smithy.GenericAPIError{Code: "WAFNonexistentItemException"},
		"denied": &smithy.GenericAPIError{Code: "AccessDeniedException"}}
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	lookup := NewClassicWebACLs(api, clk)
	got, err := lookup.Exist(context.Background(), []string{"here", "gone", "denied"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"here": true, "gone": false, "denied": true}, got); diff != "" {
		t.Errorf("Exist (-want +got):\n%s", diff)
	}
	api["here"] = &smithy.GenericAPIError{Code: "Throttling"}
	api["gone"] = nil
	if got, err = lookup.Exist(context.Background(), []string{"here", "gone"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"here": true, "gone": true}, got); diff != "" {
		t.Errorf("Exist within the TTL (-want +got):\n%s", diff)
	}
	clk.Step(webACLTTL)
	if _, err := lookup.Exist(context.Background(), []string{"here"}); err == nil {
		t.Error("after the TTL: no read of the found web ACL")
	}
}

type fakeWAFv2ACLs map[string]error

func (f fakeWAFv2ACLs) GetWebACL(_ context.Context, in *wafv2.GetWebACLInput, _ ...func(*wafv2.Options)) (*wafv2.GetWebACLOutput, error) {
	return &wafv2.GetWebACLOutput{}, f[aws.ToString(in.ARN)]
}

// TestWebACLLookup: found, missing, and unchecked without the permission
// to read (AWS answers at the association); a found one is kept for the
// TTL.
func TestWebACLLookup(t *testing.T) {
	api := fakeWAFv2ACLs{"arn:gone": &smithy.GenericAPIError{Code: "WAFNonexistentItemException"},
		"arn:denied": &smithy.GenericAPIError{Code: "AccessDeniedException"}}
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	lookup := NewWebACLLookup(api, clk)
	got, err := lookup.Exist(context.Background(), []string{"arn:here", "arn:gone", "arn:denied"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"arn:here": true, "arn:gone": false, "arn:denied": true}, got); diff != "" {
		t.Errorf("Exist (-want +got):\n%s", diff)
	}
	api["arn:here"] = &smithy.GenericAPIError{Code: "Throttling"}
	if _, err := lookup.Exist(context.Background(), []string{"arn:here"}); err != nil {
		t.Errorf("within the TTL: %v", err)
	}
	clk.Step(webACLTTL)
	if _, err := lookup.Exist(context.Background(), []string{"arn:here"}); err == nil {
		t.Error("after the TTL: no read of the found web ACL")
	}
}
