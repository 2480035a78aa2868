package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	awsclient "github.com/kelb-dev/kelb/internal/aws"
	"github.com/kelb-dev/kelb/internal/model"
)

// sameImmutable reports whether an existing target group can serve as the
// desired one: AWS cannot change protocol, port, target type or IP type.
// An application target group's protocol version cannot change either
// (compared only when both sides name one).
func sameImmutable(have *TargetGroupState, want model.TargetGroup, opt model.ApplicationTargetGroup) bool {
	return have.Protocol == want.Protocol && have.Port == want.Port && have.TargetType == want.TargetType &&
		have.IPAddressType == want.IPAddressType &&
		(opt.ProtocolVersion == "" || have.ProtocolVersion == "" || have.ProtocolVersion == opt.ProtocolVersion)
}

// ensureTargetGroups makes every desired target group exist with its health
// check, attributes, tags and targets, and returns their ARNs by resource id.
// A target group that must be replaced is created anew here; the old one is
// deleted after the listeners have moved (deleteUnwantedTargetGroups).
// opts are the application-only settings by ResourceID (nil for a
// Service's stack).
func (d *Deployer) ensureTargetGroups(ctx context.Context, st *StackState, want []model.TargetGroup,
	opts map[string]model.ApplicationTargetGroup, tags model.TagPolicy) (map[string]string, error) {
	arns := map[string]string{}
	for _, w := range want {
		var tg *TargetGroupState
		opt := opts[w.ResourceID]
		for _, have := range st.TargetGroups {
			if have.ResourceID() == w.ResourceID && sameImmutable(have, w, opt) {
				tg = have
				break
			}
		}
		var err error
		if tg == nil {
			if tg, err = d.createTargetGroup(ctx, w, opt); err != nil {
				return nil, err
			}
			st.TargetGroups = append(st.TargetGroups, tg)
			sortTargetGroups(st.TargetGroups)
		} else if err = d.updateTargetGroup(ctx, tg, w, opt, tags); err != nil {
			return nil, err
		}
		if err := d.ensureTargetGroupAttributes(ctx, tg, w.Attributes); err != nil {
			return nil, err
		}
		arns[w.ResourceID] = tg.ARN
	}
	return arns, nil
}

// healthCheckInput is the health check in the API's form; a gRPC target
// group's matcher holds gRPC codes.
func healthCheckInput(hc model.HealthCheck, opt model.ApplicationTargetGroup) (proto elbtypes.ProtocolEnum, path *string,
	matcher *elbtypes.Matcher) {
	proto = elbtypes.ProtocolEnum(hc.Protocol)
	if hc.Protocol != "TCP" {
		path, matcher = aws.String(hc.Path), &elbtypes.Matcher{HttpCode: aws.String(hc.Matcher)}
		if opt.GRPCMatcher {
			matcher = &elbtypes.Matcher{GrpcCode: aws.String(hc.Matcher)}
		}
	}
	return proto, path, matcher
}

func (d *Deployer) createTargetGroup(ctx context.Context, w model.TargetGroup, opt model.ApplicationTargetGroup) (*TargetGroupState, error) {
	proto, path, matcher := healthCheckInput(w.HealthCheck, opt)
	tags := d.createTags(w.Tags)
	out, err := d.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String(w.Name), Protocol: elbtypes.ProtocolEnum(w.Protocol), Port: aws.Int32(w.Port),
		TargetType: elbtypes.TargetTypeEnum(w.TargetType), VpcId: aws.String(d.cfg.VPCID),
		IpAddressType:       elbtypes.TargetGroupIpAddressTypeEnum(w.IPAddressType),
		HealthCheckProtocol: proto, HealthCheckPort: aws.String(w.HealthCheck.Port), HealthCheckPath: path, Matcher: matcher,
		HealthCheckIntervalSeconds: aws.Int32(w.HealthCheck.IntervalSeconds),
		HealthCheckTimeoutSeconds:  aws.Int32(w.HealthCheck.TimeoutSeconds),
		HealthyThresholdCount:      aws.Int32(w.HealthCheck.HealthyThreshold),
		UnhealthyThresholdCount:    aws.Int32(w.HealthCheck.UnhealthyThreshold),
		Tags:                       elbTags(tags), ProtocolVersion: optional(opt.ProtocolVersion),
	})
	if err != nil {
		return nil, fmt.Errorf("creating target group %s for %s: %w", w.Name, w.ResourceID, err)
	}
	if len(out.TargetGroups) != 1 {
		return nil, fmt.Errorf("creating target group %s: AWS returned %d target groups", w.Name, len(out.TargetGroups))
	}
	tg := targetGroupState(out.TargetGroups[0], tags)
	tg.HealthCheck = w.HealthCheck
	return tg, nil
}

