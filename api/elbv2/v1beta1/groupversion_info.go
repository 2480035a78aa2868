// Package v1beta1 is the elbv2.k8s.aws/v1beta1 API of the AWS Load Balancer
// Controller that kelb serves: TargetGroupBinding and IngressClassParams with
// LBC's field names, enums and printer columns, so that existing manifests and
// stored objects work unchanged in either direction.
//
// LBC checks some rules in its admission webhook; kelb has no webhook, so the
// rules a schema can express are CEL rules here, with LBC's wording.
//
// +kubebuilder:object:generate=true
// +groupName=elbv2.k8s.aws
package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of these types.
	GroupVersion = schema.GroupVersion{Group: "elbv2.k8s.aws", Version: "v1beta1"}
	// SchemeBuilder adds the types to a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds the types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
