package targetgroupbinding

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"k8s.io/utils/clock"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
	"github.com/kelb-dev/kelb/internal/targets"
)

// ELBV2 is the part of the ELBv2 API the controller uses.
type ELBV2 interface {
	DescribeTargetGroups(ctx context.Context, in *elbv2.DescribeTargetGroupsInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
	DescribeTags(ctx context.Context, in *elbv2.DescribeTagsInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error)
	DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
	RegisterTargets(ctx context.Context, in *elbv2.RegisterTargetsInput, opts ...func(*elbv2.Options)) (*elbv2.RegisterTargetsOutput, error)
	DeregisterTargets(ctx context.Context, in *elbv2.DeregisterTargetsInput, opts ...func(*elbv2.Options)) (*elbv2.DeregisterTargetsOutput, error)
}

// errTargetGroupNotFound: the binding's target group is not in AWS (never
// was, or was deleted).
var errTargetGroupNotFound = errors.New("target group not found")

// targetGroup is what the controller knows of a target group.
type targetGroup struct {
	ARN, Name, TargetType, IPAddressType, VPCID string
	Tags                                        map[string]string
	readAt                                      time.Time
}

// KnownTargetGroups looks a target group up where kelb already holds it
// (the Service deployer's inventory, loaded in bulk), so that a binding of
// a Service stack costs no AWS read to know its target group. ok is false
// when it is not known there: it is then read from AWS.
type KnownTargetGroups func(ctx context.Context, arn string) (tg KnownTargetGroup, ok bool)

// KnownTargetGroup is what is known of a target group elsewhere in kelb.
type KnownTargetGroup struct {
	ARN, Name, TargetType, IPAddressType, VPCID string
	Tags                                        map[string]string
}

// targetGroups reads target groups by ARN or name, with their tags, and
// keeps them for a while: a binding at rest costs no call.
type targetGroups struct {
	api   ELBV2
	clock clock.PassiveClock
	ttl   time.Duration
	known KnownTargetGroups

	mu     sync.Mutex
	byARN  map[string]targetGroup
	byName map[string]string // name -> ARN
}

func newTargetGroups(api ELBV2, clk clock.PassiveClock, ttl time.Duration) *targetGroups {
	return &targetGroups{api: api, clock: clk, ttl: ttl, byARN: map[string]targetGroup{}, byName: map[string]string{}}
}

// get returns the target group the ARN (or else the name) names.
func (t *targetGroups) get(ctx context.Context, arn, name string) (targetGroup, error) {
	t.mu.Lock()
	if arn == "" {
		arn = t.byName[name]
	}
	tg, ok := t.byARN[arn]
	t.mu.Unlock()
	if ok && t.clock.Since(tg.readAt) < t.ttl {
		return tg, nil
	}
	if arn != "" && t.known != nil {
		if k, ok := t.known(ctx, arn); ok {
			tg = targetGroup{ARN: k.ARN, Name: k.Name, TargetType: k.TargetType, IPAddressType: k.IPAddressType,
				VPCID: k.VPCID, Tags: k.Tags, readAt: t.clock.Now()}
			t.mu.Lock()
			t.byARN[tg.ARN] = tg
			t.byName[tg.Name] = tg.ARN
			t.mu.Unlock()
			return tg, nil
		}
	}
	in := &elbv2.DescribeTargetGroupsInput{}
	what := arn
	if arn != "" {
		in.TargetGroupArns = []string{arn}
	} else {
		in.Names, what = []string{name}, "named "+name
	}
	out, err := t.api.DescribeTargetGroups(ctx, in)
	if err != nil {
		if awsclient.IsNotFound(err) {
			t.forget(arn)
			return targetGroup{}, fmt.Errorf("%w: %s", errTargetGroupNotFound, what)
		}
		return targetGroup{}, fmt.Errorf("describing target group %s: %w", what, err)
	}
	if len(out.TargetGroups) != 1 {
		t.forget(arn)
		return targetGroup{}, fmt.Errorf("%w: %s (AWS lists %d)", errTargetGroupNotFound, what, len(out.TargetGroups))
	}
	g := out.TargetGroups[0]
	tg = targetGroup{ARN: aws.ToString(g.TargetGroupArn), Name: aws.ToString(g.TargetGroupName),
		TargetType: string(g.TargetType), IPAddressType: string(g.IpAddressType), VPCID: aws.ToString(g.VpcId),
		Tags: map[string]string{}, readAt: t.clock.Now()}
	if tg.IPAddressType == "" {
		tg.IPAddressType = string(elbtypes.TargetGroupIpAddressTypeEnumIpv4)
	}
	tags, err := t.api.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{tg.ARN}})
	if err != nil {
		return targetGroup{}, fmt.Errorf("reading tags of target group %s: %w", tg.Name, err)
	}
	for _, d := range tags.TagDescriptions {
		for _, tag := range d.Tags {
			tg.Tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	t.mu.Lock()
	t.byARN[tg.ARN] = tg
	t.byName[tg.Name] = tg.ARN
	t.mu.Unlock()
	return tg, nil
}

// forget drops what is known of a target group, so the next look-up reads
// AWS again.
func (t *targetGroups) forget(arn string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tg, ok := t.byARN[arn]; ok {
		delete(t.byName, tg.Name)
	}
	delete(t.byARN, arn)
}

// describeMembers lists a target group's targets: one call, whatever the
// number of targets.
func describeMembers(ctx context.Context, api ELBV2, tg targetGroup) ([]targets.Member, error) {
	out, err := api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg.ARN)})
	if err != nil {
		if awsclient.IsNotFound(err) {
			return nil, fmt.Errorf("%w: %s (%v)", errTargetGroupNotFound, tg.ARN, err)
		}
		return nil, fmt.Errorf("describing targets of target group %s: %w", tg.Name, err)
	}
	var ms []targets.Member
	for _, h := range out.TargetHealthDescriptions {
		if h.Target == nil {
			continue
		}
		m := targets.Member{Target: model.Target{ID: aws.ToString(h.Target.Id), Port: aws.ToInt32(h.Target.Port)}}
		m.Draining = h.TargetHealth != nil && h.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining
		ms = append(ms, m)
	}
	return ms, nil
}

