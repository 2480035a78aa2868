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
		code == "InvalidGroup.NotFound" || code == "InvalidPermission.NotFound" ||
		code == "ResourceNotFoundException" || code == "NoSuchEntity" || // ACM, IAM, Shield
		code == "WAFNonexistentItemException" // WAFv2, WAF Regional
}

// IsDuplicate reports whether err says the thing to create already exists.
func IsDuplicate(err error) bool {
	code := ErrorCode(err)
	return strings.HasPrefix(code, "Duplicate") || strings.HasSuffix(code, ".Duplicate") ||
		code == "InvalidPermission.Duplicate" || code == "ResourceAlreadyExistsException" // Shield
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

// Class says who can make a refused request succeed.
type Class int

// Error classes.
const (
	// Transient: retrying soon may succeed (throttling, 5xx, time-outs,
	// eventual consistency).
	Transient Class = iota
	// Terminal: only the author of the object can fix it (a malformed
	// value, an unknown attribute key, incompatible settings).
	Terminal
	// External: the outside world may fix it without the object changing
	// (a certificate imported or issued, a subnet created, a quota raised,
	// a permission granted): retry, slowly.
	External
)

// Classify returns err's class by its AWS error code.
func Classify(err error) Class {
	code := ErrorCode(err)
	switch code {
	case "ValidationError", "ValidationException", "InvalidParameterValue", "InvalidParameterCombination",
		"InvalidParameter", "InvalidConfigurationRequest", "InvalidScheme", "UnsupportedProtocol",
		"IncompatibleProtocols", "SSLPolicyNotFound", "ALPNPolicyNotFound", "InvalidArnException",
		"WAFInvalidParameterException", "InvalidResourceException": // WAF, Shield
		return Terminal
	case "WAFNonexistentItemException": // a web ACL not created yet, or deleted
		return External
	case "CertificateNotFound", "UnsupportedCertificate", "SubnetNotFound", "InvalidSubnet", "InvalidSubnetID.NotFound", "InvalidSecurityGroup",
		"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OperationNotPermitted":
		return External
	}
	if strings.HasPrefix(code, "TooMany") || strings.HasSuffix(code, "LimitExceeded") && code != "RequestLimitExceeded" {
		return External
	}
	return Transient
}

// IsCertificateUnusable reports whether err says a listener's certificate
// does not exist or is not issued (yet).
func IsCertificateUnusable(err error) bool {
	code := ErrorCode(err)
	return code == "CertificateNotFound" || code == "UnsupportedCertificate"
}

// IsTerminal reports whether retrying the same request cannot succeed
// until the object's author changes it.
func IsTerminal(err error) bool { return Classify(err) == Terminal }

// IsExternal reports whether AWS may accept the same request later, once
// something outside the object changes.
func IsExternal(err error) bool { return Classify(err) == External }

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
