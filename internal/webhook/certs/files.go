package certs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles puts the serving pair where the webhook server reads it (its
// certificate watcher picks up a change). Each file is written whole under
// a temporary name and renamed, so a reader never sees half a file; a file
// that already holds the content is left alone.
func WriteFiles(dir, certName, keyName string, m Material) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("webhook certificate directory %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{keyName, m.Key}, {certName, m.Cert}, {"ca.crt", m.Bundle}} {
		path := filepath.Join(dir, f.name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.data) {
			continue
		}
		tmp, err := os.CreateTemp(dir, "."+f.name+"-")
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		_, werr := tmp.Write(f.data)
		cerr := tmp.Close()
		if werr != nil || cerr != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", path, errors.Join(werr, cerr))
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			_ = os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// Provided reports whether dir holds a certificate and key under the given
// names: someone else (LBC's Helm chart, cert-manager) provides them and
// kelb uses them as they are. A certificate without its key is an error.
func Provided(dir, certName, keyName string) (bool, error) {
	_, certErr := os.Stat(filepath.Join(dir, certName))
	_, keyErr := os.Stat(filepath.Join(dir, keyName))
	switch {
	case certErr == nil && keyErr == nil:
		return true, nil
	case certErr == nil || keyErr == nil:
		return false, fmt.Errorf("webhook certificate directory %s holds only one of %s and %s", dir, certName, keyName)
	}
	return false, nil
}