func descriptions(ts []model.Target) []elbtypes.TargetDescription {
	out := make([]elbtypes.TargetDescription, 0, len(ts))
	for _, t := range ts {
		out = append(out, elbtypes.TargetDescription{Id: aws.String(t.ID), Port: aws.Int32(t.Port)})
	}
	return out
}

// AWS takes at most this many targets in one RegisterTargets or
// DeregisterTargets call.
const maxTargetsPerCall = 500

func register(ctx context.Context, api ELBV2, tg targetGroup, ts []model.Target) error {
	for start := 0; start < len(ts); start += maxTargetsPerCall {
		batch := ts[start:min(start+maxTargetsPerCall, len(ts))]
		if _, err := api.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg.ARN),
			Targets: descriptions(batch)}); err != nil {
			if awsclient.ErrorCode(err) == "TargetGroupNotFound" {
				return fmt.Errorf("%w: %s (%v)", errTargetGroupNotFound, tg.ARN, err)
			}
			return fmt.Errorf("registering %d targets in target group %s: %w", len(batch), tg.Name, err)
		}
	}
	return nil
}

func deregister(ctx context.Context, api ELBV2, tg targetGroup, ts []model.Target) error {
	for start := 0; start < len(ts); start += maxTargetsPerCall {
		batch := ts[start:min(start+maxTargetsPerCall, len(ts))]
		if _, err := api.DeregisterTargets(ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(tg.ARN),
			Targets: descriptions(batch)}); err != nil {
			if awsclient.ErrorCode(err) == "TargetGroupNotFound" {
				return fmt.Errorf("%w: %s (%v)", errTargetGroupNotFound, tg.ARN, err)
			}
			return fmt.Errorf("deregistering %d targets from target group %s: %w", len(batch), tg.Name, err)
		}
	}
	return nil
}