func (d *Deployer) updateTargetGroup(ctx context.Context, tg *TargetGroupState, w model.TargetGroup,
	opt model.ApplicationTargetGroup, tags model.TagPolicy) error {
	if tg.HealthCheck != w.HealthCheck {
		proto, path, matcher := healthCheckInput(w.HealthCheck, opt)
		if _, err := d.elb.ModifyTargetGroup(ctx, &elbv2.ModifyTargetGroupInput{
			TargetGroupArn: aws.String(tg.ARN), HealthCheckProtocol: proto, HealthCheckPort: aws.String(w.HealthCheck.Port),
			HealthCheckPath: path, Matcher: matcher,
			HealthCheckIntervalSeconds: aws.Int32(w.HealthCheck.IntervalSeconds),
			HealthCheckTimeoutSeconds:  aws.Int32(w.HealthCheck.TimeoutSeconds),
			HealthyThresholdCount:      aws.Int32(w.HealthCheck.HealthyThreshold),
			UnhealthyThresholdCount:    aws.Int32(w.HealthCheck.UnhealthyThreshold),
		}); err != nil {
			return fmt.Errorf("modifying health check of target group %s: %w", tg.Name, err)
		}
		tg.HealthCheck = w.HealthCheck
	}
	tagged, err := d.ensureELBTags(ctx, tg.ARN, tg.Tags, w.Tags, tags)
	if err != nil {
		return err
	}
	tg.Tags = tagged
	return nil
}

func (d *Deployer) ensureTargetGroupAttributes(ctx context.Context, tg *TargetGroupState, want map[string]string) error {
	arn := aws.String(tg.ARN)
	return ensureAttributes(&tg.Attributes, want, func() (map[string]string, error) {
		out, err := d.elb.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: arn})
		if err != nil {
			return nil, fmt.Errorf("reading attributes of target group %s: %w", tg.Name, err)
		}
		m := map[string]string{}
		for _, a := range out.Attributes {
			m[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		return m, nil
	}, func(changes map[string]string) error {
		var attrs []elbtypes.TargetGroupAttribute
		for _, k := range sortedKeys(changes) {
			attrs = append(attrs, elbtypes.TargetGroupAttribute{Key: aws.String(k), Value: aws.String(changes[k])})
		}
		if _, err := d.elb.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
			TargetGroupArn: arn, Attributes: attrs}); err != nil {
			return fmt.Errorf("modifying attributes of target group %s: %w", tg.Name, err)
		}
		return nil
	})
}

// deleteUnwantedTargetGroups deletes the stack's target groups whose ARN is
// not kept. A group still in use (ResourceInUse) is left for a later pass.
func (d *Deployer) deleteUnwantedTargetGroups(ctx context.Context, st *StackState, keep map[string]string) error {
	kept := map[string]bool{}
	for _, arn := range keep {
		kept[arn] = true
	}
	var left []*TargetGroupState
	var pending error
	for _, tg := range st.TargetGroups {
		if kept[tg.ARN] {
			left = append(left, tg)
			continue
		}
		_, err := d.elb.DeleteTargetGroup(ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(tg.ARN)})
		switch {
		case err == nil, awsclient.IsNotFound(err):
		case awsclient.IsDependency(err):
			left = append(left, tg)
			pending = fmt.Errorf("deleting target group %s: %w (%v)", tg.Name, ErrPending, err)
		default:
			st.TargetGroups = append(left, st.TargetGroups[len(left):]...)
			return fmt.Errorf("deleting target group %s: %w", tg.Name, err)
		}
	}
	st.TargetGroups = left
	return pending
}
