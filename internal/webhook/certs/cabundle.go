package certs

import (
	"bytes"
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PatchCABundle makes every webhook of kelb's MutatingWebhookConfiguration
// name trust bundle. It reads and writes that one object by name, never
// another controller's configuration; the write carries the
// resourceVersion read, and a conflict (another replica, or a deploy tool)
// is read again. It reports whether it wrote.
func PatchCABundle(ctx context.Context, c client.Client, name string, bundle []byte) (bool, error) {
	for range maxAttempts {
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := c.Get(ctx, types.NamespacedName{Name: name}, cfg); err != nil {
			return false, fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", name, err)
		}
		changed := false
		for i := range cfg.Webhooks {
			if !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, bundle) {
				cfg.Webhooks[i].ClientConfig.CABundle = bundle
				changed = true
			}
		}
		if !changed {
			return false, nil
		}
		err := c.Update(ctx, cfg)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("writing the CA bundle of MutatingWebhookConfiguration %s: %w", name, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("MutatingWebhookConfiguration %s: changed by others %d times in a row", name, maxAttempts)
}
