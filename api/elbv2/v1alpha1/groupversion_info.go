// Package v1alpha1 is the elbv2.k8s.aws/v1alpha1 TargetGroupBinding, which
// LBC still serves beside v1beta1 (the stored version) without a conversion
// webhook: the API server only rewrites apiVersion between the two.
//
// Its spec and status are v1beta1's own types, so the two schemas are the same
// and an object read and written back through either version loses nothing.
// (LBC's v1alpha1 schema lacks nodeSelector, ipAddressType, vpcID and
// targetGroupProtocol, so a write through v1alpha1 drops them there; every
// manifest LBC's v1alpha1 accepts is accepted here too.)
//
// +kubebuilder:object:generate=true
// +groupName=elbv2.k8s.aws
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of these types.
	GroupVersion = schema.GroupVersion{Group: "elbv2.k8s.aws", Version: "v1alpha1"}
	// SchemeBuilder adds the types to a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds the types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
