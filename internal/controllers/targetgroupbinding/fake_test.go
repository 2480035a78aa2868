package targetgroupbinding

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kelb-dev/kelb/internal/model"
)

// fakeTG is a target group in fakeELB.
type fakeTG struct {
	name, targetType, ipType, vpc string
	tags                          map[string]string
	members                       map[model.Target]bool
}

// fakeELB is a stateful in-memory ELBv2 with a count of calls by operation.
type fakeELB struct {
	mu    sync.Mutex
	tgs   map[string]*fakeTG // ARN -> target group
	calls map[string]int
	// states overrides a target's health (healthy when not set).
	states map[model.Target]elbtypes.TargetHealthStateEnum
}

// setState makes DescribeTargetHealth report state for target t.
func (f *fakeELB) setState(t model.Target, state elbtypes.TargetHealthStateEnum) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.states == nil {
		f.states = map[model.Target]elbtypes.TargetHealthStateEnum{}
	}
	f.states[t] = state
}

func newFakeELB() *fakeELB { return &fakeELB{tgs: map[string]*fakeTG{}, calls: map[string]int{}} }

func (f *fakeELB) add(arn, name, targetType string, tags map[string]string, members ...model.Target) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tg := &fakeTG{name: name, targetType: targetType, ipType: "ipv4", vpc: "vpc-1", tags: tags, members: map[model.Target]bool{}}
	for _, m := range members {
		tg.members[m] = true
	}
	f.tgs[arn] = tg
}

func (f *fakeELB) memberList(arn string) []model.Target {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []model.Target
	for t := range f.tgs[arn].members {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID+fmt.Sprint(out[i].Port) < out[j].ID+fmt.Sprint(out[j].Port) })
	return out
}

func (f *fakeELB) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeELB) writes() int { return f.count("RegisterTargets") + f.count("DeregisterTargets") }

func notFound(code string) error { return &smithy.GenericAPIError{Code: code, Message: "not found"} }

func (f *fakeELB) DescribeTargetGroups(_ context.Context, in *elbv2.DescribeTargetGroupsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeTargetGroups"]++
	out := &elbv2.DescribeTargetGroupsOutput{}
	for arn, tg := range f.tgs {
		if (len(in.TargetGroupArns) > 0 && in.TargetGroupArns[0] == arn) || (len(in.Names) > 0 && in.Names[0] == tg.name) {
			out.TargetGroups = append(out.TargetGroups, elbtypes.TargetGroup{TargetGroupArn: aws.String(arn),
				TargetGroupName: aws.String(tg.name), TargetType: elbtypes.TargetTypeEnum(tg.targetType),
				IpAddressType: elbtypes.TargetGroupIpAddressTypeEnum(tg.ipType), VpcId: aws.String(tg.vpc)})
		}
	}
	if len(out.TargetGroups) == 0 {
		return nil, notFound("TargetGroupNotFound")
	}
	return out, nil
}

func (f *fakeELB) DescribeTags(_ context.Context, in *elbv2.DescribeTagsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeTags"]++
	out := &elbv2.DescribeTagsOutput{}
	for _, arn := range in.ResourceArns {
		if tg, ok := f.tgs[arn]; ok {
			d := elbtypes.TagDescription{ResourceArn: aws.String(arn)}
			for k, v := range tg.tags {
				d.Tags = append(d.Tags, elbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			out.TagDescriptions = append(out.TagDescriptions, d)
		}
	}
	return out, nil
}

func (f *fakeELB) DescribeTargetHealth(_ context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DescribeTargetHealth"]++
	tg, ok := f.tgs[aws.ToString(in.TargetGroupArn)]
	if !ok {
		return nil, notFound("TargetGroupNotFound")
	}
	out := &elbv2.DescribeTargetHealthOutput{}
	for t := range tg.members {
		h := &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumHealthy}
		if st, ok := f.states[t]; ok {
			h.State = st
			if st == elbtypes.TargetHealthStateEnumInitial {
				h.Reason = elbtypes.TargetHealthReasonEnumRegistrationInProgress
				h.Description = aws.String("Target registration is in progress")
			}
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
			Target:       &elbtypes.TargetDescription{Id: aws.String(t.ID), Port: aws.Int32(t.Port)},
			TargetHealth: h})
	}
	return out, nil
}

func (f *fakeELB) RegisterTargets(_ context.Context, in *elbv2.RegisterTargetsInput, _ ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["RegisterTargets"]++
	tg, ok := f.tgs[aws.ToString(in.TargetGroupArn)]
	if !ok {
		return nil, notFound("TargetGroupNotFound")
	}
	for _, t := range in.Targets {
		tg.members[model.Target{ID: aws.ToString(t.Id), Port: aws.ToInt32(t.Port)}] = true
	}
	return &elbv2.RegisterTargetsOutput{}, nil
}

func (f *fakeELB) DeregisterTargets(_ context.Context, in *elbv2.DeregisterTargetsInput, _ ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["DeregisterTargets"]++
	tg, ok := f.tgs[aws.ToString(in.TargetGroupArn)]
	if !ok {
		return nil, notFound("TargetGroupNotFound")
	}
	for _, t := range in.Targets {
		delete(tg.members, model.Target{ID: aws.ToString(t.Id), Port: aws.ToInt32(t.Port)})
	}
	return &elbv2.DeregisterTargetsOutput{}, nil
}

// fakeRecorder keeps events as "type reason".
type fakeRecorder struct {
	mu     sync.Mutex
	events []string
}

func (r *fakeRecorder) Eventf(_ runtime.Object, _ runtime.Object, eventtype, reason, _, _ string, _ ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, eventtype+" "+reason)
}

func (r *fakeRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}
