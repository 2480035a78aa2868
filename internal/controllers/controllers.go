// Package controllers lists every controller of kelb in one place.
package controllers

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Controller is what each controller package provides.
type Controller interface {
	Name() string
	Register(ctx context.Context, mgr ctrl.Manager) error
}

// Register adds every controller to the manager.
func Register(ctx context.Context, mgr ctrl.Manager, cs ...Controller) error {
	for _, c := range cs {
		if err := c.Register(ctx, mgr); err != nil {
			return fmt.Errorf("registering controller %s: %w", c.Name(), err)
		}
	}
	return nil
}
