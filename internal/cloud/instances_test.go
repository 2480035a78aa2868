package cloud

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeEC2 holds instances and answers DescribeInstances by its instance-id
// filter, refusing a filter of more than 200 values as EC2 does. It records
// the size of every filter it was asked.
type fakeEC2 struct {
	EC2 // the other calls are not expected

	mu        sync.Mutex
	instances map[string]ec2types.Instance
	filters   []int
}

var errFilterLimit = errors.New("FilterLimitExceeded: The maximum number of filter values specified on a single call is 200")

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &ec2.DescribeInstancesOutput{}
	for _, filter := range in.Filters {
		f.filters = append(f.filters, len(filter.Values))
		if len(filter.Values) > 200 {
			return nil, errFilterLimit
		}
		if aws.ToString(filter.Name) != "instance-id" {
			return nil, fmt.Errorf("unexpected filter %s", aws.ToString(filter.Name))
		}
		for _, id := range filter.Values {
			if inst, ok := f.instances[id]; ok {
				out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{inst}})
			}
		}
	}
	return out, nil
}

func (f *fakeEC2) calls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.filters...)
}

// instanceIDs returns n ids in the order the provider sorts them.
func instanceIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-%04d", i)
	}
	return ids
}

// newFakeEC2 holds every id but the gone ones, each with its own group.
func newFakeEC2(ids []string, gone map[string]bool) *fakeEC2 {
	f := &fakeEC2{instances: map[string]ec2types.Instance{}}
	for _, id := range ids {
		if !gone[id] {
			f.instances[id] = ec2types.Instance{InstanceId: aws.String(id), VpcId: aws.String("vpc-1"),
				SecurityGroups: []ec2types.GroupIdentifier{{GroupId: aws.String("sg-" + id)}}}
		}
	}
	return f
}

func TestInstancesReadInChunksOfTheFilterLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		instances int
		gone      []string
		wantCalls []int
	}{
		{name: "one call up to the limit", instances: 200, wantCalls: []int{200}},
		{name: "450 nodes", instances: 450, wantCalls: []int{200, 200, 50}},
		{name: "gone instances in the last chunk", instances: 401, gone: []string{"i-0400", "i-0399"},
			wantCalls: []int{200, 200, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := instanceIDs(tc.instances)
			gone := map[string]bool{}
			for _, id := range tc.gone {
				gone[id] = true
			}
			api := newFakeEC2(ids, gone)
			p := NewInstances(api, "c", clocktesting.NewFakePassiveClock(time.Now()))
			got, err := p.SecurityGroups(t.Context(), ids)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, id := range ids {
				if !gone[id] {
					want[id] = "sg-" + id
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCalls, api.calls()); diff != "" {
				t.Errorf("filter sizes of the DescribeInstances calls (-want +got):\n%s", diff)
			}
			// Cached, the gone ones too: asking again reads nothing.
			if _, err := p.SecurityGroups(t.Context(), ids); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantCalls, api.calls()); diff != "" {
				t.Errorf("a second look-up read again (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInstancesConcurrentLookUpsShareOneRead: callers asking for the same
// 450 instances at once cost the three calls of one read, whichever of them
// makes it.
func TestInstancesConcurrentLookUpsShareOneRead(t *testing.T) {
	ids := instanceIDs(450)
	api := newFakeEC2(ids, nil)
	p := NewInstances(api, "c", clocktesting.NewFakePassiveClock(time.Now()))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = p.SecurityGroups(t.Context(), ids) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{200, 200, 50}, api.calls()); diff != "" {
		t.Errorf("filter sizes of the DescribeInstances calls (-want +got):\n%s", diff)
	}
}
