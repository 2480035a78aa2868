// Package v1alpha1 is the ec2.services.k8s.aws/v1alpha1 API: the resources
// of ACK's EC2 controller that kelb serves, with ACK's field names so that
// existing manifests apply unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=ec2.services.k8s.aws
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of these types.
	GroupVersion = schema.GroupVersion{Group: "ec2.services.k8s.aws", Version: "v1alpha1"}
	// SchemeBuilder adds the types to a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds the types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
