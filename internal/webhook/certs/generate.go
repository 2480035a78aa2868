// Package certs gives kelb's webhook server its serving certificate without
// cert-manager: a certificate mounted where LBC's flags say is used as it
// is (LBC's Helm chart and cert-manager way); otherwise kelb makes a CA and
// a serving certificate for its webhook Service, keeps them in a Secret the
// replicas share, writes them where the webhook server reads them, puts
// the CA in its own MutatingWebhookConfiguration and renews before expiry.
package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

// Material is what the Secret holds: the CA (certificate and key, to sign
// renewed serving certificates), the CA bundle callers trust (the current
// CA, and while it is valid the one it replaced, so a CA change never
// leaves a replica's certificate untrusted), and the serving pair. All PEM.
type Material struct {
	CACert, CAKey []byte
	Bundle        []byte
	Cert, Key     []byte
}

// Lifetimes of what kelb makes, and how early it renews.
type Lifetimes struct {
	CA, Serving                time.Duration
	CARenewBefore, RenewBefore time.Duration
}

// DefaultLifetimes: a CA for 10 years renewed a year before it ends; a
// serving certificate for a year renewed 30 days before it ends.
var DefaultLifetimes = Lifetimes{CA: 10 * 365 * 24 * time.Hour, Serving: 365 * 24 * time.Hour,
	CARenewBefore: 365 * 24 * time.Hour, RenewBefore: 30 * 24 * time.Hour}

// ServiceNames are the names the API server may use for a webhook Service
// (it calls <service>.<namespace>.svc), and the longer and shorter forms
// Helm's and cert-manager's certificates carry.
func ServiceNames(service, namespace string) []string {
	return []string{service, service + "." + namespace, service + "." + namespace + ".svc",
		service + "." + namespace + ".svc.cluster.local"}
}

// Plan decides what the Secret should hold at now for the given names:
// what it holds when that is still good, else renewed parts. The reason
// says why it changed ("" when it did not).
func Plan(current *Material, names []string, now time.Time, l Lifetimes) (Material, string, error) {
	var m Material
	if current != nil {
		m = *current
	}
	ca, caKey, caErr := parsePair(m.CACert, m.CAKey)
	var reason string
	switch {
	case current == nil:
		reason = "no certificate yet"
	case caErr != nil:
		reason = "unreadable CA: " + caErr.Error()
	case now.Add(l.CARenewBefore).After(ca.NotAfter):
		reason = "CA expires " + ca.NotAfter.UTC().Format(time.RFC3339)
	}
	if reason != "" {
		newCA, newKey, err := newCA(now, l.CA)
		if err != nil {
			return Material{}, "", err
		}
		bundle := newCA.pem
		if caErr == nil && current != nil && now.Before(ca.NotAfter) {
			bundle = append(append([]byte{}, bundle...), m.CACert...) // still trusted until it ends
		}
		m = Material{CACert: newCA.pem, CAKey: newKey, Bundle: bundle}
		ca, caKey = newCA.cert, newCA.key
	}
	if why := servingProblem(m, ca, names, now, l.RenewBefore); why != "" {
		cert, key, err := newServing(ca, caKey, names, now, l.Serving)
		if err != nil {
			return Material{}, "", err
		}
		m.Cert, m.Key = cert, key
		if reason == "" {
			reason = why
		}
	}
	if pruned := pruneBundle(m.Bundle, m.CACert, now); !bytes.Equal(pruned, m.Bundle) {
		m.Bundle = pruned
		if reason == "" {
			reason = "CA bundle out of date"
		}
	}
	return m, reason, nil
}

// servingProblem says why the serving pair must be made again, "" when it
// is good: readable, matching, signed by the CA, naming every name, and far
// enough from its end.
func servingProblem(m Material, ca *x509.Certificate, names []string, now time.Time, renewBefore time.Duration) string {
	cert, _, err := parsePair(m.Cert, m.Key)
	switch {
	case err != nil:
		return "unreadable serving certificate: " + err.Error()
	case cert.CheckSignatureFrom(ca) != nil:
		return "serving certificate not signed by the CA"
	case now.Add(renewBefore).After(cert.NotAfter):
		return "serving certificate expires " + cert.NotAfter.UTC().Format(time.RFC3339)
	}
	for _, n := range names {
		if cert.VerifyHostname(n) != nil {
			return "serving certificate does not name " + n
		}
	}
	return ""
}

type signer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(now time.Time, validity time.Duration) (signer, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return signer{}, nil, fmt.Errorf("webhook CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "kelb-webhook-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(validity), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return signer{}, nil, fmt.Errorf("webhook CA: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyPEM, err := keyPEM(key)
	if err != nil {
		return signer{}, nil, err
	}
	return signer{cert: cert, key: key, pem: pemBlock("CERTIFICATE", der)}, keyPEM, nil
}

func newServing(ca *x509.Certificate, caKey any, names []string, now time.Time, validity time.Duration) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook serving key: %w", err)
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter // never outlive the CA
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), NotBefore: now.Add(-time.Hour), NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if len(names) > 0 {
		tmpl.Subject = pkix.Name{CommonName: names[0]}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook serving certificate: %w", err)
	}
	k, err := keyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), k, nil
}

// pruneBundle keeps the current CA and the other CAs that have not ended.
func pruneBundle(bundle, current []byte, now time.Time) []byte {
	var out []byte
	rest := bundle
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		block := pemBlock(b.Type, b.Bytes)
		if err == nil && (bytes.Equal(block, current) || now.Before(c.NotAfter)) {
			out = append(out, block...)
		}
	}
	if !bytes.Contains(out, current) {
		out = append(slices.Clone(current), out...)
	}
	return out
}

func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, nil, fmt.Errorf("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, fmt.Errorf("no PEM key")
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("key does not match the certificate")
	}
	return cert, key, nil
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding a webhook key: %w", err)
	}
	return pemBlock("EC PRIVATE KEY", der), nil
}

func pemBlock(t string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: t, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
