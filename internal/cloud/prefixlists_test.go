package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kelb-dev/kelb/internal/service"
)

// fakePrefixLists answers DescribeManagedPrefixLists by the prefix-list-id
// filter and counts the calls.
type fakePrefixLists struct {
	lists map[string]ec2types.ManagedPrefixList
	calls [][]string
}

func (f *fakePrefixLists) DescribeManagedPrefixLists(_ context.Context, in *ec2.DescribeManagedPrefixListsInput,
	_ ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error) {
	ids := in.Filters[0].Values
	f.calls = append(f.calls, ids)
	out := &ec2.DescribeManagedPrefixListsOutput{}
	for _, id := range ids {
		if l, ok := f.lists[id]; ok {
			out.PrefixLists = append(out.PrefixLists, l)
		}
	}
	return out, nil
}

func TestPrefixListsCache(t *testing.T) {
	f := &fakePrefixLists{lists: map[string]ec2types.ManagedPrefixList{
		"pl-1111111111111111a": {PrefixListId: aws.String("pl-1111111111111111a"), AddressFamily: aws.String("IPv4"),
			MaxEntries: aws.Int32(5)}}}
	clk := clocktesting.NewFakePassiveClock(time.Unix(0, 0))
	p := NewPrefixLists(f, clk)
	ids := []string{"pl-1111111111111111a", "pl-2222222222222222b"}
	resolve := func() map[string]service.PrefixList {
		got, err := p.Resolve(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := map[string]service.PrefixList{"pl-1111111111111111a": {AddressFamily: "IPv4", MaxEntries: 5}}
	if d := cmp.Diff(want, resolve()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	resolve() // both cached
	clk.SetTime(clk.Now().Add(PrefixListMissTTL))
	resolve() // the missing one is read again
	clk.SetTime(clk.Now().Add(PrefixListTTL))
	resolve() // both stale
	wantCalls := [][]string{ids, {"pl-2222222222222222b"}, ids}
	if d := cmp.Diff(wantCalls, f.calls); d != "" {
		t.Errorf("calls (-want +got)\n%s", d)
	}
}
