package targetgroupbinding

import (
	"errors"

	elbv2api "github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// validSpec refuses what no target group can make right.
func validSpec(tgb *elbv2api.TargetGroupBinding) error {
	s := tgb.Spec
	if s.TargetGroupARN == "" && s.TargetGroupName == "" {
		return &invalidError{Field: "spec.targetGroupARN", Allowed: "set it or spec.targetGroupName"}
	}
	if s.IamRoleArnToAssume != "" {
		return &invalidError{Field: "spec.iamRoleArnToAssume", Value: s.IamRoleArnToAssume,
			Allowed: "unset: kelb does not assume roles for target groups of other accounts yet"}
	}
	if s.ServiceRef.Name == "" {
		return &invalidError{Field: "spec.serviceRef.name", Allowed: "the name of a Service in the binding's namespace"}
	}
	return nil
}

// matchTargetGroup checks the spec against the target group and returns
// the target type and address family to register, the spec's or, when it
// leaves them unset, the target group's (what LBC's webhook fills in).
func matchTargetGroup(tgb *elbv2api.TargetGroupBinding, tg targetGroup) (targetType, ipType string, err error) {
	s := tgb.Spec
	switch tg.TargetType {
	case string(elbv2api.TargetTypeInstance), string(elbv2api.TargetTypeIP):
	default:
		return "", "", &invalidError{Field: "spec.targetGroupARN", Value: tg.ARN,
			Allowed: "a target group of target type instance or ip (this one's is " + tg.TargetType + ")"}
	}
	targetType = tg.TargetType
	if s.TargetType != nil && string(*s.TargetType) != tg.TargetType {
		return "", "", &invalidError{Field: "spec.targetType", Value: string(*s.TargetType),
			Allowed: tg.TargetType + ", the target type of target group " + tg.Name}
	}
	ipType = tg.IPAddressType
	if s.IPAddressType != nil && string(*s.IPAddressType) != tg.IPAddressType {
		return "", "", &invalidError{Field: "spec.ipAddressType", Value: string(*s.IPAddressType),
			Allowed: tg.IPAddressType + ", the IP address type of target group " + tg.Name}
	}
	if s.VpcID != "" && tg.VPCID != "" && s.VpcID != tg.VPCID {
		return "", "", &invalidError{Field: "spec.vpcID", Value: s.VpcID,
			Allowed: tg.VPCID + ", the VPC of target group " + tg.Name}
	}
	if s.NodeSelector != nil && targetType == string(elbv2api.TargetTypeIP) {
		return "", "", &invalidError{Field: "spec.nodeSelector",
			Allowed: "unset: it applies to instance targets, and target group " + tg.Name + " takes ip targets"}
	}
	return targetType, ipType, nil
}

func asBackendMissing(err error, target **backendMissingError) bool { return errors.As(err, target) }

func isTargetGroupNotFound(err error) bool { return errors.Is(err, errTargetGroupNotFound) }
