package cloud

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/utils/clock"

	"github.com/kelb-dev/kelb/internal/service"
)

// Prefix-list cache lifetimes.
const (
	// PrefixListTTL bounds how long a prefix list deleted or resized goes
	// unseen.
	PrefixListTTL = 5 * time.Minute
	// PrefixListMissTTL is how long an id no list has is believed so.
	PrefixListMissTTL = 30 * time.Second
)

// PrefixListAPI is the part of the EC2 API the prefix-list provider calls.
type PrefixListAPI interface {
	DescribeManagedPrefixLists(context.Context, *ec2.DescribeManagedPrefixListsInput,
		...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error)
}

// PrefixLists tells which managed prefix lists exist, with their address
// family and size, through a cache: the security-group-prefix-lists
// annotation is checked against them before any AWS write.
type PrefixLists struct {
	ec2   PrefixListAPI
	clock clock.PassiveClock

	mu    sync.Mutex
	known map[string]knownPrefixList
}

type knownPrefixList struct {
	list   *service.PrefixList // nil: no such list
	readAt time.Time
}

// NewPrefixLists returns the provider.
func NewPrefixLists(api PrefixListAPI, clk clock.PassiveClock) *PrefixLists {
	return &PrefixLists{ec2: api, clock: clk, known: map[string]knownPrefixList{}}
}

// Resolve returns the lists of ids that exist; ids not known, or known for
// longer than their TTL, are read in one filtered call (a filter, unlike
// ids, does not fail the whole call for one id AWS lacks).
func (p *PrefixLists) Resolve(ctx context.Context, ids []string) (map[string]service.PrefixList, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	var stale []string
	for _, id := range ids {
		k, ok := p.known[id]
		ttl := PrefixListTTL
		if ok && k.list == nil {
			ttl = PrefixListMissTTL
		}
		if !ok || now.Sub(k.readAt) >= ttl {
			stale = append(stale, id)
		}
	}
	if len(stale) > 0 {
		found := map[string]service.PrefixList{}
		pages := ec2.NewDescribeManagedPrefixListsPaginator(p.ec2, &ec2.DescribeManagedPrefixListsInput{
			Filters: []ec2types.Filter{{Name: aws.String("prefix-list-id"), Values: stale}}})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("looking up prefix lists %s: %w", strings.Join(stale, ", "), err)
			}
			for _, l := range page.PrefixLists {
				found[aws.ToString(l.PrefixListId)] = service.PrefixList{
					AddressFamily: aws.ToString(l.AddressFamily), MaxEntries: aws.ToInt32(l.MaxEntries)}
			}
		}
		for _, id := range stale {
			k := knownPrefixList{readAt: now}
			if l, ok := found[id]; ok {
				k.list = &l
			}
			p.known[id] = k
		}
	}
	out := make(map[string]service.PrefixList, len(ids))
	for _, id := range ids {
		if l := p.known[id].list; l != nil {
			out[id] = *l
		}
	}
	return out, nil
}
