package aws

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code of err, "Unknown" when err carries none.
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "Canceled"
	}
	return "Unknown"
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool {
	code := ErrorCode(err)
	return strings.HasSuffix(code, "NotFound") || strings.HasSuffix(code, ".NotFound") ||
		code == "InvalidGroup.NotFound" || code == "InvalidPermission.NotFound"
}

// IsDuplicate reports whether err says the thing to create already exists.
func IsDuplicate(err error) bool {
	code := ErrorCode(err)
	return strings.HasPrefix(code, "Duplicate") || strings.HasSuffix(code, ".Duplicate") ||
		code == "InvalidPermission.Duplicate"
}

// IsDependency reports whether err says the resource is still in use and the
// call will succeed later, after what uses it is gone.
func IsDependency(err error) bool {
	switch ErrorCode(err) {
	case "DependencyViolation", "ResourceInUse", "InvalidGroup.InUse":
		return true
	}
	return false
}

// IsTerminal reports whether retrying the same request cannot succeed: the
// request itself is wrong, or a limit is reached. The user must act.
func IsTerminal(err error) bool {
	code := ErrorCode(err)
	switch code {
	case "ValidationError", "InvalidParameterValue", "InvalidParameterCombination", "InvalidParameter",
		"InvalidConfigurationRequest", "InvalidSubnet", "InvalidSecurityGroup", "InvalidScheme",
		"SubnetNotFound", "CertificateNotFound", "UnsupportedProtocol", "IncompatibleProtocols",
		"AccessDenied", "UnauthorizedOperation", "OperationNotPermitted":
		return true
	}
	return strings.HasPrefix(code, "TooMany") || strings.HasSuffix(code, "LimitExceeded") &&
		code != "RequestLimitExceeded"
}

// IsInvalidReference reports whether err says that a resource the request
// names (VPC, subnet, route table, security group, endpoint service) does
// not exist or is malformed: the request itself must change.
func IsInvalidReference(err error) bool {
	code := ErrorCode(err)
	switch code {
	case "InvalidServiceName", "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidRouteTableID.NotFound",
		"InvalidRouteTableId.NotFound", "InvalidGroup.NotFound", "InvalidGroupId.Malformed":
		return true
	}
	return strings.HasSuffix(code, ".Malformed")
}

var requestID = regexp.MustCompile(`,? ?RequestID: [^,]*,?`)

// Message returns err's text without the parts that differ on every
// attempt (request ids), so that a status condition written from it stays
// the same while the cause does.
func Message(err error) string {
	return requestID.ReplaceAllString(err.Error(), ",")
}
