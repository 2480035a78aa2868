// Package elbv2 gathers the served versions of LBC's elbv2.k8s.aws API.
package elbv2

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kelb-dev/kelb/api/elbv2/v1alpha1"
	"github.com/kelb-dev/kelb/api/elbv2/v1beta1"
)

// AddToScheme registers every served version of elbv2.k8s.aws: v1beta1, the
// stored one that kelb reads and writes, and v1alpha1, so that objects of
// either apiVersion decode.
func AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{v1beta1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}
