package certs

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Keys of the Secret: LBC's chart's (ca.crt, tls.crt, tls.key) and the
// CA key kelb needs to sign renewals.
const (
	keyBundle = "ca.crt"
	keyCAKey  = "ca.key"
	keyCACert = "kelb-ca.crt" // the current CA alone; ca.crt may hold an ending one too
)

// ManagedByLabel marks the Secret as kelb's: a Secret of that name without
// it is someone else's and is never changed.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "kelb"
)

// ErrNotOurs is returned when the Secret exists and is not kelb's.
var ErrNotOurs = errors.New("not made by kelb")

// maxAttempts bounds the read-decide-write rounds lost to other replicas.
const maxAttempts = 5

// Ensure returns the certificates of the Secret key, making or renewing
// them first when Plan says so. Replicas share the Secret: a create that
// finds it made meanwhile, or an update that finds it changed meanwhile,
// reads it again and takes what the other replica wrote when it is good.
// The client must read the API server directly (no cache of Secrets).
func Ensure(ctx context.Context, c client.Client, key types.NamespacedName, names []string, now time.Time,
	l Lifetimes) (Material, string, error) {
	for range maxAttempts {
		secret := &corev1.Secret{}
		err := c.Get(ctx, key, secret)
		var current *Material
		switch {
		case apierrors.IsNotFound(err):
			secret = nil
		case err != nil:
			return Material{}, "", fmt.Errorf("reading webhook certificate Secret %s: %w", key, err)
		case secret.Labels[ManagedByLabel] != ManagedByValue:
			return Material{}, "", fmt.Errorf("webhook certificate Secret %s: %w (no label %s=%s); "+
				"name another Secret or remove this one", key, ErrNotOurs, ManagedByLabel, ManagedByValue)
		default:
			current = fromSecret(secret)
		}
		m, reason, err := Plan(current, names, now, l)
		if err != nil {
			return Material{}, "", err
		}
		if reason == "" {
			return m, "", nil
		}
		if secret == nil {
			err = c.Create(ctx, toSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace,
				Name: key.Name}}, m))
			if apierrors.IsAlreadyExists(err) {
				continue // another replica made it: take theirs
			}
		} else {
			err = c.Update(ctx, toSecret(secret, m)) // resourceVersion as read: optimistic concurrency
			if apierrors.IsConflict(err) {
				continue
			}
		}
		if err != nil {
			return Material{}, "", fmt.Errorf("writing webhook certificate Secret %s: %w", key, err)
		}
		return m, reason, nil
	}
	return Material{}, "", fmt.Errorf("webhook certificate Secret %s: changed by others %d times in a row", key, maxAttempts)
}

func fromSecret(s *corev1.Secret) *Material {
	return &Material{CACert: s.Data[keyCACert], CAKey: s.Data[keyCAKey], Bundle: s.Data[keyBundle],
		Cert: s.Data[corev1.TLSCertKey], Key: s.Data[corev1.TLSPrivateKeyKey]}
}

func toSecret(s *corev1.Secret, m Material) *corev1.Secret {
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.Labels[ManagedByLabel] = ManagedByValue
	s.Type = corev1.SecretTypeTLS
	s.Data = map[string][]byte{keyBundle: m.Bundle, keyCACert: m.CACert, keyCAKey: m.CAKey,
		corev1.TLSCertKey: m.Cert, corev1.TLSPrivateKeyKey: m.Key}
	return s
}
